"""The connector contract: what a platform plug-in implements and what the polling engine gives it.

A connector is a stateless class found through the entry-point group `complaint_monitor.connectors`
(monitor.plugins). It declares its name, a short label, its settings model (validated under
`platforms.<name>` in config.yaml; keys ending in `_env` name the environment variables of its secrets)
and, when the platform meters a daily quota, a `DailyQuota`. `fetch(query, cursor, now)` walks every page it
needs and returns one `Batch`; the engine stores the batch and the new cursor in one transaction.
Connectors never sleep on rate limits or quotas: they raise `RateLimited` / `QuotaExhausted` carrying the
time to retry and the engine decides. The only waiting allowed inside one is a short, capped, jittered retry
of a single page on a transient fault (`retry_transient`), so one bad response does not waste a long walk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from monitor.models import Author, Engagement, Mention
from monitor.settings import Duration, SettingsModel

__all__ = [
    "AuthError",
    "Author",
    "Batch",
    "Connector",
    "ConnectorError",
    "Cursor",
    "DailyQuota",
    "Engagement",
    "Mention",
    "PlatformSettings",
    "Query",
    "QuotaExhausted",
    "RateLimited",
    "TransientError",
    "protect_secrets",
    "retry_transient",
]

log = logging.getLogger(__name__)

# A connector's resume point, stored as JSON between polls; its shape is the connector's own business.
Cursor = dict[str, Any]
ReachLookup = Callable[[Sequence[str]], dict[str, int | None]]


class PlatformSettings(SettingsModel):
    """Settings every connector has; a connector subclasses this with its own keys and defaults."""

    enabled: bool = True
    poll_interval: Duration = timedelta(minutes=5)
    # Override the API host, e.g. http://127.0.0.1:8765 for the fake platforms or a corporate proxy.
    base_url: str | None = None
    timeout: Duration = timedelta(seconds=20)
    max_pages: int = Field(default=10, ge=1, le=100)
    # In-fetch retries of one page on 5xx / timeouts / broken bodies (jittered, capped backoff).
    retries: int = Field(default=3, ge=0, le=10)
    retry_wait_max: Duration = timedelta(seconds=2)

    _secrets: dict[str, SecretStr] = PrivateAttr(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    def secret_env_names(self) -> dict[str, str]:
        """Secret name -> environment variable name, e.g. {"bearer_token": "TWITTER_BEARER_TOKEN"}."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name.endswith("_env") and isinstance(value, str):
                out[name.removesuffix("_env")] = value
        return out

    def secret(self, name: str) -> str:
        """The revealed secret value; call only where it is handed to a client library."""
        return self._secrets[name].get_secret_value()

    def with_secrets(self, secrets: dict[str, SecretStr]) -> None:
        """Attach the secrets read from the environment (config loading does this)."""
        self._secrets = dict(secrets)


class DailyQuota(Protocol):
    """A platform's daily unit quota (YouTube: 10,000 units per Pacific day). The engine meters it."""

    def day(self, now: datetime) -> str:
        """The quota day `now` falls in, as an ISO date (the platform's own calendar)."""
        ...

    def resets_at(self, now: datetime) -> datetime:
        """When the current quota day ends."""
        ...

    def limit(self, settings: PlatformSettings) -> int:
        """Units per day under these settings."""
        ...

    def budget(self, settings: PlatformSettings, used_today: int, now: datetime, queries: int) -> int:
        """Units one poll of one query may spend so the quota lasts the day."""
        ...


@dataclass(frozen=True)
class Query:
    """One search of one brand on one platform, with everything the connector may need."""

    brand: str
    text: str
    own_handles: frozenset[str]  # lower-case, without "@"; their posts are not customer mentions
    settings: PlatformSettings
    handles: tuple[str, ...] = ()  # the brand's own accounts as configured (YouTube channel ids are case-sensitive)
    # Quota units this poll may spend (connectors with a DailyQuota); None = unlimited.
    budget: int | None = None
    # Cached reach (followers, karma) by author id, fresh within a day; supplied by the engine from the store.
    reach_lookup: ReachLookup | None = None


@dataclass
class Batch:
    mentions: list[Mention]
    new_cursor: Cursor | None  # None: keep the stored cursor
    calls_used: int
    skipped: int = 0  # malformed items logged and dropped
    units_used: int = 0  # platform quota units spent
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
    """The daily quota is spent; resume at `until` (e.g. midnight Pacific for YouTube)."""

    def __init__(self, message: str, *, until: datetime, calls_used: int = 0) -> None:
        super().__init__(message, calls_used=calls_used)
        self.until = until


class AuthError(ConnectorError):
    """Credentials were rejected: this connector stops until the config is fixed."""


class TransientError(ConnectorError):
    """5xx, timeouts, broken bodies that persisted through the short in-fetch retries."""


class Connector(Protocol):
    """What a connector class provides. Instances are made once per poller from validated settings."""

    name: ClassVar[str]  # "twitter": the key under platforms: and in the store
    label: ClassVar[str]  # "X": the short column label in the feed
    Settings: ClassVar[type[PlatformSettings]]
    quota: ClassVar[DailyQuota | None]

    def __init__(self, settings: Any) -> None: ...

    def fetch(self, query: Query, cursor: Cursor | None, now: datetime) -> Batch: ...


# --- retries ----------------------------------------------------------------------------------

T = TypeVar("T")


def retry_transient(
    settings: PlatformSettings, fn: Callable[[], T], transient: tuple[type[BaseException], ...], counter: list[int]
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
_CLIENT_LOGGERS = ("tweepy.client", "prawcore", "praw", "httpx", "httpcore", "urllib3.connectionpool", "connectors")


def protect_secrets(*values: str, loggers: Sequence[str] = ()) -> None:
    """Register credential values so the client libraries' loggers never print them.

    A connector with a client library of its own names that library's loggers in `loggers`.
    """
    _REDACTOR.secrets.update(v for v in values if v and len(v) >= 4)
    for name in (*_CLIENT_LOGGERS, *loggers, __name__):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
