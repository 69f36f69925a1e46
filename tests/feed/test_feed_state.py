"""gather(): the FeedState read from a real store filled through the real write paths."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from cm_testing.feed import NOW, add, make_config

from monitor.config import Config
from monitor.feed.state import FeedFilter, gather, gather_case, gather_fairness, parse_filter
from monitor.queue.cases import claim, respond, top
from monitor.store import PollRun, Store, open_store


def seed(store: Store, config: Config) -> None:
    add(store, config, "1", "parcel never arrived", severity=4, age=timedelta(hours=2), followers=30)
    add(store, config, "2", "配送が遅い 最悪", severity=3, language="ja", platform="reddit", followers=250_000)
    add(store, config, "3", "love it", complaint=False, platform="youtube")
    add(store, config, "4", "refund please", severity=2, brand="Globex", language="de", followers=5_000)
    add(store, config, "5", "unclassified so far", complaint=None)


def test_queue_is_the_fair_queue_in_service_order(store: Store, config: Config) -> None:
    seed(store, config)
    state = gather(store, config, now=NOW, agent="ana")
    assert [r.case_id for r in state.queue] == [r.case.id for r in top(store, config, now=NOW, limit=30)]
    assert state.open_cases == 3 and state.breached == 1  # the 2-hour-old severity 4 is past its 1 h SLA
    first = state.queue[0]
    assert first.text == "parcel never arrived" and first.severity == 4 and first.reasons == ("blame",)
    assert first.language == "en" and first.signals == ("churn",) and first.state == "new"
    assert "sev 4" in first.why
    assert state.blind_triage and state.brands == ("Acme", "Globex")


def test_own_claims_first_others_claims_counted(store: Store, config: Config) -> None:
    seed(store, config)
    claim(store, config, 3, agent="ana", now=NOW)  # case 3 = mention 4
    claim(store, config, 2, agent="bob", now=NOW)
    ana = gather(store, config, now=NOW, agent="ana")
    assert ana.queue[0].case_id == 3 and ana.queue[0].state == "claimed" and ana.queue[0].claimed_by == "ana"
    assert "claim" not in ana.queue[0].why  # the ranking's note about expired claims does not apply
    assert [r.case_id for r in ana.queue] == [3, 1] and ana.claimed_by_others == 1
    bob = gather(store, config, now=NOW, agent="bob")
    assert [r.case_id for r in bob.queue] == [2, 1] and bob.claimed_by_others == 1
    # a claim past claim_timeout is back in the queue for everyone
    later = NOW + config.fairness.claim_timeout + timedelta(seconds=1)
    again = gather(store, config, now=later, agent="bob")
    assert {r.case_id for r in again.queue} == {1, 2, 3} and all(r.state == "new" for r in again.queue)


def test_stream_newest_first_with_verdicts(store: Store, config: Config) -> None:
    seed(store, config)
    state = gather(store, config, now=NOW, agent="ana")
    assert [r.mention_id for r in state.stream] == ["5", "4", "3", "2", "1"]
    by_id = {r.mention_id: r for r in state.stream}
    assert by_id["5"].complaint is None and by_id["3"].complaint is False and by_id["1"].complaint is True
    assert by_id["1"].case_id == 1 and by_id["3"].case_id is None and by_id["2"].language == "ja"


def test_filters_apply_to_queue_and_stream(store: Store, config: Config) -> None:
    seed(store, config)
    cases = {
        "lang:ja": ["2"],
        "platform:reddit": ["2"],
        "brand:globex": ["4"],
        "REFUND": ["4"],
        "never arrived": ["1"],
        '"never arrived" lang:de': [],
        "最悪": ["2"],
    }
    for query, expected in cases.items():
        flt = parse_filter(query)
        state = gather(store, config, now=NOW, agent="ana", flt=flt)
        assert [r.mention_id for r in state.queue] == expected, query
        assert [r.mention_id for r in state.stream if r.complaint] == expected, query
    youtube = gather(store, config, now=NOW, agent="ana", flt=parse_filter("platform:youtube"))
    assert [r.mention_id for r in youtube.stream] == ["3"] and youtube.queue == ()


def test_parse_filter() -> None:
    assert parse_filter('brand:Acme p:reddit lang:de "late parcel" x') == FeedFilter(
        words=("late parcel", "x"), brand="Acme", platform="reddit", lang="de"
    )
    assert parse_filter("") == FeedFilter() and not FeedFilter().active
    assert parse_filter('unbalanced "quote').words == ("unbalanced", '"quote')
    assert parse_filter("http://x.com/a").words == ("http://x.com/a",)


def test_connector_header(tmp_path: Path) -> None:
    platforms = {"twitter": {"enabled": True}, "youtube": {"enabled": True, "daily_quota": 1000}}
    config = make_config(tmp_path, platforms=platforms)
    with open_store(config.store) as store:
        run = PollRun("twitter", "Acme", "acme", NOW - timedelta(minutes=2), NOW - timedelta(minutes=2))
        store.record_poll(run, [], None)
        with closing(sqlite3.connect(config.store)) as raw, raw:  # runs the store has no write for
            raw.execute(
                "INSERT INTO poll_runs (platform, brand, query, started_at, finished_at, status, new) "
                "VALUES ('twitter', 'Acme', 'acme', ?, ?, 'ok', 7), ('twitter', 'Acme', 'acme', ?, ?, 'ok', 100)",
                ("2026-11-29T11:30:00Z", "2026-11-29T11:30:00Z", "2026-11-29T09:00:00Z", "2026-11-29T09:00:00Z"),
            )
        store.add_quota_units("youtube", "2026-11-29", 300)
        store.set_connector_state("youtube", "quota", now=NOW, until=NOW + timedelta(hours=8), detail="used up")
        store.set_connector_state("reddit", "auth_error", now=NOW, detail="401")
        state = gather(store, config, now=NOW, agent="ana")
    views = {c.platform: c for c in state.connectors}
    assert set(views) == {"twitter", "youtube", "reddit"}  # reddit: not enabled, but has a state to show
    assert views["twitter"].state == "ok" and views["twitter"].last_poll == NOW - timedelta(minutes=2)
    assert views["twitter"].new_last_hour == 7 and state.new_last_hour == 7
    assert views["youtube"].state == "quota" and views["youtube"].quota_left == 700
    assert views["youtube"].until == NOW + timedelta(hours=8)
    assert views["reddit"].state == "auth_error"
    # once the pause is over the header says ok even before the scheduler writes again
    with open_store(config.store) as store:
        later = gather(store, config, now=NOW + timedelta(hours=9), agent="ana")
    assert {c.platform: c.state for c in later.connectors}["youtube"] == "ok"


def test_fairness_gauge_from_the_audit(store: Store, config: Config) -> None:
    seed(store, config)
    claim(store, config, 1, agent="ana", now=NOW)
    respond(store, 1, agent="ana", now=NOW)  # <100 tier: answered an hour late
    respond(store, 2, agent="ana", now=NOW)  # >=100k tier: answered within SLA
    gauge = gather_fairness(store, config, NOW)
    tiers = {t.label: t for t in gauge.tiers}
    assert tiers["<100"].answered == 1 and tiers["<100"].attainment == 0.0
    assert tiers[">=100k"].attainment == 1.0 and tiers["1k-10k"].attainment is None
    assert gauge.parity is not None and gauge.parity > 1 and gauge.alert
    state = gather(store, config, now=NOW, agent="ana", fairness=gauge)
    assert state.fairness is gauge


def test_gather_case_any_state(store: Store, config: Config) -> None:
    seed(store, config)
    respond(store, 1, agent="ana", now=NOW)
    row = gather_case(store, config, 1, NOW)
    assert row is not None and row.state == "responded" and row.claimed_by is None
    assert gather_case(store, config, 999, NOW) is None
