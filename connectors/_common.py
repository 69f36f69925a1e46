"""Helpers the built-in connectors share: reading counts from payloads, skipping bad items, query words.

Not part of the contract (that is monitor.connector); a third-party connector may use them or not.
"""

from __future__ import annotations

import logging
from typing import Any

from monitor.connector import TransientError

log = logging.getLogger("connectors")


def query_words(text: str) -> list[str]:
    """Plain words of a search query (operators like -foo and field:value dropped), lower-case."""
    return [w.strip("\"'@#").lower() for w in text.split() if not w.startswith("-") and ":" not in w]


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
