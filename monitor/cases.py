"""Case lifecycle: open, claim, next, release, respond, resolve, dismiss, escalate, expire.

Every transition is one `BEGIN IMMEDIATE` transaction that changes the case row and appends one `events`
row (actor, action, from/to state, detail JSON), so the audit trail and the state never disagree and two
agents can never claim the same case. States:

    new ──claim/next──▶ claimed ──respond──▶ responded ──resolve──▶ resolved
     ▲  ◀──release/expire──┘  │                               ▲
     │                        └──────────resolve──────────────┘
     └─ new/claimed ──dismiss──▶ dismissed;  new/claimed ──escalate──▶ same state, jumps the line

The queue is the unclaimed open cases: state 'new', plus 'claimed' ones whose claim has expired (they are
moved back to 'new' with an `expire` event by the next write). SQL does the heavy filtering through the
partial index on open cases; `monitor.queue.rank` decides the order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from monitor.config import Config
from monitor.errors import ConflictError, NotFoundError, UsageError
from monitor.queue import QueueCase, RankedCase, candidate_horizon, rank, reach_boost
from monitor.store import Store
from monitor.timeutil import to_iso

OPEN_STATES = ("new", "claimed")
SYSTEM_ACTOR = "system"

_AVAILABLE = "c.state IN ('new', 'claimed') AND (c.state = 'new' OR c.claim_expires_at <= :now)"
QUEUE_COLUMNS = """
    c.id, c.platform, c.mention_id, c.brand, c.severity, c.state, c.first_seen, c.due_at, c.author_followers,
    c.escalated, c.escalated_at, c.escalation_reason, c.claimed_by, c.claim_expires_at,
    m.author_verified, m.likes, m.reposts, m.replies, m.created_at, m.fetched_at, m.author_handle, m.text, m.url
"""
QUEUE_FROM = "FROM cases c JOIN mentions m ON m.platform = c.platform AND m.id = c.mention_id"
# the planner prefers cases_state (every open case) to the tiny partial index of open escalations; insist
_FROM_ESCALATED = (
    "FROM cases c INDEXED BY cases_escalated_open JOIN mentions m ON m.platform = c.platform AND m.id = c.mention_id"
)


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None  # stored as ...Z; 3.11 parses it as UTC


def queue_case(row: sqlite3.Row | tuple[Any, ...]) -> QueueCase:
    (cid, platform, mention_id, brand, severity, state, first_seen, due_at, followers, escalated, escalated_at,
     reason, claimed_by, claim_expires, verified, likes, reposts, replies, created, fetched, handle, text,
     url) = row  # fmt: skip
    first = _t(first_seen)
    due = _t(due_at)
    assert first is not None and due is not None
    return QueueCase(
        id=cid, platform=platform, mention_id=mention_id, brand=brand, severity=severity, state=state,
        first_seen=first, due_at=due, followers=followers, verified=bool(verified), likes=likes or 0,
        reposts=reposts or 0, replies=replies or 0, posted_at=_t(created), observed_at=_t(fetched),
        escalated=bool(escalated), escalated_at=_t(escalated_at), escalation_reason=reason,
        claimed_by=claimed_by if state == "claimed" else None, claim_expires_at=_t(claim_expires),
        author_handle=handle, text=text, url=url,
    )  # fmt: skip


def _event(
    conn: sqlite3.Connection, case_id: int, *, now: datetime, actor: str, action: str,
    from_state: str | None, to_state: str | None, detail: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO events (case_id, at, actor, action, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (case_id, to_iso(now), actor, action, from_state, to_state,
         json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None),
    )  # fmt: skip


# --- reading the queue -------------------------------------------------------------------------


def _top(conn: sqlite3.Connection, config: Config, *, now: datetime, limit: int) -> list[RankedCase]:
    params: dict[str, Any] = {"now": to_iso(now)}
    nth = conn.execute(
        f"SELECT c.due_at FROM cases c WHERE {_AVAILABLE} ORDER BY c.due_at LIMIT 1 OFFSET :off",
        params | {"off": max(0, limit - 1)},
    ).fetchone()
    if nth is None:  # fewer than `limit` available: take them all
        rows = conn.execute(f"SELECT {QUEUE_COLUMNS} {QUEUE_FROM} WHERE {_AVAILABLE}", params).fetchall()
    else:
        horizon = candidate_horizon(datetime.fromisoformat(nth[0]), config.fairness)
        rows = conn.execute(
            f"SELECT {QUEUE_COLUMNS} {QUEUE_FROM} WHERE {_AVAILABLE} AND c.due_at <= :horizon",
            params | {"horizon": to_iso(horizon)},
        ).fetchall()
        rows += conn.execute(
            f"SELECT {QUEUE_COLUMNS} {_FROM_ESCALATED} WHERE c.escalated = 1 AND {_AVAILABLE} AND c.due_at > :horizon",
            params | {"horizon": to_iso(horizon)},
        ).fetchall()
    return rank((queue_case(r) for r in rows), now, config, limit)


def top(store: Store, config: Config, *, now: datetime, limit: int = 50) -> list[RankedCase]:
    """The first `limit` unclaimed open cases in service order (read-only)."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    with store.errors():
        return _top(store.conn, config, now=now, limit=limit)


