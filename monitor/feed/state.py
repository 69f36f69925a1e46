"""FeedState: one snapshot of everything the feed shows, gathered from the store with a few indexed queries.

The snapshot is plain frozen data, so `render` is a pure function of it and tests build states by hand.
Every query is bounded (LIMIT, index ranges) so a frame costs the same with 1,000 or 1,000,000 mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from monitor.config import Config
from monitor.errors import NotFoundError
from monitor.models import Case, CaseState, MentionFilter
from monitor.models import parse_filter as parse_filter  # re-exported for the feed
from monitor.queue.audit import audit_store
from monitor.queue.cases import top
from monitor.queue.policies import RankedCase, rank
from monitor.store import Store

QUEUE_LIMIT = 30
# a filtered stream looks through a bounded set of the newest matches (monitor.store.sqlite.feed)
STREAM_LIMIT = 30


# the feed's `/` filter is the store's mention filter
FeedFilter = MentionFilter


@dataclass(frozen=True, slots=True)
class ConnectorView:
    platform: str
    state: str  # ok | backoff | quota | auth_error | error | idle (never polled)
    until: datetime | None = None
    detail: str = ""
    last_poll: datetime | None = None
    last_status: str | None = None
    new_last_hour: int = 0
    quota_left: int | None = None  # platforms with a daily unit quota (YouTube)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A case as a feed row: the Case fields the feed shows, flattened, with the labels and the ranking's why."""

    case_id: int
    platform: str
    mention_id: str
    brand: str | None
    severity: int
    state: str  # new | claimed
    due_at: datetime
    first_seen: datetime
    created_at: datetime
    language: str | None
    text: str
    url: str
    author_handle: str
    followers: int | None
    verified: bool
    reasons: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()  # the signals that fired (question, churn, ...)
    claimed_by: str | None = None  # set only for live claims
    escalated: bool = False
    escalation_reason: str | None = None
    why: str = ""  # the ranking's explanation: "sev 3 · due in 40m · +5m spread boost"


@dataclass(frozen=True, slots=True)
class StreamRow:
    platform: str
    mention_id: str
    brand: str | None
    created_at: datetime
    fetched_at: datetime
    language: str | None
    complaint: bool | None  # None: not classified yet
    severity: int | None
    text: str
    author_handle: str
    case_id: int | None = None


@dataclass(frozen=True, slots=True)
class TierView:
    label: str  # "<100", "100-1k", ...
    cases: int
    answered: int
    attainment: float | None  # share answered within SLA, None when no case is due yet


