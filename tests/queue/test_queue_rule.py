"""The fairness rule as properties: bounded head start, no starvation, escalations first."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.models import Case
from monitor.queue.policies import rank, reach_boost, sort_key

from .conftest import T0, plain_config

CONFIG = plain_config()
MAX_BOOST = CONFIG.fairness.max_reach_boost


@st.composite
def cases(draw: st.DrawFn, n_max: int = 40, escalations: bool = False) -> list[Case]:
    n = draw(st.integers(1, n_max))
    out = []
    for i in range(n):
        seen = T0 + timedelta(seconds=draw(st.integers(0, 6 * 3600)))
        sev = draw(st.integers(1, 4))
        age = timedelta(seconds=draw(st.integers(0, 7200)))
        out.append(
            Case(
                id=i + 1,
                platform=draw(st.sampled_from(["twitter", "reddit", "youtube"])),
                mention_id=str(i),
                severity=sev,
                first_seen=seen,
                due_at=seen + CONFIG.sla_for(sev),
                followers=draw(st.one_of(st.none(), st.integers(0, 50_000_000))),
                verified=draw(st.booleans()),
                likes=draw(st.integers(0, 100_000)),
                reposts=draw(st.integers(0, 10_000)),
                replies=draw(st.integers(0, 5000)),
                posted_at=seen - age,
                observed_at=seen,
                escalated=escalations and draw(st.booleans()),
                escalated_at=seen + timedelta(minutes=1),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(cases())
def test_served_before_implies_due_within_max_boost(batch: list[Case]) -> None:
    ranked = rank(batch, T0, CONFIG)
    for i, a in enumerate(ranked):
        assert timedelta(0) <= a.boost <= MAX_BOOST
        for b in ranked[i + 1 :]:
            assert a.case.due_at <= b.case.due_at + MAX_BOOST


@settings(max_examples=100, deadline=None)
@given(cases(escalations=True))
def test_escalated_cases_come_first_and_the_rest_keep_the_guarantee(batch: list[Case]) -> None:
    ranked = rank(batch, T0, CONFIG)
    flags = [r.case.escalated for r in ranked]
    assert flags == sorted(flags, reverse=True)  # all escalated ones before any other
    plain = [r for r in ranked if not r.case.escalated]
    for i, a in enumerate(plain):
        for b in plain[i + 1 :]:
            assert a.case.due_at <= b.case.due_at + MAX_BOOST


@settings(max_examples=100, deadline=None)
@given(cases(n_max=60), st.integers(1, 3), st.integers(60, 1800))
def test_no_starvation_with_arrivals_over_time(batch: list[Case], servers: int, handle_s: int) -> None:
    """Serve arrivals one at a time by the rule: a case is never overtaken by one due more than max_boost later,
    so the cases served ahead of any case after it arrived are bounded by those due before due + max_boost."""
    arrivals = sorted(batch, key=lambda c: c.first_seen)
    waiting: list[tuple[tuple[object, ...], int]] = []
    by_id = {c.id: c for c in batch}
    free = [T0] * servers
    served_at: dict[int, datetime] = {}
    order: list[int] = []
    i = 0
    while i < len(arrivals) or waiting:
        now = heapq.heappop(free)
        if not waiting and arrivals[i].first_seen > now:
            now = arrivals[i].first_seen  # idle until the next arrival
        while i < len(arrivals) and arrivals[i].first_seen <= now:
            c = arrivals[i]
            boost, _ = reach_boost(c, CONFIG.fairness)
            heapq.heappush(waiting, (sort_key(c, c.due_at - boost), c.id))
            i += 1
        _, cid = heapq.heappop(waiting)
        # everyone still waiting now is served after cid: cid may not be due much later than any of them
        for _, other in waiting:
            assert by_id[cid].due_at <= by_id[other].due_at + MAX_BOOST
        order.append(cid)
        served_at[cid] = now
        heapq.heappush(free, now + timedelta(seconds=handle_s))
    assert sorted(order) == sorted(by_id)  # everyone is served: nobody starves
    # bounded overtaking: after c arrived, only cases due by due(c) + max_boost can be served before it
    for c in batch:
        overtakers = [o for o in order[: order.index(c.id)] if served_at[o] >= c.first_seen]
        assert all(by_id[o].due_at <= c.due_at + MAX_BOOST for o in overtakers)


def test_spreading_small_account_gets_the_boost_and_followers_alone_little() -> None:
    f = CONFIG.fairness
    small_viral = Case(
        id=1,
        platform="twitter",
        mention_id="1",
        severity=2,
        first_seen=T0,
        due_at=T0,
        followers=40,
        likes=300,
        reposts=120,
        replies=80,
        posted_at=T0 - timedelta(minutes=30),
        observed_at=T0,
    )
    big_quiet = Case(
        id=2,
        platform="twitter",
        mention_id="2",
        severity=2,
        first_seen=T0,
        due_at=T0,
        followers=2_000_000,
        posted_at=T0 - timedelta(minutes=30),
        observed_at=T0,
    )
    boost_small, v = reach_boost(small_viral, f)
    boost_big, _ = reach_boost(big_quiet, f)
    assert v == 500 / 30
    assert boost_small >= timedelta(minutes=10)
    assert boost_big <= f.max_reach_boost * f.follower_boost_share
    assert boost_small > boost_big
    ranked = rank([big_quiet, small_viral], T0, CONFIG)
    assert [r.case.id for r in ranked] == [1, 2]


def test_ties_by_first_seen_then_platform_then_id() -> None:
    def qc(i: int, platform: str, seen_min: int, sev: int) -> Case:
        seen = T0 + timedelta(minutes=seen_min)
        return Case(
            id=i, platform=platform, mention_id=str(i), severity=sev, first_seen=seen, due_at=seen + CONFIG.sla_for(sev)
        )

    # same due (09:00 + 2h == 08:00... no boost): sev 3 seen at 0 and sev 2 seen at -120 min are both due 11:00
    batch = [qc(4, "twitter", 0, 3), qc(3, "reddit", 0, 3), qc(2, "twitter", -120, 2), qc(1, "twitter", 0, 3)]
    assert [r.case.id for r in rank(batch, T0, CONFIG)] == [2, 3, 1, 4]


def test_why_string_is_human() -> None:
    c = Case(
        id=1,
        platform="reddit",
        mention_id="x",
        severity=3,
        first_seen=T0,
        due_at=T0 + timedelta(hours=2),
        likes=60,
        posted_at=T0 - timedelta(minutes=10),
        observed_at=T0,
    )
    (r,) = rank([c], T0 + timedelta(minutes=78), CONFIG)
    assert r.why.startswith("sev 3 · due in 42m · +")
    assert "spread boost" in r.why
    (late,) = rank([c], T0 + timedelta(hours=3), CONFIG)
    assert "overdue 1h00m" in late.why


def test_order_does_not_depend_on_now() -> None:
    batch = [
        Case(
            id=i,
            platform="t",
            mention_id=str(i),
            severity=1 + i % 4,
            first_seen=T0 + timedelta(minutes=i),
            due_at=T0 + timedelta(minutes=i) + CONFIG.sla_for(1 + i % 4),
            likes=i * 7,
            posted_at=T0,
            observed_at=T0 + timedelta(minutes=i + 1),
        )
        for i in range(30)
    ]
    first = [r.case.id for r in rank(batch, T0, CONFIG)]
    later = [r.case.id for r in rank(batch, T0 + timedelta(days=2), CONFIG)]
    assert first == later
