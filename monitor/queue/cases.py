"""Case lifecycle: claim, next, release, respond, resolve, dismiss, escalate (expiry happens on every write).

Every transition is one store write transaction that first returns expired claims to the queue, then
checks the rules below against the case as it is now, and writes the case and one `events` row (actor,
action, from/to state, detail JSON), so the audit trail and the state never disagree and two agents can
never claim the same case. States (monitor.models.CaseState):

    new ──claim/next──▶ claimed ──respond──▶ responded ──resolve──▶ resolved
     ▲  ◀──release/expire──┘  │                               ▲
     │                        └──────────resolve──────────────┘
     └─ new/claimed ──dismiss──▶ dismissed;  new/claimed ──escalate──▶ same state, jumps the line

The queue is the unclaimed open cases: state 'new', plus 'claimed' ones whose claim has expired. The store
reads the candidates (pruned by the policy's horizon); the policy (monitor.queue.policies) decides the order.
The rules here are pure; the SQL is in monitor.store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor.config import Config
from monitor.errors import ConflictError, UsageError
from monitor.models import OPEN_STATES, Case, CaseAction, CaseEvent, CaseState, MentionFilter, Transition
from monitor.queue.policies import QueuePolicy, RankedCase, configured_policy, rank
from monitor.store.protocol_cases import CaseStore
from monitor.timeutil import to_iso

_ANSWERABLE = frozenset({CaseState.NEW, CaseState.CLAIMED, CaseState.RESPONDED})


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claim as written: the case, and the claim event's detail (via, rank, out_of_order, top_case; or renewed)."""

    case: Case
    detail: dict[str, Any]

    @property
    def rank(self) -> int | None:
        value = self.detail.get("rank")
        return value if isinstance(value, int) else None


# --- reading the queue -------------------------------------------------------------------------


def _candidates(
    store: CaseStore, policy: QueuePolicy, config: Config, *, now: datetime, limit: int, flt: MentionFilter | None
) -> list[Case]:
    """The available cases that can reach the top `limit` under `policy` (all of them without a horizon)."""
    nth = store.nth_available_due(now, limit, flt)
    horizon = policy.horizon(nth, config.fairness) if nth is not None else None
    if horizon is None:
        return store.available_cases(now, flt=flt)
    near = store.available_cases(now, due_by=horizon, flt=flt)
    # escalations jump the line whatever their deadline: the few due later are added from their own index
    late = store.available_cases(now, escalated=True, due_after=horizon, flt=flt)
    return near + late