@dataclass(frozen=True, slots=True)
class FairnessView:
    parity: float | None  # slowest tier median first response / fastest; None until two tiers have answers
    alert: bool
    tiers: tuple[TierView, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class FeedState:
    now: datetime
    agent: str
    brands: tuple[str, ...]
    blind_triage: bool
    timezone: str = "UTC"
    connectors: tuple[ConnectorView, ...] = ()
    new_last_hour: int = 0
    open_cases: int = 0  # new + claimed
    breached: int = 0  # open and past due
    claimed_by_others: int = 0
    queue: tuple[QueueRow, ...] = ()
    stream: tuple[StreamRow, ...] = ()
    fairness: FairnessView | None = None
    filter: FeedFilter = field(default_factory=FeedFilter)


# --- gathering ---------------------------------------------------------------------------------


def gather_connectors(store: Store, config: Config, now: datetime) -> tuple[ConnectorView, ...]:
    """Per enabled (or ever polled) platform: scheduler state, last poll, new mentions in the last hour."""
    states = store.connector_states()
    names = list(dict.fromkeys([*config.platforms.enabled(), *sorted(states)]))
    activity = store.poll_activity(names, since=now - timedelta(hours=1))
    out = []
    for name in names:
        st = states.get(name)
        act = activity[name]
        state = (st.state if st else "") or ("ok" if act.last_poll else "idle")
        until = st.until if st else None
        if state in ("backoff", "quota") and until is not None and until <= now:
            state = "ok"  # the pause is over; the scheduler just has not written since
        out.append(
            ConnectorView(
                platform=name,
                state=state,
                until=until,
                detail=st.detail if st else "",
                last_poll=act.last_poll,
                last_status=act.last_status,
                new_last_hour=act.new_since,
                quota_left=_quota_left(store, config, name, now),
            )
        )
    return tuple(out)


def _quota_left(store: Store, config: Config, platform: str, now: datetime) -> int | None:
    from monitor.ingest.poll import quota_left

    return quota_left(store, config, platform, now)


def _ranked_rows(store: Store, ranked: list[RankedCase], *, claimed: bool = False) -> list[QueueRow]:
    """QueueRows for ranked cases, adding what the ranking does not carry (language, reasons, signals)."""
    if not ranked:
        return []
    labels = store.case_labels([r.case.id for r in ranked])
    out = []
    for r in ranked:
        c = r.case
        label = labels.get(c.id)
        out.append(
            QueueRow(
                case_id=c.id,
                platform=c.platform,
                mention_id=c.mention_id,
                brand=c.brand,
                severity=c.severity,
                state="claimed" if claimed else "new",
                due_at=c.due_at,
                first_seen=c.first_seen,
                created_at=c.posted_at or c.first_seen,
                language=label.language if label else None,
                text=c.text or "",
                url=c.url or "",
                author_handle=c.author_handle or "",
                followers=c.followers,
                verified=c.verified,
                reasons=label.reasons if label else (),
                signals=label.signals if label else (),
                claimed_by=c.claimed_by if claimed else None,
                escalated=c.escalated,
                escalation_reason=c.escalation_reason,
                why=r.why,
            )
        )
    return out


def _unclaimed(case: Case) -> Case:
    """Ranked as a plain open case: the ranking's "why" would call a live claim expired."""
    return replace(case, state=CaseState.NEW, claimed_by=None)


def gather_queue(
    store: Store, config: Config, now: datetime, flt: FeedFilter, agent: str, limit: int = QUEUE_LIMIT
) -> tuple[QueueRow, ...]:
    """The agent's own live claims (oldest deadline first), then the fair queue in service order.

    Service order is the configured policy's (monitor.queue.policies: escalated first, then deadline with a
    bounded reach boost); cases claimed by other agents are not in the queue (they are counted in the title).
    """
    mine_cases = [_unclaimed(c) for c in store.my_claims(agent, now, flt, limit)]
    mine = [replace(row, claimed_by=agent) for row in _ranked_rows(store, rank(mine_cases, now, config), claimed=True)]
    room = max(limit - len(mine), 1)
    ranked = top(store, config, now=now, limit=room, flt=flt if flt.active else None)
    return tuple(mine + _ranked_rows(store, ranked))


def gather_case(store: Store, config: Config, case_id: int, now: datetime) -> QueueRow | None:
    """One case with its mention, whatever its state (the full view re-reads it after an action)."""
    try:
        case = store.case(case_id)
    except NotFoundError:
        return None
    live_claim = case.live_claim(now)
    out = _ranked_rows(store, rank([_unclaimed(case)], now, config), claimed=live_claim)[0]
    state = case.state if case.state != CaseState.CLAIMED or live_claim else CaseState.NEW
    return replace(out, state=str(state), claimed_by=case.claimed_by if live_claim else None)


def gather_stream(store: Store, flt: FeedFilter, limit: int = STREAM_LIMIT) -> tuple[StreamRow, ...]:
    """The newest mentions in arrival order, optionally filtered (Store.recent_mentions bounds the search)."""
    return tuple(
        StreamRow(
            platform=m.platform,
            mention_id=m.id,
            brand=m.brand,
            created_at=m.created_at,
            fetched_at=m.fetched_at,
            language=m.language,
            complaint=m.complaint,
            severity=m.severity,
            text=m.text,
            author_handle=m.author_handle,
            case_id=m.case_id,
        )
        for m in store.recent_mentions(limit, flt)
    )


def gather_fairness(store: Store, config: Config, now: datetime) -> FairnessView:
    """Today's (config time zone) fairness audit, reduced to what the gauge shows."""
    zone = config.tz
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    report = audit_store(store, config, since=midnight, until=now + timedelta(seconds=1), now=now)
    tiers = tuple(
        TierView(label=t.tier, cases=t.complaints, answered=t.answered, attainment=t.share_within_sla)
        for t in report.tiers
    )
    alert = report.parity is not None and report.parity > config.fairness.parity_alert
    note = (
        f"{report.complaints} complaints"
        if report.parity is not None
        else (f"{report.complaints} complaints; parity needs answers in two tiers")
    )
    return FairnessView(parity=report.parity, alert=alert, tiers=tiers, note=note)


def gather(
    store: Store,
    config: Config,
    *,
    now: datetime,
    agent: str,
    flt: FeedFilter | None = None,
    fairness: FairnessView | None = None,
    queue_limit: int = QUEUE_LIMIT,
    stream_limit: int = STREAM_LIMIT,
) -> FeedState:
    """One consistent snapshot (a single read transaction) of the store for the feed.

    `fairness` is passed in because the audit reads all of today's cases: the live loop refreshes it
    less often than the rest (see FAIRNESS_EVERY in live.py).
    """
    flt = flt or FeedFilter()
    with store.snapshot():
        connectors = gather_connectors(store, config, now)
        counts = store.open_case_counts(now, agent)
        queue = gather_queue(store, config, now, flt, agent, queue_limit)
        stream = gather_stream(store, flt, stream_limit)
    return FeedState(
        now=now,
        agent=agent,
        brands=tuple(b.name for b in config.brands),
        blind_triage=config.fairness.blind_triage,
        timezone=config.timezone,
        connectors=connectors,
        new_last_hour=sum(c.new_last_hour for c in connectors),
        open_cases=counts.open,
        breached=counts.breached,
        claimed_by_others=counts.claimed_by_others,
        queue=queue,
        stream=stream,
        fairness=fairness,
        filter=flt,
    )
