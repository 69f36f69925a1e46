"""Compatibility path: the case lifecycle lives in monitor.queue.cases, the SQL behind monitor.store.

`open_case` stays here until it moves into the store (another change); the rest is re-exported for the
callers outside the queue (the pipeline, the feed, the benchmarks).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from monitor.config import Config
from monitor.queue.cases import (
    Claimed,
    case_events,
    claim,
    dismiss,
    escalate,
    get_case,
    next_case,
    rank_of,
    release,
    resolve,
    respond,
    top,
)
from monitor.timeutil import to_iso

__all__ = [
    "Claimed",
    "case_events",
    "claim",
    "dismiss",
    "escalate",
    "get_case",
    "next_case",
    "open_case",
    "rank_of",
    "release",
    "resolve",
    "respond",
    "top",
]

SYSTEM_ACTOR = "system"


def _event(
    conn: sqlite3.Connection, case_id: int, *, now: datetime, actor: str, action: str,
    from_state: str | None, to_state: str | None, detail: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO events (case_id, at, actor, action, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (case_id, to_iso(now), actor, action, from_state, to_state,
         json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None),
    )  # fmt: skip


# --- opening -----------------------------------------------------------------------------------


def open_case(
    conn: sqlite3.Connection, config: Config, *, platform: str, mention_id: str, brand: str | None,
    severity: int | None, first_seen: datetime, followers: int | None, now: datetime,
) -> int | None:  # fmt: skip
    """Open a case inside the caller's transaction; None if the mention already has one (idempotent)."""
    sev = severity if severity in config.sla else 1
    due = first_seen + config.sla_for(sev)
    cur = conn.execute(
        "INSERT OR IGNORE INTO cases (platform, mention_id, brand, severity, state, first_seen, due_at, "
        "author_followers, updated_at) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?)",
        (platform, mention_id, brand, sev, to_iso(first_seen), to_iso(due), followers, to_iso(now)),
    )
    if cur.rowcount == 0:
        return None
    case_id = int(cur.lastrowid or 0)
    _event(conn, case_id, now=now, actor=SYSTEM_ACTOR, action="open", from_state=None, to_state="new",
           detail={"severity": sev, "due_at": to_iso(due)})  # fmt: skip
    return case_id


