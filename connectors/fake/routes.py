"""What a connector's fake API is to the loopback server: routes mounted by connectors/fake/server.py.

A connector class names its fake with `fake: ClassVar[str | None] = "package.fake:Class"`; the server imports
that class, builds one instance per running server (so per-platform state, such as issued tokens or spent
quota, lives in the instance) and sends it every request whose path it owns. Shared state (the mention
generator, the clock, fault injection, request counts) is the FakeState passed to each call.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from connectors.fake.data import FakeAuthor, FakeItem, Generator

# "expired_token": Reddit revokes the access token in use (401 invalid_token); a no-op on the other platforms,
# whose app credentials do not expire.
FAULTS = ("429", "5xx", "slow", "malformed_json", "truncated", "bad_item", "repeat", "expired_token")

# Dummy credentials the fake accepts; write_fake_config exports them under these variable names.
FAKE_CREDENTIALS = {
    "TWITTER_BEARER_TOKEN": "fake-twitter-bearer-0b7c1d",
    "REDDIT_CLIENT_ID": "fake-reddit-id-5e2a",
    "REDDIT_CLIENT_SECRET": "fake-reddit-secret-9f41c3",
    "YOUTUBE_API_KEY": "fake-youtube-key-77d2e0",
}


class Response:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def service_unavailable() -> Response:
    """The 5xx body every built-in fake serves."""
    return Response(503, {"title": "Service Unavailable", "status": 503, "detail": "Service Unavailable"})


class FakeState:
    """What every mounted fake shares; guarded by one lock (the fakes guard their own state with it too)."""

    def __init__(
        self,
        gen: Generator,
        *,
        seed: int,
        fault_rate: float,
        clock: Callable[[], datetime],
        latency: float,
        retry_after: int = 2,
    ) -> None:
        self.gen = gen
        self.fault_rate = fault_rate
        self.clock = clock
        self.latency = latency
        self.retry_after = retry_after  # what a 429 tells the client to wait (s); the storm itself lasts 2 s
        self.lock = threading.Lock()
        self.rng = random.Random(f"faults:{seed}")
        self.forced: dict[str, deque[str]] = defaultdict(deque)
        self.limited_until: dict[str, float] = {}
        self.requests: dict[str, int] = defaultdict(int)
        self.authors: dict[tuple[str, str], FakeAuthor] = {}  # (platform, id or handle) -> author
        self.faults_served: dict[str, int] = defaultdict(int)  # random faults by kind, for test tallies

    def pick_fault(self, platform: str) -> str | None:
        with self.lock:
            self.requests[platform] += 1
            if self.forced[platform]:
                return self.forced[platform].popleft()
            if time.time() < self.limited_until.get(platform, 0.0):
                return "429"
            if self.fault_rate and self.rng.random() < self.fault_rate:
                fault = self.rng.choice(FAULTS)
                self.faults_served[fault] += 1
                return fault
            return None

    def published(self, platform: str) -> list[FakeItem]:
        items = self.gen.published(platform, self.clock())
        with self.lock:
            for it in items:
                if not it.own:
                    self.authors[(platform, it.author.id)] = it.author
                    self.authors[(platform, it.author.handle.lower())] = it.author
        return items


class FakeRoutes(Protocol):
    """One platform's fake API, mounted on the loopback server."""

    platform: str  # the connector's name: the key for fault injection and request counts

    def owns(self, path: str) -> bool:
        """Whether requests to this (unquoted) path are this platform's."""
        ...

    def exempt(self, path: str) -> bool:
        """Paths served without fault injection or request counting (e.g. an OAuth token endpoint)."""
        ...

    def fault_response(self, fault: str, retry_after: int) -> Response | None:
        """The platform's own answer to a 429 or 5xx fault, sent before routing; None lets `handle` see the
        fault (a 429 answered here also starts a 2 s storm of 429s)."""
        ...

    def handle(
        self,
        state: FakeState,
        method: str,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        form: dict[str, list[str]],
        fault: str | None,
    ) -> Response: ...

    def mention_id(self, item: FakeItem) -> str:
        """The id the connector stores for a generated item (what FakePlatforms.truth reports)."""
        ...
