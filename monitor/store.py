"""The SQLite store: opening, migrations, and the write paths every producer shares.

Connections run in autocommit mode and every write is an explicit `BEGIN IMMEDIATE` transaction, so a
poll's mentions, authors, cursor and run record land together or not at all. One connection per thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import StoreError
from monitor.migrations import migrate
from monitor.models import Mention
from monitor.text import clean_text
from monitor.timeutil import to_iso, utcnow

BUSY_TIMEOUT_MS = 30_000

_MENTION_COLUMNS = (
    "platform", "id", "brand", "query", "kind", "url", "text", "lang", "created_at", "fetched_at",
    "source", "author_id", "author_handle", "author_followers", "author_verified",
    "likes", "reposts", "replies", "views", "raw",
)  # fmt: skip
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


@dataclass(frozen=True, slots=True)
class InsertResult:
    new: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class PollRun:
    """What one poll of one (platform, brand, query) did; written with its mentions and cursor."""

    platform: str
    brand: str
    query: str
    started_at: datetime
    finished_at: datetime
    status: str = "ok"
    calls: int = 0
    skipped: int = 0
    errors: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


def _mention_row(m: Mention, fetched_at: str, source: str) -> tuple[Any, ...]:
    e = m.engagement
    return (
        m.platform, m.id, m.brand, m.query, m.kind, clean_text(m.url), clean_text(m.text), m.lang,
        to_iso(m.created_at), fetched_at, source, m.author.id, clean_text(m.author.handle),
        m.author.followers, int(m.author.verified), e.likes, e.reposts, e.replies, e.views,
        clean_text(json.dumps(m.raw, ensure_ascii=False, default=str)) if m.raw is not None else None,
    )  # fmt: skip


def _translate(exc: sqlite3.Error, path: Path) -> StoreError:
    msg = str(exc)
    if "not a database" in msg or "malformed" in msg:
        return StoreError(
            f"{path} is corrupt or not a complaint-monitor store ({msg}). Recover with "
            f"`sqlite3 {path} .recover | sqlite3 recovered.db`, or restore a backup; the file was not changed."
        )
    if "readonly" in msg or "read-only" in msg:
        return StoreError(f"{path} is read-only ({msg}): fix its permissions or pass --db to a writable file")
    if "disk is full" in msg or "disk I/O" in msg:
        return StoreError(
            f"cannot write {path}: {msg}. The last transaction was rolled back, nothing half-written; "
            "free space and run the command again"
        )
    if "unable to open" in msg:
        return StoreError(f"cannot open store {path}: {msg} (does the folder exist and is it writable?)")
    if "locked" in msg or "busy" in msg:
        return StoreError(f"{path} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000}s: {msg}")
    return StoreError(f"store error on {path}: {msg}")


class Store:
    """One connection to the store. Not shared across threads: open one per thread."""

    def __init__(self, path: str | Path, *, migrate_schema: bool = True) -> None:
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(
                str(self.path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=True
            )
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal" and str(path) != ":memory:":
                raise StoreError(f"{self.path}: could not switch to WAL journal mode (got {mode})")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
            self.conn.execute("PRAGMA foreign_keys = ON")
            if migrate_schema:
                migrate(self.conn, to_iso(utcnow()))
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        self.db = sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; rolls back on any exception (including KeyboardInterrupt)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise _translate(exc, self.path) from None

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn sqlite3 errors into StoreError with a readable message."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    # --- writes ------------------------------------------------------------------------------

    def insert_mentions(
        self, conn: sqlite3.Connection, mentions: Sequence[Mention], *, fetched_at: datetime, source: str
    ) -> InsertResult:
        """Insert inside the caller's transaction; existing (platform, id) rows are left as they were."""
        if not mentions:
            return InsertResult(0, 0)
        fetched = to_iso(fetched_at)
        cur = conn.executemany(_INSERT_MENTION, (_mention_row(m, fetched, source) for m in mentions))
        new = cur.rowcount  # direct changes only; FTS trigger rows are not counted
        conn.executemany(
            _UPSERT_AUTHOR,
            (
                (m.platform, m.author.id, clean_text(m.author.handle), m.author.followers,
                 int(m.author.verified), fetched, fetched)
                for m in _latest_per_author(mentions)
            ),
        )  # fmt: skip
        return InsertResult(new=new, duplicates=len(mentions) - new)

    def add_mentions(self, mentions: Sequence[Mention], *, fetched_at: datetime, source: str) -> InsertResult:
        """Insert a batch of mentions in its own transaction."""
        with self.errors(), self.transaction() as conn:
            return self.insert_mentions(conn, mentions, fetched_at=fetched_at, source=source)

    def record_poll(
        self,
        run: PollRun,
        mentions: Sequence[Mention],
        cursor: dict[str, Any] | None,
    ) -> InsertResult:
        """The one transaction of a completed poll: mentions, authors, new cursor and the run record.

        Pass cursor=None to keep the stored cursor (e.g. a walk that found nothing).
        """
        with self.errors(), self.transaction() as conn:
            result = self.insert_mentions(conn, mentions, fetched_at=run.finished_at, source="poll")
            if cursor is not None:
                conn.execute(
                    "INSERT INTO cursors (platform, brand, query, cursor, updated_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (platform, brand, query) DO UPDATE SET "
                    "cursor = excluded.cursor, updated_at = excluded.updated_at",
                    (run.platform, run.brand, run.query, json.dumps(cursor, sort_keys=True),
                     to_iso(run.finished_at)),
                )  # fmt: skip
            self._insert_run(conn, run, result)
            return result

    def record_failed_poll(self, run: PollRun) -> None:
        """A poll that did not complete: only the run record is written; mentions and cursor stay."""
        with self.errors(), self.transaction() as conn:
            self._insert_run(conn, run, InsertResult(0, 0))

    def _insert_run(self, conn: sqlite3.Connection, run: PollRun, result: InsertResult) -> None:
        conn.execute(
            "INSERT INTO poll_runs (platform, brand, query, started_at, finished_at, status, calls, new, "
            "duplicates, skipped, errors, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run.platform, run.brand, run.query, to_iso(run.started_at), to_iso(run.finished_at),
             run.status, run.calls, result.new, result.duplicates, run.skipped, run.errors,
             json.dumps(run.detail, sort_keys=True, default=str) if run.detail else None),
        )  # fmt: skip

    def set_connector_state(
        self, platform: str, state: str, *, now: datetime, until: datetime | None = None, detail: str = ""
    ) -> None:
        with self.errors(), self.transaction() as conn:
            conn.execute(
                "INSERT INTO connector_state (platform, state, until, detail, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (platform) DO UPDATE SET state = excluded.state, until = excluded.until, "
                "detail = excluded.detail, updated_at = excluded.updated_at",
                (platform, state, to_iso(until) if until else None, detail, to_iso(now)),
            )

    # --- reads -------------------------------------------------------------------------------

    def get_cursor(self, platform: str, brand: str, query: str) -> dict[str, Any] | None:
        with self.errors():
            row = self.conn.execute(
                "SELECT cursor FROM cursors WHERE platform = ? AND brand = ? AND query = ?",
                (platform, brand, query),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def connector_states(self) -> dict[str, dict[str, Any]]:
        with self.errors():
            rows = self.conn.execute("SELECT platform, state, until, detail, updated_at FROM connector_state")
            return {r[0]: {"state": r[1], "until": r[2], "detail": r[3], "updated_at": r[4]} for r in rows}

    def count(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.errors():
            return int(self.conn.execute(sql, params).fetchone()[0])

    def status(self) -> dict[str, Any]:
        """Counts for `monitor status`: mentions by platform and brand, last polls, cases by state."""
        q = self.conn.execute
        with self.errors():
            by_platform = dict(q("SELECT platform, count(*) FROM mentions GROUP BY platform ORDER BY platform"))
            by_brand = {
                (b if b is not None else "(none)"): n
                for b, n in q("SELECT brand, count(*) FROM mentions GROUP BY brand ORDER BY brand")
            }
            last_polls = {}
            for row in q(
                "SELECT platform, max(finished_at), sum(calls), sum(new) FROM poll_runs GROUP BY platform"
            ):
                status_row = q(
                    "SELECT status FROM poll_runs WHERE platform = ? ORDER BY id DESC LIMIT 1", (row[0],)
                ).fetchone()
                last_polls[row[0]] = {
                    "last_poll": row[1], "last_status": status_row[0], "calls": row[2], "new": row[3],
                }  # fmt: skip
            cases = dict(q("SELECT state, count(*) FROM cases GROUP BY state ORDER BY state"))
            unclassified = q("SELECT count(*) FROM mentions WHERE model_version IS NULL").fetchone()[0]
            quota = {
                f"{p}:{d}": units
                for p, d, units in q("SELECT platform, day, units FROM quota_usage ORDER BY day DESC LIMIT 10")
            }
        return {
            "store": str(self.path.resolve()) if str(self.path) != ":memory:" else ":memory:",
            "mentions": sum(by_platform.values()),
            "mentions_by_platform": by_platform,
            "mentions_by_brand": by_brand,
            "unclassified": unclassified,
            "polls": last_polls,
            "connectors": self.connector_states(),
            "cases_by_state": cases,
            "quota_units": quota,
        }


def _latest_per_author(mentions: Iterable[Mention]) -> list[Mention]:
    seen: dict[tuple[str, str], Mention] = {}
    for m in mentions:
        seen[(m.platform, m.author.id)] = m
    return list(seen.values())


def open_store(path: str | Path) -> Store:
    return Store(path)
