"""Case lifecycle on a real store: transitions, events, conflicts, expiry, out-of-order claims, SQL top-N."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from datetime import datetime, timedelta

import pytest

from monitor.config import Config
from monitor.errors import ConflictError, NotFoundError
from monitor.models import Case
from monitor.queue import cases
from monitor.queue.policies import rank
from monitor.store import Store
from monitor.timeutil import to_iso

from .conftest import T0, add_case, minutes


def actions(store: Store, case_id: int) -> list[tuple[str, str | None, str | None, str]]:
    return [(e.action, e.from_state, e.to_state, e.actor) for e in cases.case_events(store, case_id)]


def test_full_lifecycle_appends_one_event_per_transition(store: Store, config: Config) -> None:
    cid = add_case(store, config, "1", severity=3)
    now = T0 + minutes(5)
    got = cases.next_case(store, config, agent="ana", now=now)
    assert got is not None and got.case.id == cid
    row = cases.get_case(store, cid)
    assert (row.state, row.claimed_by, to_iso(row.claim_expires_at)) == ("claimed", "ana", "2026-11-28T09:35:00Z")  # type: ignore[arg-type]
    cases.respond(store, cid, agent="ana", now=T0 + minutes(20), note="sent a DM")
    cases.respond(store, cid, agent="ana", now=T0 + minutes(40))  # a second answer keeps the first time
    row = cases.resolve(store, cid, agent="ana", now=T0 + minutes(60))
    assert row.state == "resolved"
    assert to_iso(row.responded_at) == "2026-11-28T09:20:00Z" and row.responded_by == "ana"  # type: ignore[arg-type]
    assert actions(store, cid) == [
        ("open", None, "new", "system"),
        ("claim", "new", "claimed", "ana"),
        ("respond", "claimed", "responded", "ana"),
        ("respond", "responded", "responded", "ana"),
        ("resolve", "responded", "resolved", "ana"),
    ]
    assert cases.case_events(store, cid)[2].detail == {"note": "sent a DM"}
    with pytest.raises(ConflictError):
        cases.respond(store, cid, agent="ana", now=T0 + minutes(61))
    with pytest.raises(ConflictError):
        cases.dismiss(store, cid, agent="ana", now=T0 + minutes(61), reason="spam")


def test_wrong_transitions_and_unknown_ids(store: Store, config: Config) -> None:
    cid = add_case(store, config, "1")
    with pytest.raises(NotFoundError):
        cases.claim(store, config, 999, agent="ana", now=T0)
    with pytest.raises(ConflictError):
        cases.release(store, cid, agent="ana", now=T0)  # not claimed
    cases.claim(store, config, cid, agent="ana", now=T0)
    with pytest.raises(ConflictError, match="claimed by ana"):
        cases.claim(store, config, cid, agent="bo", now=T0 + minutes(1))
    with pytest.raises(ConflictError):
        cases.respond(store, cid, agent="bo", now=T0 + minutes(1))
    renewed = cases.claim(store, config, cid, agent="ana", now=T0 + minutes(10))  # own claim: renewed
    assert to_iso(renewed.case.claim_expires_at) == "2026-11-28T09:40:00Z"  # type: ignore[arg-type]
    cases.release(store, cid, agent="ana", now=T0 + minutes(11))
    cases.dismiss(store, cid, agent="bo", now=T0 + minutes(12), reason="not about us")
    with pytest.raises(ConflictError):
        cases.escalate(store, cid, agent="bo", now=T0 + minutes(13), reason="press")
    assert cases.get_case(store, cid).dismissed_reason == "not about us"


def test_events_are_append_only(store: Store, config: Config) -> None:
    add_case(store, config, "1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE events SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM events")


def test_claims_expire_back_into_the_queue(store: Store, config: Config) -> None:
    a = add_case(store, config, "1", severity=4)
    b = add_case(store, config, "2", severity=1)
    assert cases.next_case(store, config, agent="ana", now=T0).case.id == a  # type: ignore[union-attr]
    # while ana holds it, the queue shows only b; after the timeout a is back on top
    assert [r.case.id for r in cases.top(store, config, now=T0 + minutes(29))] == [b]
    assert [r.case.id for r in cases.top(store, config, now=T0 + minutes(30))] == [a, b]
    got = cases.next_case(store, config, agent="bo", now=T0 + minutes(31))
    assert got is not None and got.case.id == a
    assert actions(store, a)[-2:] == [("expire", "claimed", "new", "system"), ("claim", "new", "claimed", "bo")]
    assert cases.case_events(store, a)[-2].detail == {"claimed_by": "ana"}
    with pytest.raises(ConflictError):
        cases.respond(store, a, agent="ana", now=T0 + minutes(32))


def test_out_of_order_claim_is_logged_with_rank(store: Store, config: Config) -> None:
    ids = [add_case(store, config, str(i), severity=4 - i % 4, seen=T0 + minutes(i)) for i in range(12)]
    ranked = cases.top(store, config, now=T0 + minutes(20), limit=50)
    third = ranked[2].case.id
    row = cases.claim(store, config, third, agent="bo", now=T0 + minutes(20))
    assert row.detail == {"via": "claim", "out_of_order": True, "rank": 3, "top_case": ranked[0].case.id}
    top = cases.claim(store, config, ranked[0].case.id, agent="bo", now=T0 + minutes(21))
    assert "out_of_order" not in top.detail
    assert len(ids) == 12


def test_escalation_jumps_the_line(store: Store, config: Config) -> None:
    first = add_case(store, config, "1", severity=4)
    late = add_case(store, config, "2", severity=1, seen=T0 + minutes(5))
    cases.escalate(store, late, agent="lead", now=T0 + minutes(6), reason="safety: gas leak")
    ranked = cases.top(store, config, now=T0 + minutes(7))
    assert [r.case.id for r in ranked] == [late, first]
    assert ranked[0].why.startswith("escalated: safety: gas leak · sev 1")
    with pytest.raises(ConflictError, match="already escalated"):
        cases.escalate(store, late, agent="lead", now=T0 + minutes(8), reason="again")


def _all_available(store: Store, config: Config, now_iso: str) -> list[Case]:
    return store.available_cases(datetime.fromisoformat(now_iso))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_top_n_and_rank_match_ranking_everything(store: Store, config: Config, seed: int) -> None:
    """The SQL pre-filter (due <= N-th due + max boost, plus escalations) must not change the answer."""
    rng = random.Random(seed)
    for i in range(300):
        add_case(
            store,
            config,
            str(i),
            severity=rng.randint(1, 4),
            seen=T0 + timedelta(seconds=rng.randint(0, 7200)),
            followers=rng.choice([None, 5, 40, 900, 20_000, 3_000_000]),
            likes=rng.choice([0, 0, 3, 50, 4000]),
            reposts=rng.choice([0, 1, 300]),
            created=T0 - timedelta(seconds=rng.randint(0, 3600)),
        )
    now = T0 + timedelta(hours=2, minutes=1)
    for cid in rng.sample(range(1, 301), 10):
        cases.escalate(store, cid, agent="lead", now=now, reason="crisis")
    for cid in rng.sample(range(1, 301), 20):
        with contextlib.suppress(ConflictError):
            cases.claim(store, config, cid, agent="x", now=now - timedelta(minutes=rng.choice([5, 45])))
    everything = rank(_all_available(store, config, "2026-11-28T11:01:00Z"), now, config)
    for n in (1, 7, 50, 400):
        assert [r.case.id for r in cases.top(store, config, now=now, limit=n)] == [r.case.id for r in everything[:n]]
    for r in rng.sample(everything, 25):
        me = store.case(r.case.id)
        assert cases.rank_of(store, config, me, now=now) == r.position
