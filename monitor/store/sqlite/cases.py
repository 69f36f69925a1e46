"""SQL of the case lifecycle and the queue (claiming, transitions, queue candidates, audit rows).

A mixin of SqliteStore: its methods run on the store's connection and transactions. The queue's rules (the
order, which transitions are allowed) live in monitor.queue; this module only reads and writes rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from monitor.errors import ConflictError, NotFoundError
from monitor.models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseLabels,
    CaseState,
    MentionFilter,
    OpenCaseCounts,
    Transition,
)
from monitor.store.sqlite.connection import SqliteConnection
from monitor.timeutil import to_iso

SYSTEM_ACTOR = "system"

# The one "available case" predicate: in the queue at :now (new, or claimed with an expired claim).
_AVAILABLE = "c.state IN ('new', 'claimed') AND (c.state = 'new' OR c.claim_expires_at <= :now)"
# An open case has no response, resolution or dismissal yet (those states are never left for new or claimed),
# so the queue reads skip those columns; reads of any case add them at the end.
_OPEN_COLUMNS = """
    c.id, c.platform, c.mention_id, c.brand, c.severity, c.state, c.first_seen, c.due_at, c.author_followers,
    c.escalated, c.escalated_at, c.escalated_by, c.escalation_reason, c.claimed_by, c.claimed_at,
    c.claim_expires_at, m.author_verified, m.likes, m.reposts, m.replies, m.created_at, m.fetched_at,
    m.author_handle, m.text, m.url
"""
_CASE_COLUMNS = f"{_OPEN_COLUMNS}, c.responded_at, c.responded_by, c.resolved_at, c.dismissed_at, c.dismissed_reason"
_JOIN = "JOIN mentions m ON m.platform = c.platform AND m.id = c.mention_id"
_FROM = f"FROM cases c {_JOIN}"
# the planner prefers cases_state (every open case) to the tiny partial index of open escalations; insist
_FROM_ESCALATED = f"FROM cases c INDEXED BY cases_escalated_open {_JOIN}"


_iso = datetime.fromisoformat


@lru_cache(maxsize=64)
def _stamp(dt: datetime) -> str:
    """to_iso, cached: one queue read formats the same `now` and horizon several times."""
    return to_iso(dt)


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None  # stored as ...Z; 3.11 parses it as UTC


_STATES = {s.value: s for s in CaseState}


def _case(row: Sequence[Any]) -> Case:
    """A Case from a row of _OPEN_COLUMNS, or of _CASE_COLUMNS (which adds the closing fields at the end).

    Positional, in Case's field order: this runs for every queue candidate."""
    (
        cid,
        platform,
        mention_id,
        brand,
        severity,
        state,
        first_seen,
        due_at,
        followers,
        escalated,
        escalated_at,
        escalated_by,
        reason,
        claimed_by,
        claimed_at,
        claim_expires,
        verified,
        likes,
        reposts,
        replies,
        created,
        fetched,
        handle,
        text,
        url,
        *closing,
    ) = row
    st = _STATES[state]
    if st is not CaseState.CLAIMED:
        claimed_by = claimed_at = claim_expires = None
    if closing:
        responded_at, responded_by, resolved_at, dismissed_at, dismissed_reason = closing
    else:
        responded_at = responded_by = resolved_at = dismissed_at = dismissed_reason = None
    return Case(
        cid,
        platform,
        mention_id,
        severity,
        _iso(first_seen),
        _iso(due_at),
        st,
        brand,
        followers,
        bool(verified),
        likes or 0,
        reposts or 0,
        replies or 0,
        _iso(created) if created else None,
        _iso(fetched) if fetched else None,
        bool(escalated),
        _iso(escalated_at) if escalated_at else None,
        escalated_by,
        reason,
        claimed_by,
        _iso(claimed_at) if claimed_at else None,
        _iso(claim_expires) if claim_expires else None,
        _iso(responded_at) if responded_at else None,
        responded_by,
        _iso(resolved_at) if resolved_at else None,
        _iso(dismissed_at) if dismissed_at else None,
        dismissed_reason,
        handle,
        text,
        url,
    )


def _detail(value: str | None) -> dict[str, Any]:
    return json.loads(value) if value else {}


def _json_names(value: str | None) -> tuple[str, ...]:
    """A stored JSON list of names, or a {name: bool} mapping reduced to the names that are true."""
    if not value:
        return ()
    try:
        data = json.loads(value)
    except ValueError:
        return ()
    if isinstance(data, dict):
        return tuple(str(k) for k, v in data.items() if v)
    if isinstance(data, list):
        return tuple(str(x) for x in data)
    return ()


