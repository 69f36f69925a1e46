"""Salvage: copy every readable row of a damaged SQLite store into a new one (`monitor recover`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from monitor.errors import StoreError
from monitor.store.sqlite.connection import SqliteConnection

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
    dest = SqliteConnection(dest_path)
    try:
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
    finally:
        dest.close()
        src.close()
    return report
