"""The pipeline's SQL: unclassified mentions out; verdicts and the cases of complaints in, one transaction per batch.

Writing the verdict and opening the case together means a crash leaves every mention either fully
processed or untouched. Cases are UNIQUE per mention, so re-running never opens a second one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from monitor.store.records import ClassifiedMention, NewCase, PendingMention, SavedVerdicts
from monitor.store.sqlite.connection import SqliteConnection
from monitor.timeutil import to_iso

SYSTEM_ACTOR = "system"

_SELECT_PENDING = """
    SELECT platform, id, text, lang, brand, min(created_at, fetched_at), author_followers
    FROM mentions WHERE model_version IS NULL ORDER BY fetched_at, platform, id LIMIT ?
"""
_WRITE_VERDICT = """
    UPDATE mentions SET language = ?, complaint = ?, score = ?, severity = ?, reasons = ?, signals = ?,
        model_version = ?, classified_at = ?
    WHERE platform = ? AND id = ? AND model_version IS NULL
"""


def _open_case(conn: sqlite3.Connection, platform: str, mention_id: str, case: NewCase, *, now: datetime) -> int | None:
    """Open a case and its `open` event inside the caller's transaction; None if the mention already has one."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO cases (platform, mention_id, brand, severity, state, first_seen, due_at, "
        "author_followers, updated_at) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?)",
        (
            platform,
            mention_id,
            case.brand,
            case.severity,
            to_iso(case.first_seen),
            to_iso(case.due_at),
            case.followers,
            to_iso(now),
        ),
    )
    if cur.rowcount == 0:
        return None
    case_id = int(cur.lastrowid or 0)
    detail = {"severity": case.severity, "due_at": to_iso(case.due_at)}
    conn.execute(
        "INSERT INTO events (case_id, at, actor, action, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (case_id, to_iso(now), SYSTEM_ACTOR, "open", None, "new", json.dumps(detail, sort_keys=True)),
    )
    return case_id


class PipelineSql(SqliteConnection):
    def pending_mentions(self, limit: int) -> list[PendingMention]:
        """Up to `limit` unclassified mentions, oldest fetched first (partial index mentions_unclassified)."""
        with self.errors():
            rows = self.conn.execute(_SELECT_PENDING, (limit,)).fetchall()
        return [
            PendingMention(platform, mid, text, lang, brand, datetime.fromisoformat(first_seen), followers)
            for platform, mid, text, lang, brand, first_seen, followers in rows
        ]

    def save_verdicts(self, model_version: str, items: Sequence[ClassifiedMention], *, now: datetime) -> SavedVerdicts:
        """Write the verdicts and open the cases of complaints, all in one transaction.

        A mention classified meanwhile (by another process) is skipped, case included.
        """
        classified = complaints = 0
        opened: list[int] = []
        stamp = to_iso(now)
        with self.errors(), self.transaction() as conn:
            for item in items:
                v = item.verdict
                changed = conn.execute(
                    _WRITE_VERDICT,
                    (
                        v.language,
                        int(v.complaint),
                        v.score,
                        v.severity if v.complaint else None,
                        json.dumps(list(v.reasons), ensure_ascii=False),
                        json.dumps(v.signals, sort_keys=True),
                        model_version,
                        stamp,
                        item.platform,
                        item.id,
                    ),
                ).rowcount
                if not changed:
                    continue
                classified += 1
                if v.complaint:
                    complaints += 1
                if item.case is not None:
                    case_id = _open_case(conn, item.platform, item.id, item.case, now=now)
                    if case_id is not None:
                        opened.append(case_id)
        return SavedVerdicts(classified, complaints, cases_opened=len(opened), case_ids=tuple(opened))

    def reset_verdicts(self, except_version: str) -> int:
        """Mark verdicts of other model versions as unclassified; returns how many mentions were reset."""
        with self.errors(), self.transaction() as conn:
            return conn.execute(
                "UPDATE mentions SET model_version = NULL, classified_at = NULL "
                "WHERE model_version IS NOT NULL AND model_version != ?",
                (except_version,),
            ).rowcount
