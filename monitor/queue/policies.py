"""Queue policies: the order in which open cases are served, as objects the live queue and the simulator share.

The fair rule (FairPolicy, the default): one queue for every complaint, ordered by SLA deadline with a
bounded reach boost.

    due   = first_seen + SLA(severity)                      (config.sla_for)
    boost = max_reach_boost * min(1, spread_part + follower_part)          0 <= boost <= max_reach_boost
        spread_part   = (1 - follower_boost_share) * v / (v + spread_half_velocity)
        v             = (likes + reposts + replies) / max(fetched_at - created_at, spread_min_age)  [per minute]
        follower_part = follower_boost_share * min(1, log10(1 + followers) / 6)
    key   = due - boost

Service order: escalated cases first (oldest escalation first), then ascending key, ties by first_seen,
then platform, then id. Because 0 <= boost <= max_reach_boost, whenever a (not escalated) is served
before b (not escalated), due(a) <= due(b) + max_reach_boost, whatever their follower counts: reach
buys a head start of at most max_reach_boost and no complaint can be overtaken indefinitely. The same bound
lets the store prune candidates (`horizon`, `band`): they are valid for this rule only.

The boost is measured from what was observed at fetch time, so a case's key never changes while it
waits: the order does not depend on `now` (only the "due in" shown does). Pure: no clock, no I/O.

FifoPolicy (first seen first) and FollowersPolicy (biggest accounts first, the common practice) are the
baselines the simulator compares against. A new policy is one class (subclass BasePolicy, override `key`),
registered under the entry-point group `complaint_monitor.queue_policies` and selected with
`fairness.policy: NAME`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from monitor.models import Case, CaseState
from monitor.timeutil import format_duration

if TYPE_CHECKING:
    from monitor.config import Config, FairnessConfig

FULL_FOLLOWER_BOOST_AT = 1_000_000  # the follower part saturates here (log10 = 6)
ENTRY_POINT_GROUP = "complaint_monitor.queue_policies"
DEFAULT_POLICY = "fair"


@runtime_checkable
class QueuePolicy(Protocol):
    """A service order for open cases. Pure: the same cases give the same order whatever the clock."""

    name: str

    def key(self, case: Case, fairness: FairnessConfig) -> tuple[Any, ...]:
        """Sort key: smaller is served first. Must be a total order (end with the case id)."""
        ...

    def horizon(self, nth_due: datetime, fairness: FairnessConfig) -> datetime | None:
        """How far past the n-th smallest due_at a non-escalated case can still reach the top n; None when
        no such bound holds (the live queue then ranks every available case)."""
        ...

    def band(self, case: Case, fairness: FairnessConfig) -> tuple[datetime, datetime] | None:
        """(lo, hi): available non-escalated cases due before lo are served before `case`, those due after
        hi after it; None when no such bound holds (the rank of a case is then found among all cases)."""
        ...

    def explain(self, case: Case, key: tuple[Any, ...], now: datetime, fairness: FairnessConfig) -> Explanation:
        """`key` is what key() returned for this case. The case's boost (the head start the policy gives it
        ahead of its deadline; 0 if none), its spread, and a short human "why": "sev 3 · due in 40m · +5m spread
        boost". Only called for the cases shown."""
        ...


@dataclass(frozen=True, slots=True)
class Explanation:
    boost: timedelta
    velocity: float  # interactions per minute at observation
    why: str


@dataclass(frozen=True, slots=True)
class RankedCase:
    case: Case
    position: int  # 1-based place in service order
    key: datetime  # the effective deadline: due_at minus the policy's boost
    boost: timedelta
    velocity: float  # interactions per minute at observation
    why: str

    def due_in(self, now: datetime) -> timedelta:
        return self.case.due_at - now


def velocity(case: Case, fairness: FairnessConfig) -> float:
    """Interactions per minute between posting and the moment they were counted."""
    interactions = max(0, case.likes) + max(0, case.reposts) + max(0, case.replies)
    if interactions == 0:
        return 0.0
    age = fairness.spread_min_age
    if case.posted_at is not None and case.observed_at is not None:
        age = max(age, case.observed_at - case.posted_at)
    minutes = max(age.total_seconds() / 60.0, 1 / 60)
    return interactions / minutes


def reach_boost(case: Case, fairness: FairnessConfig) -> tuple[timedelta, float]:
    """(boost, velocity): the head start reach buys, whole seconds, 0 <= boost <= max_reach_boost."""
    v = velocity(case, fairness)
    share = fairness.follower_boost_share
    spread_part = (1.0 - share) * v / (v + fairness.spread_half_velocity)
    followers = max(0, case.followers or 0)
    follower_part = share * min(1.0, math.log10(1 + followers) / math.log10(FULL_FOLLOWER_BOOST_AT))
    fraction = min(1.0, max(0.0, spread_part + follower_part))
    seconds = math.floor(fairness.max_reach_boost.total_seconds() * fraction)
    return timedelta(seconds=seconds), v


def sort_key(case: Case, key: datetime) -> tuple[Any, ...]:
    """The fair order: escalated first (oldest escalation first), then key, first_seen, platform, id."""
    if case.escalated:
        esc = case.escalated_at or case.first_seen
        return (0, esc, key, case.first_seen, case.platform, case.id)
    return (1, key, key, case.first_seen, case.platform, case.id)


def _escalation(case: Case) -> tuple[Any, ...]:
    return (0, case.escalated_at or case.first_seen, case.first_seen, case.platform, case.id)


