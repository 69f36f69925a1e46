"""The fairness audit: does a 40-follower complaint get answered as fast as a 400k-follower one?

`audit(cases, events, since=, until=, now=, config=)` is pure (monitor.models.Case and CaseEvent);
`audit_store(store, config, since=, until=, now=)` reads the window from the store and calls it. The digest
and the feed use `audit_store`.

Definitions (also in docs/queue.md):
- A case belongs to the window when since <= first_seen < until; its tier comes from the author's follower
  count when the case was opened (tiers from fairness.follower_tiers; "unknown" when the platform hid it).
- TTFR (time to first response) = responded_at - first_seen, for answered cases (as known at `now`).
- share_answered = answered / (complaints - dismissed). Dismissed cases are shown per tier, not hidden.
- share_within_sla = answered by due_at / decided cases, where decided = answered, or unanswered and past
  due at `now` (an open case that is not yet due has not missed anything yet).
- median: the statistics median; p90: nearest rank (the ceil(0.9 n)-th smallest).
- parity = slowest tier's median TTFR / fastest tier's, over tiers with at least one answered case
  (the unknown tier excluded); None with fewer than two such tiers or a zero fastest median.
- out-of-order picks: `claim` events in [since, until) whose detail has out_of_order=true, by agent;
  escalations: `escalate` events in [since, until), by agent.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.config import Config
from monitor.models import Case, CaseEvent, CaseState
from monitor.store.protocol_cases import CaseStore
from monitor.timeutil import to_iso

UNKNOWN_TIER = "unknown"


@dataclass(frozen=True, slots=True)
class TierFigures:
    tier: str
    complaints: int
    answered: int
    within_sla: int
    decided: int
    dismissed: int
    still_open: int
    escalated: int
    median_ttfr: timedelta | None
    p90_ttfr: timedelta | None

    @property
    def share_answered(self) -> float | None:
        base = self.complaints - self.dismissed
        return self.answered / base if base else None

    @property
    def share_within_sla(self) -> float | None:
        return self.within_sla / self.decided if self.decided else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "complaints": self.complaints,
            "answered": self.answered,
            "share_answered": _round(self.share_answered),
            "share_within_sla": _round(self.share_within_sla),
            "median_ttfr_seconds": _secs(self.median_ttfr),
            "p90_ttfr_seconds": _secs(self.p90_ttfr),
            "still_open": self.still_open,
            "dismissed": self.dismissed,
            "escalated": self.escalated,
        }


@dataclass(frozen=True, slots=True)
class AuditReport:
    since: datetime
    until: datetime
    now: datetime
    tiers: list[TierFigures]
    parity: float | None
    slowest_tier: str | None
    fastest_tier: str | None
    out_of_order_by_agent: dict[str, int]
    escalations_by_agent: dict[str, int]

    @property
    def complaints(self) -> int:
        return sum(t.complaints for t in self.tiers)

    def tier(self, name: str) -> TierFigures:
        return next(t for t in self.tiers if t.tier == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": to_iso(self.since),
            "until": to_iso(self.until),
            "now": to_iso(self.now),
            "complaints": self.complaints,
            "parity": _round(self.parity),
            "slowest_tier": self.slowest_tier,
            "fastest_tier": self.fastest_tier,
            "tiers": [t.as_dict() for t in self.tiers],
            "out_of_order_by_agent": self.out_of_order_by_agent,
            "escalations_by_agent": self.escalations_by_agent,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _secs(d: timedelta | None) -> int | None:
    return None if d is None else int(d.total_seconds())


def tier_names(bounds: Sequence[int]) -> list[str]:
    """[100, 1000] -> ["<100", "100-1k", ">=1k"]."""
    names = [f"<{_short(bounds[0])}"]
    names += [f"{_short(a)}-{_short(b)}" for a, b in itertools.pairwise(bounds)]
    names.append(f">={_short(bounds[-1])}")
    return names


def _short(n: int) -> str:
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)


def tier_of(followers: int | None, bounds: Sequence[int], names: Sequence[str] | None = None) -> str:
    """The tier label; pass `names` (tier_names(bounds)) when labelling many cases."""
    if followers is None:
        return UNKNOWN_TIER
    names = names or tier_names(bounds)
    for i, bound in enumerate(bounds):
        if followers < bound:
            return names[i]
    return names[-1]


def p90(values: Sequence[timedelta]) -> timedelta:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _median(values: Sequence[timedelta]) -> timedelta:
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _tier_figures(name: str, cases: Sequence[Case], now: datetime) -> TierFigures:
    ttfr: list[timedelta] = []
    within = decided = dismissed = still_open = escalated = 0
    for c in cases:
        escalated += c.escalated
        if c.responded_at is not None:
            ttfr.append(c.responded_at - c.first_seen)
            decided += 1
            within += c.responded_at <= c.due_at
            continue
        if c.state == CaseState.DISMISSED:
            dismissed += 1
            continue
        if c.is_open:
            still_open += 1
        if now > c.due_at:
            decided += 1
    return TierFigures(
        tier=name,
        complaints=len(cases),
        answered=len(ttfr),
        within_sla=within,
        decided=decided,
        dismissed=dismissed,
        still_open=still_open,
        escalated=escalated,
        median_ttfr=_median(ttfr) if ttfr else None,
        p90_ttfr=p90(ttfr) if ttfr else None,
    )


def audit(
    cases: Iterable[Case],
    events: Iterable[CaseEvent],
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    config: Config,
) -> AuditReport:
    """Per-tier figures, parity and per-agent counts for cases first seen in [since, until)."""
    bounds = config.fairness.follower_tiers
    names = tier_names(bounds)
    by_tier: dict[str, list[Case]] = {n: [] for n in [*names, UNKNOWN_TIER]}
    for c in cases:
        if since <= c.first_seen < until:
            by_tier[tier_of(c.followers, bounds, names)].append(c)
    tiers = [_tier_figures(n, by_tier[n], now) for n in names]
    if by_tier[UNKNOWN_TIER]:
        tiers.append(_tier_figures(UNKNOWN_TIER, by_tier[UNKNOWN_TIER], now))
    measured = [t for t in tiers if t.tier != UNKNOWN_TIER and t.median_ttfr is not None]
    parity = slowest = fastest = None
    if len(measured) >= 2:
        slow = max(measured, key=lambda t: t.median_ttfr or timedelta(0))
        fast = min(measured, key=lambda t: t.median_ttfr or timedelta(0))
        slowest, fastest = slow.tier, fast.tier
        if fast.median_ttfr and fast.median_ttfr > timedelta(0) and slow.median_ttfr is not None:
            parity = slow.median_ttfr / fast.median_ttfr
    out_of_order: Counter[str] = Counter()
    escalations: Counter[str] = Counter()
    for e in events:
        if not since <= e.at < until:
            continue
        if e.action == "claim" and e.detail.get("out_of_order"):
            out_of_order[e.actor] += 1
        elif e.action == "escalate":
            escalations[e.actor] += 1
    return AuditReport(
        since=since,
        until=until,
        now=now,
        tiers=tiers,
        parity=parity,
        slowest_tier=slowest,
        fastest_tier=fastest,
        out_of_order_by_agent=dict(sorted(out_of_order.items())),
        escalations_by_agent=dict(sorted(escalations.items())),
    )


def audit_store(store: CaseStore, config: Config, *, since: datetime, until: datetime, now: datetime) -> AuditReport:
    """The audit of cases first seen in [since, until), as known at `now` (stable API: digest, feed)."""
    cases, events = store.audit_rows(since, until)
    return audit(cases, events, since=since, until=until, now=now, config=config)
