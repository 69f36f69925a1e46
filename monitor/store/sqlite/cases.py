"""SQL of the case lifecycle and the queue (opening, claiming, transitions, queue candidates, audit rows).

A mixin of SqliteStore: its methods run on the store's connection and transactions.
"""

from __future__ import annotations


class CaseSql:
    """Case and queue operations of SqliteStore."""