def base_why(case: Case, now: datetime) -> list[str]:
    """The parts every policy's explanation starts with: escalation, severity, due in / overdue."""
    parts = [f"sev {case.severity}"]
    if case.escalated:
        reason = f": {case.escalation_reason}" if case.escalation_reason else ""
        parts.insert(0, f"escalated{reason}")
    left = case.due_at - now
    parts.append(f"due in {format_duration(left)}" if left >= timedelta(0) else f"overdue {format_duration(-left)}")
    return parts


def _expired_note(case: Case) -> list[str]:
    return [f"claim by {case.claimed_by} expired"] if case.state == CaseState.CLAIMED and case.claimed_by else []


class BasePolicy:
    """Defaults for a policy without pruning bounds or boost; subclasses set `name` and override `key`."""

    name: str = "base"

    def key(self, case: Case, fairness: FairnessConfig) -> tuple[Any, ...]:
        raise NotImplementedError

    def horizon(self, nth_due: datetime, fairness: FairnessConfig) -> datetime | None:
        return None

    def band(self, case: Case, fairness: FairnessConfig) -> tuple[datetime, datetime] | None:
        return None

    def explain(self, case: Case, key: tuple[Any, ...], now: datetime, fairness: FairnessConfig) -> Explanation:
        why = " · ".join([*base_why(case, now), *_expired_note(case)])
        return Explanation(timedelta(0), velocity(case, fairness), why)


class FairPolicy(BasePolicy):
    """SLA deadline minus a reach boost bounded by fairness.max_reach_boost (see the module docstring)."""

    name: str = "fair"

    def key(self, case: Case, fairness: FairnessConfig) -> tuple[Any, ...]:
        boost, _ = reach_boost(case, fairness)
        return sort_key(case, case.due_at - boost)

    def horizon(self, nth_due: datetime, fairness: FairnessConfig) -> datetime | None:
        # key <= due and key >= due - max_boost: a case due later than this cannot beat the n-th smallest key
        return nth_due + fairness.max_reach_boost

    def band(self, case: Case, fairness: FairnessConfig) -> tuple[datetime, datetime] | None:
        boost, _ = reach_boost(case, fairness)
        key = case.due_at - boost
        return key, key + fairness.max_reach_boost

    def explain(self, case: Case, key: tuple[Any, ...], now: datetime, fairness: FairnessConfig) -> Explanation:
        boost = case.due_at - key[2]  # sort_key puts due - boost third, escalated or not
        v = velocity(case, fairness)
        parts = base_why(case, now)
        if boost >= timedelta(minutes=1):
            label = "spread" if v > 0 else "reach"
            parts.append(f"+{format_duration(boost)} {label} boost")
        return Explanation(boost, v, " · ".join([*parts, *_expired_note(case)]))


class FifoPolicy(BasePolicy):
    """First seen, first served (escalations still first)."""

    name: str = "fifo"

    def key(self, case: Case, fairness: FairnessConfig) -> tuple[Any, ...]:
        if case.escalated:
            return _escalation(case)
        return (1, case.first_seen, case.platform, case.id)


class FollowersPolicy(BasePolicy):
    """Biggest accounts first, then first seen (escalations still first): the common practice."""

    name: str = "followers"

    def key(self, case: Case, fairness: FairnessConfig) -> tuple[Any, ...]:
        if case.escalated:
            return _escalation(case)
        return (1, -(case.followers or 0), case.first_seen, case.platform, case.id)


BUILTIN: dict[str, QueuePolicy] = {p.name: p for p in (FairPolicy(), FifoPolicy(), FollowersPolicy())}


@cache
def _plugins() -> dict[str, QueuePolicy]:
    """Policies other distributions register under ENTRY_POINT_GROUP (a class or an instance each)."""
    found: dict[str, QueuePolicy] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        policy = obj() if isinstance(obj, type) else obj
        if not isinstance(policy, QueuePolicy):
            raise TypeError(f"entry point {ep.name} = {ep.value} is not a queue policy")
        found.setdefault(ep.name, policy)
    return found


def policies() -> dict[str, QueuePolicy]:
    """Every installed policy by name: the built-in ones first, then plug-ins."""
    return {**BUILTIN, **{n: p for n, p in _plugins().items() if n not in BUILTIN}}


def policy_names() -> list[str]:
    return list(policies())


def get_policy(name: str) -> QueuePolicy:
    """The policy registered under `name` (built-ins are found without reading entry points)."""
    if name in BUILTIN:
        return BUILTIN[name]
    try:
        return _plugins()[name]
    except KeyError:
        raise KeyError(f"unknown queue policy {name!r}; choose one of: {', '.join(policy_names())}") from None


def configured_policy(config: Config) -> QueuePolicy:
    return get_policy(config.fairness.policy)


def rank(
    cases: Iterable[Case], now: datetime, config: Config, limit: int | None = None, *, policy: QueuePolicy | None = None
) -> list[RankedCase]:
    """The given cases in service order (the first `limit` of them), each with its key, boost and a human "why".

    policy: the configured one (fairness.policy) unless given.
    """
    pol = policy or configured_policy(config)
    fairness = config.fairness
    scored = sorted(((pol.key(c, fairness), c) for c in cases), key=lambda item: item[0])
    out = []
    for i, (key, case) in enumerate(scored[:limit], start=1):  # explained only for the cases returned
        e = pol.explain(case, key, now, fairness)
        out.append(RankedCase(case, i, case.due_at - e.boost, e.boost, e.velocity, e.why))
    return out


def ranked(
    case: Case, position: int, now: datetime, config: Config, *, policy: QueuePolicy | None = None
) -> RankedCase:
    """One case at a known position (e.g. its rank when it was claimed), with its boost and "why"."""
    pol = policy or configured_policy(config)
    e = pol.explain(case, pol.key(case, config.fairness), now, config.fairness)
    return RankedCase(case, position, case.due_at - e.boost, e.boost, e.velocity, e.why)
