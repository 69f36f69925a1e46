"""UTC timestamps and human durations.

Every time in the store is UTC ISO-8601 with a trailing Z and whole seconds
("2026-11-29T16:39:26Z"), so string order is time order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def utcnow() -> datetime:
    """The one place the clock is read; pure code takes `now` as an argument instead."""
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(dt: datetime) -> str:
    """Format an aware datetime as UTC ISO-8601 (naive datetimes are taken to be UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime(ISO_FORMAT)


def parse_time(value: str | int | float | datetime) -> datetime:
    """Parse ISO-8601 (with Z or an offset) or epoch seconds into an aware UTC datetime.

    Raises ValueError with a readable message on anything else.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    elif isinstance(value, int | float):
        try:
            dt = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"epoch seconds out of range: {value!r}") from None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty time")
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO-8601 time: {value!r}") from None
    else:
        raise ValueError(f"not a time: {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC).replace(microsecond=0)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 falls before year 1 in UTC
        raise ValueError(f"time out of range: {value!r}") from None


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse "90s", "15m", "1h30m", "2d" or a number of seconds into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"duration must not be negative: {value!r}")
        return timedelta(seconds=float(value))
    text = str(value).strip().replace(" ", "")
    if text.isdigit():
        return timedelta(seconds=int(text))
    pos = 0
    seconds = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"not a duration: {value!r} (write it like 90s, 15m, 1h30m or 2d)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Short human form: 45s, 12m, 3h05m, 2d04h. Negative durations get a leading minus."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rem = divmod(total, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{sign}{days}d{hours:02d}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m"
    return f"{sign}{secs}s"
