"""The Store boundary: every operation the rest of the code needs from a store, and nothing backend-specific.

SQLite (monitor.store.sqlite) implements it today; a PostgreSQL backend implements the same protocol.
No SQL, connection or cursor object crosses this boundary.
"""

from __future__ import annotations

from typing import Protocol

from monitor.store.protocol_cases import CaseStore


class Store(CaseStore, Protocol):
    """A connection to one store. Not shared across threads: open one per thread."""