def top(
    store: CaseStore, config: Config, *, now: datetime, limit: int = 50, flt: MentionFilter | None = None
) -> list[RankedCase]:
    """The first `limit` unclaimed open cases (matching `flt`) in service order (read-only)."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    policy = configured_policy(config)
    candidates = _candidates(store, policy, config, now=now, limit=limit, flt=flt)
    return rank(candidates, now, config, limit, policy=policy)


def rank_of(store: CaseStore, config: Config, case: Case, *, now: datetime) -> int:
    """1-based service position of an available case, without ranking the whole queue when the policy has a band."""
    policy = configured_policy(config)
    escalated = store.available_cases(now, escalated=True)
    band = None if case.escalated else policy.band(case, config.fairness)
    if band is None:
        everyone = escalated if case.escalated else store.available_cases(now)
        ranked = rank([*(c for c in everyone if c.id != case.id), case], now, config, policy=policy)
        return next(r.position for r in ranked if r.case.id == case.id)
    lo, hi = band
    # due before lo means served before the case whatever the boost: strictly ahead, counted by the index alone
    definite = store.count_available(now, due_before=lo)
    near = store.available_cases(now, due_from=lo, due_by=hi, escalated=False, exclude=case.id)
    ranked = rank([*near, case], now, config, policy=policy)
    ahead_in_band = next(r.position for r in ranked if r.case.id == case.id) - 1
    return len(escalated) + definite + ahead_in_band + 1


def get_case(store: CaseStore, case_id: int) -> Case:
    return store.case(case_id)


def case_events(store: CaseStore, case_id: int) -> list[CaseEvent]:
    return store.case_events(case_id)


# --- transitions -------------------------------------------------------------------------------


def check_agent(agent: str) -> None:
    if not agent or not agent.strip():
        raise UsageError("an agent name is needed (--agent, $MONITOR_AGENT)")


def _unclaimed(case: Case, state: CaseState) -> Case:
    """The case in `state`; any state but claimed drops the claim."""
    if state == CaseState.CLAIMED:
        return replace(case, state=state)
    return replace(case, state=state, claimed_by=None, claimed_at=None, claim_expires_at=None)


def _claim(case: Case, agent: str, now: datetime, config: Config, detail: dict[str, Any]) -> Transition:
    until = now + config.fairness.claim_timeout
    if case.state == CaseState.CLAIMED:  # a renewal keeps the holder and the start
        after = replace(case, claim_expires_at=until)
    else:
        after = replace(case, state=CaseState.CLAIMED, claimed_by=agent, claimed_at=now, claim_expires_at=until)
    return Transition(case, after, agent, CaseAction.CLAIM, now, detail)


def next_case(store: CaseStore, config: Config, *, agent: str, now: datetime) -> RankedCase | None:
    """Atomically claim the top unclaimed case for `agent`; None when the queue is empty."""
    check_agent(agent)
    picked: list[RankedCase] = []

    def decide() -> Transition | None:
        top1 = top(store, config, now=now, limit=1)
        if not top1:
            return None
        picked.append(top1[0])
        return _claim(top1[0].case, agent, now, config, {"via": "next", "rank": 1})

    claimed = store.transition(now, decide)
    if claimed is None:
        return None
    top1 = picked[0]
    return RankedCase(claimed, top1.position, top1.key, top1.boost, top1.velocity, top1.why)


def claim(store: CaseStore, config: Config, case_id: int, *, agent: str, now: datetime) -> Claimed:
    """Claim a specific case. Allowed out of order, but then logged with out_of_order=true and its rank.

    Re-claiming one's own live claim renews it; a live claim by someone else is a conflict.
    """
    check_agent(agent)
    details: list[dict[str, Any]] = []

    def decide() -> Transition:
        case = store.case(case_id)  # claims that expired at `now` are already back in the queue
        if case.state == CaseState.CLAIMED:
            if case.claimed_by != agent:
                expires = to_iso(case.claim_expires_at) if case.claim_expires_at else "?"
                raise ConflictError(f"case {case_id} is claimed by {case.claimed_by} until {expires}")
            details.append({"renewed": True})
            return _claim(case, agent, now, config, details[0])
        if case.state != CaseState.NEW:
            raise ConflictError(f"case {case_id} is {case.state}; only new cases can be claimed")
        top1 = top(store, config, now=now, limit=1)
        detail: dict[str, Any] = {"via": "claim", "rank": 1}
        if top1 and top1[0].case.id != case_id:
            detail = {
                "via": "claim",
                "out_of_order": True,
                "rank": rank_of(store, config, case, now=now),
                "top_case": top1[0].case.id,
            }
        details.append(detail)
        return _claim(case, agent, now, config, detail)

    claimed = store.transition(now, decide)
    assert claimed is not None
    return Claimed(claimed, details[0])


def _change(
    store: CaseStore,
    case_id: int,
    *,
    agent: str,
    now: datetime,
    action: CaseAction,
    allowed: frozenset[CaseState],
    update: Callable[[Case], Case],
    own_claim: bool = True,
    detail: dict[str, Any] | None = None,
) -> Case:
    """One checked transition: state in `allowed`; a live claim by someone else blocks it (if own_claim).

    update: the case as it is after the action."""
    check_agent(agent)

    def decide() -> Transition:
        case = store.case(case_id)
        if case.state not in allowed:
            raise ConflictError(f"cannot {action} case {case_id}: it is {case.state}")
        if own_claim and case.state == CaseState.CLAIMED and case.claimed_by != agent:
            raise ConflictError(f"cannot {action} case {case_id}: it is claimed by {case.claimed_by}")
        if action == CaseAction.ESCALATE and case.escalated:
            raise ConflictError(f"case {case_id} is already escalated ({case.escalation_reason})")
        return Transition(case, update(case), agent, action, now, detail or {})

    changed = store.transition(now, decide)
    assert changed is not None
    return changed


def release(store: CaseStore, case_id: int, *, agent: str, now: datetime) -> Case:
    """Give a claimed case back to the queue."""
    return _change(
        store,
        case_id,
        agent=agent,
        now=now,
        action=CaseAction.RELEASE,
        allowed=frozenset({CaseState.CLAIMED}),
        update=lambda c: _unclaimed(c, CaseState.NEW),
    )


def respond(store: CaseStore, case_id: int, *, agent: str, now: datetime, note: str | None = None) -> Case:
    """Record a response. The first one sets responded_at/responded_by (time to first response)."""

    def update(case: Case) -> Case:
        after = _unclaimed(case, CaseState.RESPONDED)
        return after if case.responded_at else replace(after, responded_at=now, responded_by=agent)

    return _change(
        store,
        case_id,
        agent=agent,
        now=now,
        action=CaseAction.RESPOND,
        allowed=_ANSWERABLE,
        update=update,
        detail={"note": note} if note else None,
    )


def resolve(store: CaseStore, case_id: int, *, agent: str, now: datetime, note: str | None = None) -> Case:
    return _change(
        store,
        case_id,
        agent=agent,
        now=now,
        action=CaseAction.RESOLVE,
        allowed=_ANSWERABLE,
        update=lambda c: replace(_unclaimed(c, CaseState.RESOLVED), resolved_at=now),
        detail={"note": note} if note else None,
    )


def dismiss(store: CaseStore, case_id: int, *, agent: str, now: datetime, reason: str) -> Case:
    """Close an open case that needs no answer (spam, not a complaint, duplicate), with a reason."""
    if not reason.strip():
        raise UsageError("a dismissal needs a reason")
    return _change(
        store,
        case_id,
        agent=agent,
        now=now,
        action=CaseAction.DISMISS,
        allowed=OPEN_STATES,
        update=lambda c: replace(_unclaimed(c, CaseState.DISMISSED), dismissed_at=now, dismissed_reason=reason),
        detail={"reason": reason},
    )


def escalate(store: CaseStore, case_id: int, *, agent: str, now: datetime, reason: str) -> Case:
    """Mark an open case as a crisis/safety/legal escalation: it jumps the line. Counted in the audit.

    Anyone may escalate, even a case someone else holds: the claim is kept."""
    if not reason.strip():
        raise UsageError("an escalation needs a reason")
    return _change(
        store,
        case_id,
        agent=agent,
        now=now,
        action=CaseAction.ESCALATE,
        allowed=OPEN_STATES,
        own_claim=False,
        update=lambda c: replace(c, escalated=True, escalated_at=now, escalated_by=agent, escalation_reason=reason),
        detail={"reason": reason},
    )
