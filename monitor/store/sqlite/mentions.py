"""Writing mentions and their authors: the insert every producer (poll, import, demo) shares."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from monitor.models import Mention
from monitor.store.records import InsertResult
from monitor.store.sqlite.connection import SqliteConnection
from monitor.text import clean_text
from monitor.timeutil import to_iso

_MENTION_COLUMNS = (
    "platform",
    "id",
    "brand",
    "query",
    "kind",
    "url",
    "text",
    "lang",
    "created_at",
    "fetched_at",
    "source",
    "author_id",
    "author_handle",
    "author_followers",
    "author_verified",
    "likes",
    "reposts",
    "replies",
    "views",
    "raw",
)
_INSERT_MENTION = (
    f"INSERT OR IGNORE INTO mentions ({', '.join(_MENTION_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _MENTION_COLUMNS)})"
)
_UPSERT_AUTHOR = """
    INSERT INTO authors (platform, id, handle, followers, verified, first_seen, last_seen)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, id) DO UPDATE SET
        handle = excluded.handle,
        followers = coalesce(excluded.followers, authors.followers),
        verified = excluded.verified,
        last_seen = max(authors.last_seen, excluded.last_seen)
"""


def _mention_row(m: Mention, fetched_at: str, source: str, raw_json: str | None = None) -> tuple[Any, ...]:
    e = m.engagement
    if raw_json is None and m.raw is not None:
        raw_json = json.dumps(m.raw, ensure_ascii=False, default=str)
    return (
        m.platform,
        m.id,
        m.brand,
        m.query,
        m.kind,
        clean_text(m.url),
        clean_text(m.text),
        m.lang,
        to_iso(m.created_at),
        fetched_at,
        source,
        m.author.id,
        clean_text(m.author.handle),
        m.author.followers,
        int(m.author.verified),
        e.likes,
        e.reposts,
        e.replies,
        e.views,
        clean_text(raw_json) if raw_json is not None else None,
    )


def _author_row(m: Mention, seen: str) -> tuple[Any, ...]:
    a = m.author
    return (m.platform, a.id, clean_text(a.handle), a.followers, int(a.verified), seen, seen)


def _latest_per_author(mentions: Iterable[Mention]) -> list[Mention]:
    seen: dict[tuple[str, str], Mention] = {}
    for m in mentions:
        seen[(m.platform, m.author.id)] = m
    return list(seen.values())


class MentionSql(SqliteConnection):
    def insert_mentions(
        self,
        conn: sqlite3.Connection,
        mentions: Sequence[Mention],
        *,
        fetched_at: datetime,
        source: str,
        raw_json: Sequence[str] | None = None,
    ) -> InsertResult:
        """Insert inside the caller's transaction; existing (platform, id) rows are left as they were.

        raw_json: the payloads as received, parallel to `mentions` (the importer has the JSON text already,
        so it need not be serialised again); by default each Mention.raw is serialised.
        """
        if not mentions:
            return InsertResult(0, 0)
        fetched = to_iso(fetched_at)
        if raw_json is not None:
            if len(raw_json) != len(mentions):
                raise ValueError("raw_json must have one entry per mention")
            rows = (_mention_row(m, fetched, source, r) for m, r in zip(mentions, raw_json, strict=True))
        else:
            rows = (_mention_row(m, fetched, source) for m in mentions)
        cur = conn.executemany(_INSERT_MENTION, rows)
        new = cur.rowcount  # direct changes only; FTS trigger rows are not counted
        conn.executemany(_UPSERT_AUTHOR, (_author_row(m, fetched) for m in _latest_per_author(mentions)))
        return InsertResult(new=new, duplicates=len(mentions) - new)

    def add_mentions(
        self, mentions: Sequence[Mention], *, fetched_at: datetime, source: str, raw_json: Sequence[str] | None = None
    ) -> InsertResult:
        """Insert a batch of mentions in its own transaction."""
        with self.errors(), self.transaction() as conn:
            return self.insert_mentions(conn, mentions, fetched_at=fetched_at, source=source, raw_json=raw_json)
