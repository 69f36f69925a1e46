"""The case and queue half of the Store boundary (see monitor.store.protocol)."""

from __future__ import annotations

from typing import Protocol


class CaseStore(Protocol):
    """Case lifecycle and queue operations every store backend implements."""
