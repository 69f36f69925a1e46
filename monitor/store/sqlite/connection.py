"""The SQLite connection: opening (WAL, pragmas, migrations), transactions, and sqlite3 errors made readable.

Connections run in autocommit mode and every write is an explicit `BEGIN IMMEDIATE` transaction, so a
poll's mentions, authors, cursor and run record land together or not at all. One connection per thread.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import StoreError
from monitor.store.sqlite.migrations import migrate
from monitor.timeutil import to_iso, utcnow

BUSY_TIMEOUT_MS = 30_000


def _read_only(path: Path) -> bool:
    """True when the store (or, for a new file, its folder) cannot be written: permissions or a read-only mount."""
    target = path if path.exists() else path.parent
    return target.exists() and not os.access(target, os.W_OK)


def translate(exc: sqlite3.Error, path: Path) -> StoreError:
    """One clear StoreError (exit 5) for an environment fault: corrupt, read-only, disk full, locked."""
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


class SqliteConnection:
    """One connection to the store file; the base every SQL mixin of SqliteStore runs on."""

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
            raise translate(exc, self.path) from None
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
            raise translate(exc, self.path) from None
        except StoreError:
            self.conn.close()
            raise

    @property
    def location(self) -> str:
        """The store file, as given (messages name it the way the user typed it)."""
        return str(self.path)

    def close(self) -> None:
        self.conn.close()

    # --- transactions ------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; rolls back on any exception (including KeyboardInterrupt)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
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
                raise translate(exc, self.path) from None
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise translate(exc, self.path) from None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction (deferred BEGIN, no write lock): under WAL every query inside sees the same state.

        sqlite3 errors raised inside the block come out as StoreError too.
        """
        with self.errors():
            self.conn.execute("BEGIN")
        try:
            with self.errors():
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
            raise translate(exc, self.path) from None

    # --- health ------------------------------------------------------------------------------

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