def _rank_of(conn: sqlite3.Connection, config: Config, case: QueueCase, *, now: datetime) -> int:
    """1-based service position of an available case, without ranking the whole queue."""
    p: dict[str, Any] = {"now": to_iso(now), "id": case.id}
    escalated = [
        queue_case(r)
        for r in conn.execute(f"SELECT {QUEUE_COLUMNS} {_FROM_ESCALATED} WHERE c.escalated = 1 AND {_AVAILABLE}", p)
    ]
    if case.escalated:
        ranked = rank(escalated, now, config)
        return next(r.position for r in ranked if r.case.id == case.id)
    boost, _ = reach_boost(case, config.fairness)
    key = case.due_at - boost
    # due < key means key < key(case) whatever the boost: strictly ahead, counted by the index alone
    definite = conn.execute(
        f"SELECT count(*) FROM cases c WHERE {_AVAILABLE} AND c.escalated = 0 AND c.due_at < :key",
        p | {"key": to_iso(key)},
    ).fetchone()[0]
    band = [
        queue_case(r)
        for r in conn.execute(
            f"SELECT {QUEUE_COLUMNS} {QUEUE_FROM} WHERE {_AVAILABLE} AND c.escalated = 0 AND c.id != :id "
            "AND c.due_at >= :key AND c.due_at <= :hi",
            p | {"key": to_iso(key), "hi": to_iso(key + config.fairness.max_reach_boost)},
        )
    ]
    ranked = rank([*band, case], now, config)
    ahead_in_band = next(r.position for r in ranked if r.case.id == case.id) - 1
    return len(escalated) + int(definite) + ahead_in_band + 1


# --- transitions -------------------------------------------------------------------------------


def get_case(store: Store, case_id: int) -> dict[str, Any]:
    with store.errors():
        return _case_row(store.conn, case_id)


