"""The SQLite backend of the Store boundary: SqliteStore, composed of one SQL mixin per concern.

connection (opening, transactions, errors, check) · mentions · polls (cursors, connector state, quota,
reach) · status · pipeline (verdicts and opened cases) · feed (stream, search) · digests · cases (the
case lifecycle and queue) · salvage (recovering a damaged file).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

from monitor.store.records import InsertResult, PollRun
from monitor.store.sqlite.cases import CaseSql
from monitor.store.sqlite.connection import BUSY_TIMEOUT_MS
from monitor.store.sqlite.digests import DigestSql
from monitor.store.sqlite.feed import FeedSql
from monitor.store.sqlite.pipeline import PipelineSql
from monitor.store.sqlite.salvage import salvage
from monitor.store.sqlite.status import StatusSql

if TYPE_CHECKING:
    from monitor.store.protocol import Store

__all__ = ["BUSY_TIMEOUT_MS", "InsertResult", "PollRun", "SqliteStore", "salvage"]


class SqliteStore(CaseSql, PipelineSql, FeedSql, DigestSql, StatusSql):
    """One connection to a SQLite store file. Not shared across threads: open one per thread."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Transitional, for the case and queue tests only (not part of the Store protocol): the lead removes it
        once those tests read their counts through their own sqlite3 connection."""
        with self.errors():
            return int(self.conn.execute(sql, params).fetchone()[0])


if TYPE_CHECKING:

    def _implements_the_protocol(store: SqliteStore) -> Store:
        return store  # mypy checks here that SqliteStore has every Store operation with the same types
