"""Small encodings the fake platforms share: timestamps, opaque page tokens, the search term a query matches."""

from __future__ import annotations

import base64
from datetime import UTC, datetime


def ts(dt: datetime, ms: bool = False) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{dt.microsecond // 1000:03d}Z" if ms else "Z")


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


def query_term(query: str) -> str:
    """The search term the fake matches: the first plain word of the query (operators dropped)."""
    for word in query.split():
        if word.startswith("-") or ":" in word:
            continue
        return word.strip("\"'@#").lower()
    return ""
