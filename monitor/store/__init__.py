"""The store boundary: `Store` (the protocol every backend implements) and `open_store` (pick a backend).

All SQL lives below this package; nothing outside it imports sqlite3 or runs a statement.
"""

from __future__ import annotations

from pathlib import Path

from monitor.store.sqlite import InsertResult, PollRun, SqliteStore, salvage

# Transitional: `Store(path)` still constructs the SQLite backend until every caller uses open_store().
Store = SqliteStore

__all__ = ["InsertResult", "PollRun", "SqliteStore", "Store", "open_store", "salvage"]


def open_store(target: str | Path, *, migrate_schema: bool = True) -> SqliteStore:
    """Open the store at `target`: a SQLite file path (or "sqlite:///path"). Other backends come later."""
    text = str(target)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return SqliteStore(text, migrate_schema=migrate_schema)