def mention_filter_sql(flt: MentionFilter | None, alias: str = "m") -> tuple[str, dict[str, Any]]:
    """ " AND ..." clauses (named parameters :f0, :f1, ...) for a MentionFilter on the mentions alias."""
    if flt is None or not flt.active:
        return "", {}
    clauses: list[str] = []
    params: dict[str, Any] = {}

    def add(sql: str, value: str) -> None:
        name = f"f{len(params)}"
        params[name] = value
        clauses.append(sql.format(p=f":{name}"))

    if flt.brand:
        add(f"lower({alias}.brand) = lower({{p}})", flt.brand)
    if flt.platform:
        add(f"lower({alias}.platform) = lower({{p}})", flt.platform)
    if flt.lang:
        add(f"lower(coalesce({alias}.language, {alias}.lang)) = lower({{p}})", flt.lang)
    for word in flt.words:
        add(f"instr(lower({alias}.text), lower({{p}})) > 0", word)
    return "".join(f" AND {c}" for c in clauses), params


def insert_event(
    conn: sqlite3.Connection,
    case_id: int,
    *,
    now: datetime,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO events (case_id, at, actor, action, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            to_iso(now),
            actor,
            action,
            from_state,
            to_state,
            json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        ),
    )


class CaseSql(SqliteConnection):
    """Case and queue operations of SqliteStore (monitor.store.protocol_cases.CaseStore)."""

    def _fetch(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
        """All rows of one read (the hot queue reads: a try block costs less than the errors() context)."""
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error:
            with self.errors():  # the one place sqlite3 errors become StoreError
                raise

    # --- the queue ---------------------------------------------------------------------------

    def available_cases(
        self,
        now: datetime,
        *,
        due_by: datetime | None = None,
        due_from: datetime | None = None,
        due_after: datetime | None = None,
        escalated: bool | None = None,
        flt: MentionFilter | None = None,
        exclude: int | None = None,
    ) -> list[Case]:
        where, params = mention_filter_sql(flt)
        params["now"] = _stamp(now)
        if due_by is not None:
            where += " AND c.due_at <= :due_by"
            params["due_by"] = _stamp(due_by)
        if due_from is not None:
            where += " AND c.due_at >= :due_from"
            params["due_from"] = _stamp(due_from)
        if due_after is not None:
            where += " AND c.due_at > :due_after"
            params["due_after"] = _stamp(due_after)
        if escalated is not None:
            where += f" AND c.escalated = {int(escalated)}"
        if exclude is not None:
            where += " AND c.id != :exclude"
            params["exclude"] = exclude
        source = _FROM_ESCALATED if escalated else _FROM
        return [_case(r) for r in self._fetch(f"SELECT {_OPEN_COLUMNS} {source} WHERE {_AVAILABLE}{where}", params)]

    def nth_available_due(self, now: datetime, n: int, flt: MentionFilter | None = None) -> datetime | None:
        where, params = mention_filter_sql(flt)
        source = f"{_FROM}" if where else "FROM cases c"
        params |= {"now": _stamp(now), "off": max(0, n - 1)}
        rows = self._fetch(
            f"SELECT c.due_at {source} WHERE {_AVAILABLE}{where} ORDER BY c.due_at LIMIT 1 OFFSET :off", params
        )
        return datetime.fromisoformat(rows[0][0]) if rows else None

    def count_available(self, now: datetime, *, due_before: datetime, escalated: bool = False) -> int:
        with self.errors():
            row = self.conn.execute(
                f"SELECT count(*) FROM cases c WHERE {_AVAILABLE} AND c.escalated = :esc AND c.due_at < :before",
                {"now": to_iso(now), "esc": int(escalated), "before": to_iso(due_before)},
            ).fetchone()
        return int(row[0])

    def my_claims(self, agent: str, now: datetime, flt: MentionFilter | None = None, limit: int = 30) -> list[Case]:
        where, params = mention_filter_sql(flt)
        params |= {"agent": agent, "now": to_iso(now), "limit": limit}
        with self.errors():
            rows = self.conn.execute(
                f"SELECT {_OPEN_COLUMNS} {_FROM} WHERE c.state = 'claimed' AND c.claimed_by = :agent "
                f"AND c.claim_expires_at > :now{where} ORDER BY c.due_at LIMIT :limit",
                params,
            )
            return [_case(r) for r in rows]

    def open_case_counts(self, now: datetime, agent: str) -> OpenCaseCounts:
        iso = to_iso(now)
        with self.errors():
            total, breached, others = self.conn.execute(
                "SELECT count(*), coalesce(sum(due_at < ?), 0), "
                "coalesce(sum(state = 'claimed' AND claimed_by != ? AND claim_expires_at > ?), 0) "
                "FROM cases WHERE state IN ('new', 'claimed')",
                (iso, agent, iso),
            ).fetchone()
        return OpenCaseCounts(open=int(total), breached=int(breached), claimed_by_others=int(others))

    # --- one case ----------------------------------------------------------------------------

    def case(self, case_id: int) -> Case:
        rows = self._fetch(f"SELECT {_CASE_COLUMNS} {_FROM} WHERE c.id = ?", (case_id,))
        if not rows:
            raise NotFoundError(f"no case with id {case_id}")
        return _case(rows[0])

    def case_events(self, case_id: int) -> list[CaseEvent]:
        with self.errors():
            rows = self.conn.execute(
                "SELECT id, at, actor, action, from_state, to_state, detail FROM events WHERE case_id = ? ORDER BY id",
                (case_id,),
            ).fetchall()
        return [
            CaseEvent(
                case_id=case_id,
                at=datetime.fromisoformat(at),
                actor=actor,
                action=action,
                detail=_detail(detail),
                id=eid,
                from_state=CaseState(fs) if fs else None,
                to_state=CaseState(ts) if ts else None,
            )
            for eid, at, actor, action, fs, ts, detail in rows
        ]

    def case_labels(self, case_ids: Sequence[int]) -> dict[int, CaseLabels]:
        if not case_ids:
            return {}
        ids = list(case_ids)
        with self.errors():
            rows = self.conn.execute(
                f"SELECT c.id, coalesce(m.language, m.lang), m.reasons, m.signals {_FROM} "
                f"WHERE c.id IN ({', '.join('?' for _ in ids)})",
                ids,
            ).fetchall()
        return {r[0]: CaseLabels(r[1], _json_names(r[2]), _json_names(r[3])) for r in rows}

    # --- writes ------------------------------------------------------------------------------

    def transition(self, now: datetime, decide: Callable[[], Transition | None]) -> Case | None:
        with self.errors(), self.transaction() as conn:
            _expire(conn, now=now)
            change = decide()
            if change is None:
                return None
            _apply(conn, change)
            return change.after

    # --- the audit ---------------------------------------------------------------------------

    def audit_rows(self, since: datetime, until: datetime) -> tuple[list[Case], list[CaseEvent]]:
        lo, hi = to_iso(since), to_iso(until)
        with self.errors():
            case_rows = self.conn.execute(
                "SELECT id, platform, mention_id, first_seen, due_at, severity, author_followers, state, "
                "responded_at, escalated FROM cases WHERE first_seen >= ? AND first_seen < ?",
                (lo, hi),
            ).fetchall()
            event_rows = self.conn.execute(
                "SELECT case_id, at, actor, action, detail FROM events WHERE action IN ('claim', 'escalate') "
                "AND at >= ? AND at < ?",
                (lo, hi),
            ).fetchall()
        cases = [
            Case(
                id=r[0],
                platform=r[1],
                mention_id=r[2],
                first_seen=datetime.fromisoformat(r[3]),
                due_at=datetime.fromisoformat(r[4]),
                severity=r[5],
                followers=r[6],
                state=CaseState(r[7]),
                responded_at=_t(r[8]),
                escalated=bool(r[9]),
            )
            for r in case_rows
        ]
        events = [
            CaseEvent(case_id=r[0], at=datetime.fromisoformat(r[1]), actor=r[2], action=r[3], detail=_detail(r[4]))
            for r in event_rows
        ]
        return cases, events


def _expire(conn: sqlite3.Connection, *, now: datetime) -> None:
    """Return expired claims to the queue, one `expire` event each (inside the caller's transaction)."""
    expired = conn.execute(
        "SELECT id, claimed_by FROM cases WHERE state = 'claimed' AND claim_expires_at <= ?", (to_iso(now),)
    ).fetchall()
    for case_id, agent in expired:
        conn.execute(
            "UPDATE cases SET state = 'new', claimed_by = NULL, claimed_at = NULL, claim_expires_at = NULL, "
            "updated_at = ? WHERE id = ?",
            (to_iso(now), case_id),
        )
        insert_event(
            conn,
            case_id,
            now=now,
            actor=SYSTEM_ACTOR,
            action=CaseAction.EXPIRE,
            from_state="claimed",
            to_state="new",
            detail={"claimed_by": agent},
        )


# the Case fields a transition may change, stored in the cases columns of the same name
_MUTABLE = (
    "state",
    "claimed_by",
    "claimed_at",
    "claim_expires_at",
    "responded_at",
    "responded_by",
    "resolved_at",
    "dismissed_at",
    "dismissed_reason",
    "escalated",
    "escalated_at",
    "escalated_by",
    "escalation_reason",
)


def _column(value: object) -> object:
    if isinstance(value, datetime):
        return to_iso(value)
    return int(value) if isinstance(value, bool) else str(value) if isinstance(value, CaseState) else value


def _apply(conn: sqlite3.Connection, t: Transition) -> None:
    """Write the fields the transition changed, if the case is still in the state it was decided on."""
    before, after = t.before, t.after
    values = {f: _column(getattr(after, f)) for f in _MUTABLE if getattr(after, f) != getattr(before, f)}
    values["updated_at"] = to_iso(t.at)
    sets = ", ".join(f"{col} = :{col}" for col in values)  # column names are ours, never user input
    changed = conn.execute(
        f"UPDATE cases SET {sets} WHERE id = :id AND state = :from_state",
        {**values, "id": before.id, "from_state": str(before.state)},
    ).rowcount
    if changed != 1:  # cannot happen under BEGIN IMMEDIATE (decide read the row in this transaction); guard anyway
        raise ConflictError(f"case {t.before.id} changed while it was being updated; try again")
    insert_event(
        conn,
        t.before.id,
        now=t.at,
        actor=t.actor,
        action=t.action,
        from_state=str(t.before.state),
        to_state=str(after.state),
        detail=dict(t.detail) or None,
    )
