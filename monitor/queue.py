"""The fairness rule: one queue for every complaint, ordered by SLA deadline with a bounded reach boost.

    due   = first_seen + SLA(severity)                      (config.sla_for)
    boost = max_reach_boost * min(1, spread_part + follower_part)          0 <= boost <= max_reach_boost
        spread_part   = (1 - follower_boost_share) * v / (v + spread_half_velocity)
        v             = (likes + reposts + replies) / max(fetched_at - created_at, spread_min_age)  [per minute]
        follower_part = follower_boost_share * min(1, log10(1 + followers) / 6)
    key   = due - boost

Service order: escalated cases first (oldest escalation first), then ascending key, ties by first_seen,
then platform, then id. Because 0 <= boost <= max_reach_boost, whenever a (not escalated) is served
before b (not escalated), due(a) <= due(b) + max_reach_boost, whatever their follower counts: reach
buys a head start of at most max_reach_boost and no complaint can be overtaken indefinitely.

The boost is measured from what was observed at fetch time, so a case's key never changes while it
waits: the order does not depend on `now` (only the "due in" shown does). Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.config import Config, FairnessConfig
from monitor.timeutil import format_duration, to_iso

FULL_FOLLOWER_BOOST_AT = 1_000_000  # the follower part saturates here (log10 = 6)


@dataclass(frozen=True, slots=True)
class QueueCase:
    """An open case as the ranking sees it (a row of cases joined with its mention)."""

    id: int
    platform: str
    mention_id: str
    severity: int
    first_seen: datetime
    due_at: datetime
    state: str = "new"
    brand: str | None = None
    followers: int | None = None
    verified: bool = False
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    posted_at: datetime | None = None  # mention created_at
    observed_at: datetime | None = None  # mention fetched_at: when likes/reposts/replies were counted
    escalated: bool = False
    escalated_at: datetime | None = None
    escalation_reason: str | None = None
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    author_handle: str | None = None
    text: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class RankedCase:
    case: QueueCase
    position: int  # 1-based place in service order
    key: datetime
    boost: timedelta
    velocity: float  # interactions per minute at observation
    why: str

    def due_in(self, now: datetime) -> timedelta:
        return self.case.due_at - now

    def as_dict(self, now: datetime, *, blind: bool) -> dict[str, Any]:
        """JSON view; with blind=True follower counts and badges are left out (blind triage)."""
        c = self.case
        out: dict[str, Any] = {
            "position": self.position,
            "id": c.id,
            "platform": c.platform,
            "mention_id": c.mention_id,
            "brand": c.brand,
            "severity": c.severity,
            "state": c.state,
            "first_seen": to_iso(c.first_seen),
            "due_at": to_iso(c.due_at),
            "due_in_seconds": int(self.due_in(now).total_seconds()),
            "key": to_iso(self.key),
            "boost_seconds": int(self.boost.total_seconds()),
            "spread_per_min": round(self.velocity, 3),
            "escalated": c.escalated,
            "escalation_reason": c.escalation_reason,
            "why": self.why,
            "text": c.text,
            "url": c.url,
        }
        if not blind:
            out.update(author_handle=c.author_handle, followers=c.followers, verified=c.verified)
        return out


def velocity(case: QueueCase, fairness: FairnessConfig) -> float:
    """Interactions per minute between posting and the moment they were counted."""
    interactions = max(0, case.likes) + max(0, case.reposts) + max(0, case.replies)
    if interactions == 0:
        return 0.0
    age = fairness.spread_min_age
    if case.posted_at is not None and case.observed_at is not None:
        age = max(age, case.observed_at - case.posted_at)
    minutes = max(age.total_seconds() / 60.0, 1 / 60)
    return interactions / minutes


def reach_boost(case: QueueCase, fairness: FairnessConfig) -> tuple[timedelta, float]:
    """(boost, velocity): the head start reach buys, whole seconds, 0 <= boost <= max_reach_boost."""
    v = velocity(case, fairness)
    share = fairness.follower_boost_share
    spread_part = (1.0 - share) * v / (v + fairness.spread_half_velocity)
    followers = max(0, case.followers or 0)
    follower_part = share * min(1.0, math.log10(1 + followers) / math.log10(FULL_FOLLOWER_BOOST_AT))
    fraction = min(1.0, max(0.0, spread_part + follower_part))
    seconds = math.floor(fairness.max_reach_boost.total_seconds() * fraction)
    return timedelta(seconds=seconds), v


def sort_key(case: QueueCase, key: datetime) -> tuple[Any, ...]:
    """Escalated first (oldest escalation first), then key, first_seen, platform, id."""
    if case.escalated:
        esc = case.escalated_at or case.first_seen
        return (0, esc, key, case.first_seen, case.platform, case.id)
    return (1, key, key, case.first_seen, case.platform, case.id)


def _why(case: QueueCase, now: datetime, boost: timedelta, v: float) -> str:
    parts = [f"sev {case.severity}"]
    if case.escalated:
        reason = f": {case.escalation_reason}" if case.escalation_reason else ""
        parts.insert(0, f"escalated{reason}")
    left = case.due_at - now
    parts.append(f"due in {format_duration(left)}" if left >= timedelta(0) else f"overdue {format_duration(-left)}")
    if boost >= timedelta(minutes=1):
        label = "spread" if v > 0 else "reach"
        parts.append(f"+{format_duration(boost)} {label} boost")
    if case.state == "claimed" and case.claimed_by:
        parts.append(f"claim by {case.claimed_by} expired")
    return " · ".join(parts)


def rank(cases: Iterable[QueueCase], now: datetime, config: Config, limit: int | None = None) -> list[RankedCase]:
    """The given cases in service order (the first `limit` of them), each with its key, boost and a human "why"."""
    scored = []
    for case in cases:
        boost, v = reach_boost(case, config.fairness)
        key = case.due_at - boost
        scored.append((sort_key(case, key), case, key, boost, v))
    scored.sort(key=lambda item: item[0])
    return [  # "why" only for the cases returned: callers often rank many candidates to show a few
        RankedCase(case=case, position=i, key=key, boost=boost, velocity=v, why=_why(case, now, boost, v))
        for i, (_, case, key, boost, v) in enumerate(scored[:limit], start=1)
    ]


def due_for(first_seen: datetime, severity: int | None, config: Config) -> datetime:
    return first_seen + config.sla_for(severity)


def serves_before(a: RankedCase, b: RankedCase) -> bool:
    return sort_key(a.case, a.key) < sort_key(b.case, b.key)


def candidate_horizon(nth_due: datetime, fairness: FairnessConfig) -> datetime:
    """The top N by key can only contain cases due by the N-th smallest due + max_reach_boost."""
    return nth_due + fairness.max_reach_boost


def position_of(case_id: int, ranked: Sequence[RankedCase]) -> int | None:
    for r in ranked:
        if r.case.id == case_id:
            return r.position
    return None
