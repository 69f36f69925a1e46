"""One loopback HTTP server that mounts each connector's fake API (Twitter v2, Reddit OAuth, YouTube Data v3).

Each built-in connector names its fake routes (`fake = "connectors.<name>.fake:<Class>"`, see
connectors/fake/routes.py); this module only routes requests to the fake that owns the path, injects faults
and writes the bytes. Only the request parameters the connectors use are implemented, with the platforms'
semantics (see each connectors/<name>/fake.py).

Faults (at `fault_rate`, or forced with `inject`) are: 429 storms with reset / retry-after headers, 5xx,
slow responses, malformed JSON, truncated bodies, a malformed item inside a page, an item repeated
from the previous page, and an expired Reddit access token. Credentials are checked, so a wrong one
gives the platform's auth error.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from connectors.fake.data import PLATFORMS, Generator
from connectors.fake.routes import FAKE_CREDENTIALS, FAULTS, FakeRoutes, FakeState, Response
from connectors.reddit import RedditConnector
from connectors.twitter import TwitterConnector
from connectors.youtube import YouTubeConnector

__all__ = ["BUILTIN_CONNECTORS", "FAKE_CREDENTIALS", "FAULTS", "FakePlatforms", "mount_fakes", "start_fake_platforms"]

# The connectors whose fakes start_fake_platforms mounts (their light entry-point classes).
BUILTIN_CONNECTORS: tuple[type[Any], ...] = (TwitterConnector, RedditConnector, YouTubeConnector)


def load_fake(target: str) -> Callable[..., FakeRoutes]:
    """The fake-routes class named by a connector's `fake` attribute ("module:Class")."""
    module, _, attr = target.partition(":")
    return cast("Callable[..., FakeRoutes]", getattr(importlib.import_module(module), attr))


def mount_fakes(
    connectors: Iterable[type[Any]] = BUILTIN_CONNECTORS, options: Mapping[str, Mapping[str, Any]] | None = None
) -> list[FakeRoutes]:
    """One fresh fake per connector that declares one; options[name] are passed to that fake's constructor."""
    opts = options or {}
    routes: list[FakeRoutes] = []
    for cls in connectors:
        target: str | None = getattr(cls, "fake", None)
        if target:
            routes.append(load_fake(target)(**opts.get(cls.name, {})))
    return routes


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: request lines would carry query strings

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        path = unquote(url.path)
        route = next((r for r in self.server.routes if r.owns(path)), None)
        if state.latency:
            time.sleep(state.latency)
        if route is None:
            self._send(Response(404, {"error": "not found"}), None)
            return
        method = self.command
        if route.exempt(path):
            self._send(route.handle(state, method, path, params, headers, form, None), None)
            return
        platform = route.platform
        fault = state.pick_fault(platform)
        early = route.fault_response(fault, state.retry_after) if fault else None
        if fault == "429" and early is not None:
            with state.lock:
                # the requests a storm rejects don't prolong it
                if time.time() >= state.limited_until.get(platform, 0.0):
                    state.limited_until[platform] = time.time() + 2
        if early is not None:
            self._send(early, None)
            return
        if fault == "slow":
            time.sleep(state.rng.uniform(0.2, 1.0))
        self._send(route.handle(state, method, path, params, headers, form, fault), fault)

    def _send(self, resp: Response, fault: str | None) -> None:
        body = json.dumps(resp.body, ensure_ascii=False).encode()
        status = resp.status
        if status == 200 and fault == "malformed_json":
            body = body[: len(body) // 3] + b'",,}{'
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=UTF-8")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if status == 200 and fault == "truncated":
            self.send_header("content-length", str(len(body)))
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeState
    routes: Sequence[FakeRoutes]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that timed out and hung up is normal
            super().handle_error(request, client_address)


class FakePlatforms:
    """A running fake server (background thread). Use as a context manager or call stop()."""

    def __init__(
        self,
        *,
        port: int = 0,
        seed: int = 0,
        mentions: int = 300,
        fault_rate: float = 0.0,
        rate_per_minute: float = 30.0,
        brand: str = "Acme",
        latency: float = 0.0,
        retry_after: int = 2,
        clock: Callable[[], datetime] | None = None,
        routes: Sequence[FakeRoutes] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """`routes`: the fakes to mount (default: the built-in connectors' fakes, built with `options`, e.g.
        {"youtube": {"quota": 10_000}})."""
        self.clock = clock or (lambda: datetime.now(UTC))
        self.generator = Generator(
            seed=seed, mentions=mentions, rate_per_minute=rate_per_minute, start=self.clock(), brand=brand
        )
        self.state = FakeState(
            self.generator,
            seed=seed,
            fault_rate=fault_rate,
            clock=self.clock,
            latency=latency,
            retry_after=retry_after,
        )
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.state = self.state
        self.routes = {r.platform: r for r in (mount_fakes(options=options) if routes is None else routes)}
        self._server.routes = tuple(self.routes.values())
        self._thread = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.05), name="fake-platforms", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def truth(self, platforms: tuple[str, ...] = PLATFORMS) -> set[tuple[str, str]]:
        """(platform, id) of every customer mention published so far (the brand's own posts excluded)."""
        now = self.clock()
        return {
            (p, self.routes[p].mention_id(it))
            for p in platforms
            for it in self.generator.published(p, now)
            if not it.own
        }

    def inject(self, platform: str, fault: str, times: int = 1) -> None:
        """Force the next `times` API requests to `platform` to fail with `fault` (one of FAULTS, or "quota")."""
        with self.state.lock:
            self.state.forced[platform].extend([fault] * times)

    def requests(self, platform: str) -> int:
        return self.state.requests[platform]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePlatforms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def faults(self, rate: float) -> Iterator[None]:
        """Temporarily change the random fault rate."""
        old, self.state.fault_rate = self.state.fault_rate, rate
        try:
            yield
        finally:
            self.state.fault_rate = old


def start_fake_platforms(
    *,
    port: int = 0,
    seed: int = 0,
    mentions: int = 300,
    fault_rate: float = 0.0,
    rate_per_minute: float = 30.0,
    **kwargs: Any,
) -> FakePlatforms:
    """Start the fake platforms on 127.0.0.1 (port 0 = an ephemeral port) in a background thread."""
    return FakePlatforms(
        port=port, seed=seed, mentions=mentions, fault_rate=fault_rate, rate_per_minute=rate_per_minute, **kwargs
    )
