"""The connector contract, its errors, and the registry of platforms.

A connector is stateless: `fetch(query, cursor, now)` walks every page it needs and returns one `Batch`;
the engine (monitor.poll) stores the batch and the new cursor in one transaction. Connectors never
sleep on rate limits or quotas: they raise `RateLimited` / `QuotaExhausted` and the engine reschedules.
The only waiting inside a connector is a short, capped, jittered retry of one page request on a
transient fault (5xx, timeout, broken body), so one bad response does not throw away a long walk.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from monitor.config import PlatformBase
from monitor.models import Author, Engagement, Mention

__all__ = [
    "AuthError",
    "Author",
    "Batch",
    "Connector",
    "ConnectorError",
    "Engagement",
    "Mention",
    "Query",
    "QuotaExhausted",
    "RateLimited",
    "TransientError",
    "available",
    "get_connector",
    "register",
]

log = logging.getLogger(__name__)

ReachLookup = Callable[[Sequence[str]], dict[str, int | None]]


@dataclass(frozen=True)
class Query:
    """One search of one brand on one platform, with everything the connector may need."""

    brand: str
    text: str
    own_handles: frozenset[str]  # lower-case, without "@"; their posts are not customer mentions
    settings: PlatformBase
    handles: tuple[str, ...] = ()  # the brand's own accounts as configured (YouTube channel ids are case-sensitive)
    # Quota units this poll may spend (YouTube); None = unlimited.
    budget: int | None = None
    # Cached reach (followers, karma) by author id, fresh within a day; supplied by the engine from the store.
    reach_lookup: ReachLookup | None = None


@dataclass
class Batch:
    mentions: list[Mention]
    new_cursor: dict[str, Any] | None  # None: keep the stored cursor
    calls_used: int
    skipped: int = 0  # malformed items logged and dropped
    units_used: int = 0  # platform quota units spent (YouTube)
    reach: dict[str, int | None] = field(default_factory=dict)  # new author reach lookups, for the engine to cache
    complete: bool = True  # False: the walk stopped early; the cursor records where to resume
    # The error that stopped the walk after some pages were read: the engine stores this batch (the cursor
    # says where to resume), then treats the error as usual (e.g. backs off until a rate limit resets).
    interrupted: ConnectorError | None = None


class ConnectorError(Exception):
    """Base of the errors a connector raises. Messages never contain credentials."""

    def __init__(self, message: str, *, calls_used: int = 0) -> None:
        super().__init__(message)
        self.calls_used = calls_used
        self.units_used: int | None = None  # quota units spent before the error, when the connector counts them


class RateLimited(ConnectorError):
    """The platform said "too many requests". `until` is when to try again."""

    def __init__(self, message: str, *, until: datetime, calls_used: int = 0) -> None:
        super().__init__(message, calls_used=calls_used)
        self.until = until


class QuotaExhausted(ConnectorError):
    """The daily quota is spent; resume at `until` (midnight Pacific for YouTube)."""

    def __init__(self, message: str, *, until: datetime, calls_used: int = 0) -> None:
        super().__init__(message, calls_used=calls_used)
        self.until = until


class AuthError(ConnectorError):
    """Credentials were rejected: this connector stops until the config is fixed."""


class TransientError(ConnectorError):
    """5xx, timeouts, broken bodies that persisted through the short in-fetch retries."""


class Connector(Protocol):
    name: str

    def fetch(self, query: Query, cursor: dict[str, Any] | None, now: datetime) -> Batch: ...


# --- retries ----------------------------------------------------------------------------------

T = TypeVar("T")


def retry_transient(
    settings: PlatformBase, fn: Callable[[], T], transient: tuple[type[BaseException], ...], counter: list[int]
) -> T:
    """Call fn, retrying `transient` errors with capped exponential backoff and jitter.

    counter[0] is incremented once per attempt (every attempt is an API call).
    """
    wait_max = settings.retry_wait_max.total_seconds()
    retrying = Retrying(
        stop=stop_after_attempt(settings.retries + 1),
        wait=wait_exponential_jitter(multiplier=min(0.1, wait_max), max=wait_max, jitter=min(0.2, wait_max)),
        retry=retry_if_exception_type(transient),
        reraise=True,
    )

    def attempt() -> T:
        counter[0] += 1
        return fn()

    return retrying(attempt)


# --- secrets in third-party logs ---------------------------------------------------------------


class _RedactSecrets(logging.Filter):
    """Masks known credential values in log records (tweepy logs the bearer header at DEBUG level)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            masked = message
            for secret in self.secrets:
                masked = masked.replace(secret, "***")
            if masked != message:
                record.msg, record.args = masked, ()
        return True


_REDACTOR = _RedactSecrets()
_CLIENT_LOGGERS = ("tweepy.client", "prawcore", "praw", "httpx", "httpcore", "urllib3.connectionpool", __name__)


def protect_secrets(*values: str) -> None:
    """Register credential values so the client libraries' loggers never print them."""
    _REDACTOR.secrets.update(v for v in values if v and len(v) >= 4)
    for name in _CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


# --- registry ---------------------------------------------------------------------------------

# name -> "module:Class"; a new platform is one module plus one line here and a config entry.
_REGISTRY: dict[str, str] = {
    "twitter": "connectors.twitter:TwitterConnector",
    "reddit": "connectors.reddit:RedditConnector",
    "youtube": "connectors.youtube:YouTubeConnector",
}


def register(name: str, target: str) -> None:
    """Register a connector class by dotted path ("package.module:Class")."""
    _REGISTRY[name] = target


def available() -> list[str]:
    return sorted(_REGISTRY)


def get_connector(name: str, settings: PlatformBase) -> Connector:
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no connector named {name!r} (known: {', '.join(available())})") from None
    module_name, _, cls_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    connector: Connector = cls(settings)
    return connector


INT_LIMIT = 2**62  # SQLite INTEGER is 64-bit: a larger "count" is junk, not a number to store


def as_int(value: Any) -> int:
    """A count from a payload (int, integral float or digit string), or ValueError for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"not a count: {value!r}")
        value = int(value)
    elif isinstance(value, str):
        value = int(value.strip())
    if not isinstance(value, int) or abs(value) > INT_LIMIT:
        raise ValueError(f"not a count: {value!r}"[:80])
    return value


def as_opt_int(value: Any) -> int | None:
    return None if value is None else as_int(value)


def unexpected(platform: str, exc: BaseException, calls_used: int) -> TransientError:
    """A client library choked on a response we did not foresee: report it as a transient fault, not a crash."""
    log.warning("%s: unexpected response (%s)", platform, type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
    return TransientError(f"{platform}: unexpected response ({type(exc).__name__})", calls_used=calls_used)


def skip(platform: str, item: Any, reason: object, skipped: list[int]) -> None:
    """Log a malformed item (its id if it has one, never the whole payload) and count it."""
    ident = item.get("id") if isinstance(item, dict) else None
    log.warning("%s: skipped malformed item %.80r: %.200s", platform, ident, reason)  # hostile ids can be huge
    skipped[0] += 1
