"""FeedState: one snapshot of everything the feed shows, gathered from the store with a few indexed queries.

The snapshot is plain frozen data, so `render` is a pure function of it and tests build states by hand.
Every query is bounded (LIMIT, index ranges) so a frame costs the same with 1,000 or 1,000,000 mentions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from monitor.audit import audit_store
from monitor.cases import QUEUE_COLUMNS, QUEUE_FROM, queue_case, top
from monitor.config import Config
from monitor.models import MentionFilter
from monitor.models import parse_filter as parse_filter  # re-exported for the feed
from monitor.queue import QueueCase, RankedCase, candidate_horizon, rank
from monitor.store import Store
from monitor.timeutil import parse_time, to_iso

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


def _json_list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    try:
        data = json.loads(value)
    except ValueError:
        return ()
    if isinstance(data, dict):  # signals: {"question": true, ...} → the names that fired
        return tuple(str(k) for k, v in data.items() if v)
    if isinstance(data, list):
        return tuple(str(x) for x in data)
    return ()


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
                platform=name, state=state, until=until, detail=st.detail if st else "",
                last_poll=act.last_poll, last_status=act.last_status,
                new_last_hour=act.new_since, quota_left=_quota_left(store, config, name, now),
            )
        )  # fmt: skip
    return tuple(out)


def _quota_left(store: Store, config: Config, platform: str, now: datetime) -> int | None:
    from monitor.ingest.poll import quota_left

    return quota_left(store, config, platform, now)


def _ranked_rows(store: Store, ranked: list[RankedCase], *, claimed: bool = False) -> list[QueueRow]:
    """QueueRows for ranked cases, adding what the ranking does not carry (language, reasons, signals)."""
    if not ranked:
        return []
    ids = [r.case.id for r in ranked]
    extra = {
        row[0]: row[1:]
        for row in store.conn.execute(
            "SELECT c.id, coalesce(m.language, m.lang), m.reasons, m.signals FROM cases c "
            "JOIN mentions m ON m.platform = c.platform AND m.id = c.mention_id "
            f"WHERE c.id IN ({', '.join('?' for _ in ids)})",
            ids,
        )
    }
    out = []
    for r in ranked:
        c = r.case
        language, reasons, signals = extra.get(c.id, (None, None, None))
        out.append(
            QueueRow(
                case_id=c.id, platform=c.platform, mention_id=c.mention_id, brand=c.brand, severity=c.severity,
                state="claimed" if claimed else "new", due_at=c.due_at, first_seen=c.first_seen,
                created_at=c.posted_at or c.first_seen, language=language, text=c.text or "", url=c.url or "",
                author_handle=c.author_handle or "", followers=c.followers, verified=c.verified,
                reasons=_json_list(reasons), signals=_json_list(signals),
                claimed_by=c.claimed_by if claimed else None, escalated=c.escalated,
                escalation_reason=c.escalation_reason, why=r.why,
            )
        )  # fmt: skip
    return out


def _filtered_candidates(store: Store, config: Config, now: datetime, flt: FeedFilter, limit: int) -> list[QueueCase]:
    """Available cases matching the filter that can reach the top `limit` (same horizon rule as cases.top)."""
    where, params = _filter_sql(flt, "m")
    base = f"{QUEUE_FROM} WHERE {_AVAILABLE}{where}"
    nth = store.conn.execute(
        f"SELECT c.due_at {base} ORDER BY c.due_at LIMIT 1 OFFSET ?", (to_iso(now), *params, max(limit - 1, 0))
    ).fetchone()
    horizon = " AND (c.due_at <= ? OR c.escalated = 1)" if nth else ""
    extra = [to_iso(candidate_horizon(parse_time(nth[0]), config.fairness))] if nth else []
    rows = store.conn.execute(f"SELECT {QUEUE_COLUMNS} {base}{horizon}", (to_iso(now), *params, *extra))
    return [queue_case(r) for r in rows]


_AVAILABLE = "c.state IN ('new', 'claimed') AND (c.state = 'new' OR c.claim_expires_at <= ?)"


def _filter_sql(flt: FeedFilter, alias: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.brand:
        clauses.append(f"lower({alias}.brand) = lower(?)")
        params.append(flt.brand)
    if flt.platform:
        clauses.append(f"lower({alias}.platform) = lower(?)")
        params.append(flt.platform)
    if flt.lang:
        clauses.append(f"lower(coalesce({alias}.language, {alias}.lang)) = lower(?)")
        params.append(flt.lang)
    for word in flt.words:
        clauses.append(f"instr(lower({alias}.text), lower(?)) > 0")
        params.append(word)
    return "".join(f" AND {c}" for c in clauses), params


def gather_queue(
    store: Store, config: Config, now: datetime, flt: FeedFilter, agent: str, limit: int = QUEUE_LIMIT
) -> tuple[QueueRow, ...]:
    """The agent's own live claims (oldest deadline first), then the fair queue in service order.

    Service order is monitor.queue.rank's (escalated first, then deadline with a bounded reach boost);
    cases claimed by other agents are not in the queue (they are counted in the title instead).
    """
    where, params = _filter_sql(flt, "m")
    mine_rows = store.conn.execute(
        f"SELECT {QUEUE_COLUMNS} {QUEUE_FROM} "
        f"WHERE c.state = 'claimed' AND c.claimed_by = ? AND c.claim_expires_at > ?{where} ORDER BY c.due_at LIMIT ?",
        (agent, to_iso(now), *params, limit),
    ).fetchall()
    # ranked as plain open cases: the ranking's "why" would call a claimed case's claim expired
    mine_cases = [replace(queue_case(r), state="new", claimed_by=None) for r in mine_rows]
    mine = [replace(row, claimed_by=agent) for row in _ranked_rows(store, rank(mine_cases, now, config), claimed=True)]
    room = max(limit - len(mine), 1)
    if flt.active:
        ranked = rank(_filtered_candidates(store, config, now, flt, room), now, config, room)
    else:
        ranked = top(store, config, now=now, limit=room)
    return tuple(mine + _ranked_rows(store, ranked))


def gather_case(store: Store, config: Config, case_id: int, now: datetime) -> QueueRow | None:
    """One case with its mention, whatever its state (the full view re-reads it after an action)."""
    row = store.conn.execute(
        f"SELECT {QUEUE_COLUMNS} {QUEUE_FROM} WHERE c.id = ?",
        (case_id,),
    ).fetchone()
    if row is None:
        return None
    case = queue_case(row)
    live_claim = case.state == "claimed" and case.claim_expires_at is not None and case.claim_expires_at > now
    plain = replace(case, state="new", claimed_by=None)
    out = _ranked_rows(store, rank([plain], now, config), claimed=live_claim)[0]
    state = case.state if case.state != "claimed" or live_claim else "new"
    return replace(out, state=state, claimed_by=case.claimed_by if live_claim else None)


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
    with store.errors(), store.snapshot():
        connectors = gather_connectors(store, config, now)
        iso = to_iso(now)
        open_cases, breached, others = store.conn.execute(
            "SELECT count(*), coalesce(sum(due_at < ?), 0), "
            "coalesce(sum(state = 'claimed' AND claimed_by != ? AND claim_expires_at > ?), 0) "
            "FROM cases WHERE state IN ('new', 'claimed')",
            (iso, agent, iso),
        ).fetchone()
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
        open_cases=int(open_cases),
        breached=int(breached),
        claimed_by_others=int(others),
        queue=queue,
        stream=stream,
        fairness=fairness,
        filter=flt,
    )
