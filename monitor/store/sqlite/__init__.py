"""The SQLite backend of the Store boundary: opening, migrations, and the write paths every producer shares.

Connections run in autocommit mode and every write is an explicit `BEGIN IMMEDIATE` transaction, so a
poll's mentions, authors, cursor and run record land together or not at all. One connection per thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import StoreError
from monitor.models import Mention
from monitor.store.sqlite.cases import CaseSql
from monitor.store.sqlite.migrations import migrate
from monitor.text import clean_text
from monitor.timeutil import to_iso, utcnow

if TYPE_CHECKING:
    import sqlite_utils

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


def _mention_row(m: Mention, fetched_at: str, source: str, raw_json: str | None = None) -> tuple[Any, ...]:
    e = m.engagement
    if raw_json is None and m.raw is not None:
        raw_json = json.dumps(m.raw, ensure_ascii=False, default=str)
    return (
        m.platform, m.id, m.brand, m.query, m.kind, clean_text(m.url), clean_text(m.text), m.lang,
        to_iso(m.created_at), fetched_at, source, m.author.id, clean_text(m.author.handle),
        m.author.followers, int(m.author.verified), e.likes, e.reposts, e.replies, e.views,
        clean_text(raw_json) if raw_json is not None else None,
    )  # fmt: skip


def _read_only(path: Path) -> bool:
    """True when the store (or, for a new file, its folder) cannot be written: permissions or a read-only mount."""
    target = path if path.exists() else path.parent
    return target.exists() and not os.access(target, os.W_OK)


def _translate(exc: sqlite3.Error, path: Path) -> StoreError:
    msg = str(exc)
    if "not a database" in msg or "malformed" in msg:
        return StoreError(
            f"{path} is corrupt or not a complaint-monitor store ({msg}). Nothing more was written to it. "
            f"Recover with `monitor recover {path} recovered.db` and use recovered.db, or restore a backup"
        )
    if "readonly" in msg or "read-only" in msg or ("unable to open" in msg and _read_only(path)):
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


class SqliteStore(CaseSql):
    """One connection to the store. Not shared across threads: open one per thread."""

    def __init__(self, path: str | Path, *, migrate_schema: bool = True) -> None:
        self.path = Path(path)
        if str(path) != ":memory:" and not self.path.parent.exists():
            try:  # a configured store in a folder that does not exist yet: make the folder
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder of store {self.path}: {exc.strerror}") from None
        try:
            self.conn = sqlite3.connect(
                str(self.path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=True
            )
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal" and str(path) != ":memory:":
                raise StoreError(f"{self.path}: could not switch to WAL journal mode (got {mode})")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
            self.conn.execute("PRAGMA foreign_keys = ON")
            # 32 MB page cache: index and FTS updates of big import batches stay in memory
            self.conn.execute("PRAGMA cache_size = -32000")
            if migrate_schema:
                migrate(self.conn, to_iso(utcnow()))
        except sqlite3.Error as exc:
            self.conn.close()
            raise _translate(exc, self.path) from None
        except StoreError:
            self.conn.close()
            raise

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils view of the same connection (imported on first use: it costs ~0.3 s of CLI start-up)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqliteStore:
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
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            # environment faults (disk full, read-only, corrupt, locked) become one clear StoreError (exit 5);
            # constraint and programming errors stay as they are: they are bugs
            if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and not isinstance(
                exc, sqlite3.IntegrityError | sqlite3.ProgrammingError
            ):
                raise _translate(exc, self.path) from None
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise _translate(exc, self.path) from None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction (deferred BEGIN, no write lock): under WAL every query inside sees the same state."""
        with self.errors():
            self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")  # nothing was written; ending a read never fails on a busy store

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn sqlite3 errors into StoreError with a readable message."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    # --- writes ------------------------------------------------------------------------------

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
        conn.executemany(
            _UPSERT_AUTHOR,
            (
                (m.platform, m.author.id, clean_text(m.author.handle), m.author.followers,
                 int(m.author.verified), fetched, fetched)
                for m in _latest_per_author(mentions)
            ),
        )  # fmt: skip
        return InsertResult(new=new, duplicates=len(mentions) - new)

    def add_mentions(
        self, mentions: Sequence[Mention], *, fetched_at: datetime, source: str, raw_json: Sequence[str] | None = None
    ) -> InsertResult:
        """Insert a batch of mentions in its own transaction."""
        with self.errors(), self.transaction() as conn:
            return self.insert_mentions(conn, mentions, fetched_at=fetched_at, source=source, raw_json=raw_json)

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

    def check(self, *, quick: bool = False) -> list[str]:
        """SQLite's own consistency check of every page (quick: skip index-content checks). [] when healthy.

        Normal commands only notice damage in the pages they touch; run this after a crash or disk fault.
        """
        pragma = "quick_check" if quick else "integrity_check"
        with self.errors():
            problems = [str(r[0]) for r in self.conn.execute(f"PRAGMA {pragma}(100)")]
            if problems == ["ok"]:
                problems = []
            problems += [f"foreign key: {r}" for r in self.conn.execute("PRAGMA foreign_key_check")]
        return problems

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

    # --- polling: quota units per day, cached author reach ----------------------------------------

    def add_quota_units(self, platform: str, day: str, units: int) -> None:
        with self.errors(), self.transaction() as conn:
            conn.execute(
                "INSERT INTO quota_usage (platform, day, units) VALUES (?, ?, ?) "
                "ON CONFLICT (platform, day) DO UPDATE SET units = units + excluded.units",
                (platform, day, units),
            )

    def quota_units(self, platform: str, day: str) -> int:
        return self.count("SELECT coalesce(sum(units), 0) FROM quota_usage WHERE platform = ? AND day = ?",
                          (platform, day))  # fmt: skip

    def cached_reach(self, platform: str, ids: Sequence[str], *, since: datetime) -> dict[str, int | None]:
        """Reach of the given authors looked up at or after `since`."""
        out: dict[str, int | None] = {}
        with self.errors():
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                rows = self.conn.execute(
                    f"SELECT id, reach FROM author_reach WHERE platform = ? AND checked_at >= ? "
                    f"AND id IN ({', '.join('?' for _ in chunk)})",
                    (platform, to_iso(since), *chunk),
                )
                out.update({r[0]: r[1] for r in rows})
        return out

    def save_reach(self, platform: str, reach: dict[str, int | None], *, now: datetime) -> None:
        if not reach:
            return
        with self.errors(), self.transaction() as conn:
            conn.executemany(
                "INSERT INTO author_reach (platform, id, reach, checked_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (platform, id) DO UPDATE SET reach = excluded.reach, checked_at = excluded.checked_at",
                [(platform, k, v, to_iso(now)) for k, v in reach.items()],
            )


