"""Twitter snowflake ids carry their creation time."""

from __future__ import annotations

from datetime import UTC, datetime

TWEPOCH_MS = 1288834974657


def snowflake_time(tweet_id: str | int) -> datetime:
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWEPOCH_MS) / 1000, UTC)
