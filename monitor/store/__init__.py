"""The store boundary: `Store` (the protocol every backend implements) and `open_store` (pick a backend).

All SQL lives below this package; nothing outside it imports sqlite3 or runs a statement.
"""

from __future__ import annotations

import re
from pathlib import Path

from monitor.errors import ConfigError
from monitor.store.protocol import Store
from monitor.store.records import (
    CaseRow,
    ClassifiedMention,
    ConnectorState,
    DayRows,
    DigestSent,
    InsertResult,
    MentionRow,
    MentionView,
    NewCase,
    PendingMention,
    PollActivity,
    PollRun,
    PollSummary,
    SavedVerdicts,
    StoreStatus,
)
from monitor.store.sqlite import SqliteStore, salvage

__all__ = [
    "CaseRow",
    "ClassifiedMention",
    "ConnectorState",
    "DayRows",
    "DigestSent",
    "InsertResult",
    "MentionRow",
    "MentionView",
    "NewCase",
    "PendingMention",
    "PollActivity",
    "PollRun",
    "PollSummary",
    "SavedVerdicts",
    "SqliteStore",
    "Store",
    "StoreStatus",
    "open_store",
    "salvage",
]

_SQLITE_PREFIX = "sqlite:///"  # sqlite:///relative.db, sqlite:////absolute/path.db
# a URL scheme (two characters at least, so a Windows drive letter "C:/" stays a path); one slash is enough
# to notice a URL that went through pathlib.Path, which folds "//" into "/"
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")


def open_store(target: str | Path, *, migrate_schema: bool = True) -> Store:
    """Open the store at `target`: a SQLite file path, or a "sqlite:///path" URL.

    A PostgreSQL URL raises ConfigError: that backend is not installed yet.
    """
    text = str(target)
    url = _URL.match(text)
    if url:
        scheme = url.group(1).lower()  # never the whole URL in a message: it may hold a password
        if text[: len(_SQLITE_PREFIX)].lower() == _SQLITE_PREFIX:
            text = text[len(_SQLITE_PREFIX) :]
        elif scheme.startswith("postgres"):
            raise ConfigError(
                "store: PostgreSQL stores are not supported yet (that backend is not installed); "
                "use a SQLite file path such as data/store.db"
            )
        elif scheme == "sqlite":
            raise ConfigError("store: a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db")
        else:
            raise ConfigError(f"store: {scheme}: stores are not supported; use a SQLite file path or sqlite:///path")
    return SqliteStore(text, migrate_schema=migrate_schema)