def _latest_per_author(mentions: Iterable[Mention]) -> list[Mention]:
    seen: dict[tuple[str, str], Mention] = {}
    for m in mentions:
        seen[(m.platform, m.author.id)] = m
    return list(seen.values())


# --- salvage ---------------------------------------------------------------------------------------

_SALVAGE_CHUNK = 2_000


def _read_chunk(src: sqlite3.Connection, table: str, cols: str, after: int) -> tuple[list[tuple[Any, ...]], bool]:
    """Rows after `after`, up to the first damaged page; and whether damage stopped the read."""
    rows: list[tuple[Any, ...]] = []
    try:
        for row in src.execute(
            f"SELECT rowid, {cols} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT {_SALVAGE_CHUNK}", (after,)
        ):
            rows.append(row)
    except sqlite3.DatabaseError:
        return rows, True
    return rows, False


def _next_readable(src: sqlite3.Connection, table: str, cols: str, after: int) -> int | None:
    """The smallest start (found by probing) past a damaged stretch of a table's b-tree, or None."""

    def readable(start: int) -> bool:
        try:
            src.execute(
                f"SELECT rowid, {cols} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1", (start,)
            ).fetchall()
            return True
        except sqlite3.DatabaseError:
            return False

    step = 1
    while step < 2**62 and not readable(after + step):
        step *= 2
    if step >= 2**62:
        return None
    lo, hi = after + step // 2, after + step  # lo unreadable (or the failed start), hi readable
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if readable(mid) else (mid, hi)
    return hi


def salvage(src_path: str | Path, dest_path: str | Path) -> dict[str, dict[str, int]]:
    """Copy every readable row of a damaged store into a new store at dest_path. The source is only read.

    Returns {table: {"rows": copied, "damaged_stretches": n}}. The full-text index is rebuilt as rows land.
    """
    src_path, dest_path = Path(src_path), Path(dest_path)
    if dest_path.exists():
        raise StoreError(f"{dest_path} already exists; name a new file for the recovered store")
    try:
        src = sqlite3.connect(f"{src_path.resolve().as_uri()}?mode=ro", uri=True)
        src_tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"cannot read anything from {src_path} ({exc}): its header or schema is destroyed; restore a backup"
        ) from None
    report: dict[str, dict[str, int]] = {}
    with SqliteStore(dest_path) as dest:
        dest.conn.execute("PRAGMA foreign_keys = OFF")  # keep a case even if its mention was on a lost page
        tables = [
            r[0]
            for r in dest.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'mentions_fts%' "
                "AND name NOT LIKE 'sqlite_%' AND name != '_migrations' ORDER BY rowid"
            )
        ]
        for table in tables:
            if table not in src_tables:
                continue
            try:
                src_cols = {r[1] for r in src.execute(f"PRAGMA table_info({table})")}
            except sqlite3.DatabaseError:
                report[table] = {"rows": 0, "damaged_stretches": 1}
                continue
            names = [r[1] for r in dest.conn.execute(f"PRAGMA table_info({table})") if r[1] in src_cols]
            cols = ", ".join(names)
            insert = f"INSERT OR IGNORE INTO {table} ({cols}) VALUES ({', '.join('?' for _ in names)})"
            copied = damaged = 0
            after: int | None = -(2**63)
            while after is not None:
                chunk, hit_damage = _read_chunk(src, table, cols, after)
                if chunk:
                    with dest.transaction() as conn:
                        copied += conn.executemany(insert, (row[1:] for row in chunk)).rowcount
                    after = chunk[-1][0]
                if hit_damage:  # skip past the damaged stretch; every probe or chunk moves `after` forward
                    damaged += 1
                    after = _next_readable(src, table, cols, after)
                elif len(chunk) < _SALVAGE_CHUNK:
                    break
            report[table] = {"rows": copied, "damaged_stretches": damaged}
        dest.conn.execute("PRAGMA foreign_keys = ON")
    src.close()
    return report
