"""The one JSON shape of a case, printed by every command's --json (queue, next, claim, respond, ...).

Every case has the same keys: the case fields, `due_in_seconds`, and the queue-position fields (position,
key, boost_seconds, spread_per_min, why), which are null when the case was not ranked. The reach fields
(followers, verified) are present only when blind triage allows (monitor.queue.visibility).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.config import FairnessConfig
from monitor.models import Case
from monitor.queue.policies import RankedCase
from monitor.queue.visibility import shows_reach
from monitor.timeutil import to_iso


def _iso(value: datetime | None) -> str | None:
    return to_iso(value) if value is not None else None


def case_json(case: Case, ranked: RankedCase | None, now: datetime, fairness: FairnessConfig) -> dict[str, Any]:
    """The JSON view of one case at `now` (ranked: its place in the queue, if it was ranked)."""
    out: dict[str, Any] = {
        "id": case.id,
        "platform": case.platform,
        "mention_id": case.mention_id,
        "brand": case.brand,
        "severity": case.severity,
        "state": str(case.state),
        "first_seen": to_iso(case.first_seen),
        "due_at": to_iso(case.due_at),
        "due_in_seconds": int((case.due_at - now).total_seconds()),
        "position": ranked.position if ranked else None,
        "key": to_iso(ranked.key) if ranked else None,
        "boost_seconds": int(ranked.boost.total_seconds()) if ranked else None,
        "spread_per_min": round(ranked.velocity, 3) if ranked else None,
        "why": ranked.why if ranked else None,
        "escalated": case.escalated,
        "escalated_at": _iso(case.escalated_at),
        "escalated_by": case.escalated_by,
        "escalation_reason": case.escalation_reason,
        "claimed_by": case.claimed_by,
        "claimed_at": _iso(case.claimed_at),
        "claim_expires_at": _iso(case.claim_expires_at),
        "responded_at": _iso(case.responded_at),
        "responded_by": case.responded_by,
        "resolved_at": _iso(case.resolved_at),
        "dismissed_at": _iso(case.dismissed_at),
        "dismissed_reason": case.dismissed_reason,
        "author_handle": case.author_handle,
        "text": case.text,
        "url": case.url,
    }
    if shows_reach(case, fairness=fairness, now=now):
        out.update(followers=case.followers, verified=case.verified)
    return out