def _case_row(conn: sqlite3.Connection, case_id: int) -> dict[str, Any]:
    cur = conn.execute(
        "SELECT c.*, m.author_handle, m.author_verified, m.text, m.url FROM cases c "
        "JOIN mentions m ON m.platform = c.platform AND m.id = c.mention_id WHERE c.id = ?",
        (case_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"no case with id {case_id}")
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def case_events(store: Store, case_id: int) -> list[dict[str, Any]]:
    with store.errors():
        cur = store.conn.execute(
            "SELECT id, at, actor, action, from_state, to_state, detail FROM events WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur]
    for r in rows:
        r["detail"] = json.loads(r["detail"]) if r["detail"] else {}
    return rows


def _expire(conn: sqlite3.Connection, *, now: datetime) -> list[int]:
    expired = [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT id, claimed_by FROM cases WHERE state = 'claimed' AND claim_expires_at <= ?", (to_iso(now),)
        )
    ]
    for case_id, agent in expired:
        conn.execute(
            "UPDATE cases SET state = 'new', claimed_by = NULL, claimed_at = NULL, claim_expires_at = NULL, "
            "updated_at = ? WHERE id = ?",
            (to_iso(now), case_id),
        )
        _event(conn, case_id, now=now, actor=SYSTEM_ACTOR, action="expire", from_state="claimed", to_state="new",
               detail={"claimed_by": agent})  # fmt: skip
    return [case_id for case_id, _ in expired]


def expire_claims(store: Store, *, now: datetime) -> list[int]:
    """Return expired claims to the queue (one `expire` event each). Returns the case ids."""
    with store.errors(), store.transaction() as conn:
        return _expire(conn, now=now)


def _claim_row(
    conn: sqlite3.Connection, config: Config, case_id: int, *, agent: str, now: datetime, detail: dict[str, Any]
) -> None:
    expires = now + config.fairness.claim_timeout
    changed = conn.execute(
        "UPDATE cases SET state = 'claimed', claimed_by = ?, claimed_at = ?, claim_expires_at = ?, updated_at = ? "
        "WHERE id = ? AND state = 'new'",
        (agent, to_iso(now), to_iso(expires), to_iso(now), case_id),
    ).rowcount
    if changed != 1:  # cannot happen under BEGIN IMMEDIATE; guard anyway
        raise ConflictError(f"case {case_id} was claimed by someone else")
    _event(conn, case_id, now=now, actor=agent, action="claim", from_state="new", to_state="claimed", detail=detail)


def next_case(store: Store, config: Config, *, agent: str, now: datetime) -> RankedCase | None:
    """Atomically claim the top unclaimed case for `agent`; None when the queue is empty."""
    _check_agent(agent)
    with store.errors(), store.transaction() as conn:
        _expire(conn, now=now)
        top1 = _top(conn, config, now=now, limit=1)
        if not top1:
            return None
        ranked = top1[0]
        _claim_row(conn, config, ranked.case.id, agent=agent, now=now, detail={"via": "next", "rank": 1})
        return ranked


def claim(store: Store, config: Config, case_id: int, *, agent: str, now: datetime) -> dict[str, Any]:
    """Claim a specific case. Allowed out of order, but then logged with out_of_order=true and its rank.

    Re-claiming one's own live claim renews it; a live claim by someone else is a conflict.
    """
    _check_agent(agent)
    with store.errors(), store.transaction() as conn:
        _expire(conn, now=now)
        row = _case_row(conn, case_id)
        state = row["state"]
        if state == "claimed":
            if row["claimed_by"] != agent:
                raise ConflictError(f"case {case_id} is claimed by {row['claimed_by']} until {row['claim_expires_at']}")
            expires = now + config.fairness.claim_timeout
            conn.execute("UPDATE cases SET claim_expires_at = ?, updated_at = ? WHERE id = ?",
                         (to_iso(expires), to_iso(now), case_id))  # fmt: skip
            _event(conn, case_id, now=now, actor=agent, action="claim", from_state="claimed", to_state="claimed",
                   detail={"renewed": True})  # fmt: skip
            return _case_row(conn, case_id)
        if state != "new":
            raise ConflictError(f"case {case_id} is {state}; only new cases can be claimed")
        top1 = _top(conn, config, now=now, limit=1)
        detail: dict[str, Any] = {"via": "claim", "rank": 1}
        if top1 and top1[0].case.id != case_id:
            me = conn.execute(f"SELECT {QUEUE_COLUMNS} {QUEUE_FROM} WHERE c.id = ?", (case_id,)).fetchone()
            detail = {"via": "claim", "out_of_order": True, "rank": _rank_of(conn, config, queue_case(me), now=now),
                      "top_case": top1[0].case.id}  # fmt: skip
        _claim_row(conn, config, case_id, agent=agent, now=now, detail=detail)
        out = _case_row(conn, case_id)
        out["claim_detail"] = detail
        return out


def _transition(
    store: Store, case_id: int, *, agent: str, now: datetime, action: str, allowed: tuple[str, ...],
    to_state: str | None, sets: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
    detail: dict[str, Any] | None = None, own_claim: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """One checked transition: state in `allowed`, a live claim by someone else blocks (if own_claim)."""
    _check_agent(agent)
    with store.errors(), store.transaction() as conn:
        _expire(conn, now=now)
        row = _case_row(conn, case_id)
        state = row["state"]
        if state not in allowed:
            raise ConflictError(f"cannot {action} case {case_id}: it is {state}")
        if own_claim and state == "claimed" and row["claimed_by"] != agent:
            raise ConflictError(f"cannot {action} case {case_id}: it is claimed by {row['claimed_by']}")
        if action == "escalate" and row["escalated"]:
            raise ConflictError(f"case {case_id} is already escalated ({row['escalation_reason']})")
        new_state = to_state or state
        values = {**(sets(row) if callable(sets) else sets), "state": new_state, "updated_at": to_iso(now)}
        if new_state != "claimed":
            values.update(claimed_by=None, claimed_at=None, claim_expires_at=None)
        assignments = ", ".join(f"{col} = :{col}" for col in values)  # column names are ours, not user input
        conn.execute(f"UPDATE cases SET {assignments} WHERE id = :id", {**values, "id": case_id})
        _event(conn, case_id, now=now, actor=agent, action=action, from_state=state, to_state=new_state,
               detail=detail)  # fmt: skip
        return _case_row(conn, case_id)


def release(store: Store, case_id: int, *, agent: str, now: datetime) -> dict[str, Any]:
    """Give a claimed case back to the queue."""
    return _transition(store, case_id, agent=agent, now=now, action="release", allowed=("claimed",),
                       to_state="new", sets={})  # fmt: skip


def respond(store: Store, case_id: int, *, agent: str, now: datetime, note: str | None = None) -> dict[str, Any]:
    """Record a response. The first one sets responded_at/responded_by (time to first response)."""
    def sets(row: dict[str, Any]) -> dict[str, Any]:
        return {} if row["responded_at"] else {"responded_at": to_iso(now), "responded_by": agent}

    detail = {"note": note} if note else None
    return _transition(store, case_id, agent=agent, now=now, action="respond",
                       allowed=("new", "claimed", "responded"), to_state="responded", sets=sets,
                       detail=detail)  # fmt: skip


def resolve(store: Store, case_id: int, *, agent: str, now: datetime, note: str | None = None) -> dict[str, Any]:
    return _transition(store, case_id, agent=agent, now=now, action="resolve",
                       allowed=("new", "claimed", "responded"), to_state="resolved",
                       sets={"resolved_at": to_iso(now)}, detail={"note": note} if note else None)  # fmt: skip


def dismiss(store: Store, case_id: int, *, agent: str, now: datetime, reason: str) -> dict[str, Any]:
    """Close an open case that needs no answer (spam, not a complaint, duplicate), with a reason."""
    if not reason.strip():
        raise UsageError("a dismissal needs a reason")
    return _transition(store, case_id, agent=agent, now=now, action="dismiss", allowed=OPEN_STATES,
                       to_state="dismissed", sets={"dismissed_at": to_iso(now), "dismissed_reason": reason},
                       detail={"reason": reason})  # fmt: skip


def escalate(store: Store, case_id: int, *, agent: str, now: datetime, reason: str) -> dict[str, Any]:
    """Mark an open case as a crisis/safety/legal escalation: it jumps the line. Counted in the audit."""
    if not reason.strip():
        raise UsageError("an escalation needs a reason")
    return _transition(store, case_id, agent=agent, now=now, action="escalate", allowed=OPEN_STATES,
                       to_state=None, own_claim=False,
                       sets={"escalated": 1, "escalated_at": to_iso(now), "escalated_by": agent,
                             "escalation_reason": reason},
                       detail={"reason": reason})  # fmt: skip


def _check_agent(agent: str) -> None:
    if not agent or not agent.strip():
        raise UsageError("an agent name is needed (--agent, $MONITOR_AGENT)")
