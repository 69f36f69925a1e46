"""The pollers against the loopback fake platforms: real HTTP through tweepy, praw and httpx, real SQLite."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.fake import fake_env
from connectors.twitter import TWEPOCH_MS
from connectors.youtube import next_pacific_midnight
from monitor.connector import Query, RateLimited
from monitor.ingest.poll import poll_once
from monitor.ingest.scheduler import build_scheduler
from monitor.plugins import make_connector as get_connector
from monitor.store import Store, open_store
from monitor.timeutil import parse_time, utcnow


def count(store: Store, sql: str) -> int:
    """A raw count from the store's file (tests may read SQLite directly; the code goes through the store)."""
    with closing(sqlite3.connect(store.path)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _poll(config, store, now=None, **kw):  # type: ignore[no-untyped-def]
    return poll_once(config, store, now=now or utcnow(), process=False, **kw)


def test_first_poll_stores_exactly_the_published_mentions(fake_factory, config_for, store, ids, tmp_path):
    fake = fake_factory(seed=11, mentions=500)
    config = config_for(fake, tmp_path / "store.db")
    report = _poll(config, store)
    assert report.ok, report.as_dict()
    assert ids(store) == fake.truth()
    tw = report.platforms["twitter"]
    assert tw.calls == 3  # 250 tweets, 100 per page: no extra calls
    assert tw.duplicates == 0 and tw.skipped == 0
    # the brand's own posts are published by the fake but never stored
    own = count(store, "SELECT count(*) FROM mentions WHERE lower(author_handle) IN ('acme', 'acme_official')")
    assert own == 0
    # followers come from includes.users; reddit reach is karma; youtube subscribers may be hidden (NULL)
    assert count(store, "SELECT count(*) FROM mentions WHERE platform = 'twitter' AND author_followers IS NULL") == 0
    assert count(store, "SELECT count(*) FROM mentions WHERE platform = 'reddit' AND author_followers IS NOT NULL") > 0


def test_repoll_is_idempotent(fake_factory, config_for, store, tmp_path):
    fake = fake_factory(seed=12, mentions=300)
    config = config_for(fake, tmp_path / "store.db")
    _poll(config, store)
    before = count(store, "SELECT count(*) FROM mentions")
    again = _poll(config, store)
    assert again.new == 0
    assert count(store, "SELECT count(*) FROM mentions") == before
    assert again.platforms["twitter"].calls == 1  # since_id: one page that says "nothing new"


def test_page_cap_backfills_without_skipping_while_new_mentions_arrive(
    fake_factory, config_for, store, ids, clock, tmp_path
):
    fake = fake_factory(seed=13, mentions=700, rate_per_minute=120, clock=clock)  # twitter: 350 now, +60/min
    config = config_for(fake, tmp_path / "store.db", platforms={"twitter": {"max_pages": 2}})
    incomplete = 0
    for _ in range(12):
        report = _poll(config, store, now=clock(), platforms=["twitter"])
        assert report.platforms["twitter"].status == "ok"
        incomplete += report.platforms["twitter"].incomplete
        clock.advance(minutes=3)  # 180 new tweets per round: more than one poll's 2 pages at first
    clock.advance(seconds=0)
    for _ in range(10):  # drain without new arrivals
        if ids(store, "twitter") == fake.truth(("twitter",)):
            break
        _poll(config, store, now=clock(), platforms=["twitter"])
    assert incomplete > 0
    assert ids(store, "twitter") == fake.truth(("twitter",))


def test_rate_limit_records_reset_and_backs_off(fake_factory, config_for, store, tmp_path):
    fake = fake_factory(seed=14, mentions=100)
    config = config_for(fake, tmp_path / "store.db")
    fake.inject("twitter", "429")
    now = utcnow()
    report = _poll(config, store, now=now, platforms=["twitter"])
    tw = report.platforms["twitter"]
    assert tw.status == "rate_limited"
    until = parse_time(tw.until or "")
    assert now < until <= now + timedelta(seconds=5)  # the x-rate-limit-reset the fake sent
    state = store.connector_states()["twitter"]
    assert state.state == "backoff" and state.until == parse_time(tw.until or "")
    assert count(store, "SELECT count(*) FROM cursors") == 0  # no cursor moved
    requests = fake.requests("twitter")
    skipped = _poll(config, store, now=now, platforms=["twitter"])
    assert skipped.platforms["twitter"].status == "backoff"
    assert fake.requests("twitter") == requests  # waited: no request sent
    time.sleep(max(0.0, (until - utcnow()).total_seconds()) + 1.1)  # the fake's 429 storm lasts until the reset
    later = _poll(config, store, now=until + timedelta(seconds=1), platforms=["twitter"])
    assert later.platforms["twitter"].status == "ok" and later.platforms["twitter"].new > 0
    assert store.connector_states()["twitter"].state == "ok"


def test_connector_raises_rate_limited_with_reset(fake_factory, config_for, tmp_path):
    fake = fake_factory(seed=15, mentions=50)
    settings = config_for(fake, tmp_path / "s.db").platforms.twitter
    connector = get_connector("twitter", settings)
    fake.inject("twitter", "429")
    with pytest.raises(RateLimited) as info:
        connector.fetch(Query("Acme", "acme", frozenset(), settings), None, utcnow())
    assert info.value.until.tzinfo is not None
    assert info.value.until > datetime.now(UTC) - timedelta(seconds=1)


@pytest.mark.parametrize("platform", ["twitter", "reddit", "youtube"])
def test_server_errors_and_broken_bodies_are_retried(platform, fake_factory, config_for, store, ids, tmp_path):
    fake = fake_factory(seed=16, mentions=200)
    config = config_for(fake, tmp_path / "store.db", platforms={platform: {"retries": 4}})
    for fault in ("5xx", "truncated", "malformed_json"):
        fake.inject(platform, fault)
    report = _poll(config, store, platforms=[platform])
    assert report.platforms[platform].status == "ok", report.as_dict()
    assert ids(store, platform) == fake.truth((platform,))


@pytest.mark.parametrize("platform", ["twitter", "reddit", "youtube"])
def test_malformed_item_is_skipped_and_the_page_kept(platform, fake_factory, config_for, store, ids, tmp_path):
    fake = fake_factory(seed=17, mentions=200)
    config = config_for(fake, tmp_path / "store.db")
    if platform == "youtube":  # the first YouTube call is search.list; the bad item goes into comment threads
        fake.inject(platform, "none")
    fake.inject(platform, "bad_item")
    report = _poll(config, store, platforms=[platform])
    assert report.platforms[platform].status == "ok"
    assert report.platforms[platform].skipped == 1
    assert ids(store, platform) == fake.truth((platform,))


def test_repeated_items_across_pages_are_stored_once(fake_factory, config_for, store, ids, tmp_path):
    fake = fake_factory(seed=18, mentions=600)
    config = config_for(fake, tmp_path / "store.db")
    fake.inject("twitter", "none")
    fake.inject("twitter", "repeat")  # page 2 repeats the last tweet of page 1
    report = _poll(config, store, platforms=["twitter"])
    assert report.platforms["twitter"].status == "ok"
    assert ids(store, "twitter") == fake.truth(("twitter",))


def test_auth_error_stops_that_connector_and_the_others_go_on(fake_factory, config_for, store, ids, tmp_path):
    fake = fake_factory(seed=19, mentions=200)
    env = fake_env()
    env["TWITTER_BEARER_TOKEN"] = "wrong-token-abc123"
    env["REDDIT_CLIENT_SECRET"] = "wrong-secret-def456"
    config = config_for(fake, tmp_path / "store.db", environ=env)
    report = _poll(config, store)
    assert report.platforms["twitter"].status == "auth_error"
    assert report.platforms["reddit"].status == "auth_error"
    assert report.platforms["youtube"].status == "ok"
    assert ids(store, "youtube") == fake.truth(("youtube",))
    states = store.connector_states()
    assert states["twitter"].state == "auth_error" and "bearer token" in states["twitter"].detail
    for msg in report.platforms["twitter"].errors + report.platforms["reddit"].errors:
        assert "wrong-token" not in msg and "wrong-secret" not in msg


def _snowflake_at(dt: datetime) -> str:
    return str((int(dt.timestamp() * 1000) - TWEPOCH_MS) << 22)


def test_stale_since_id_falls_back_to_start_time(fake_factory, config_for, store, ids, tmp_path):
    fake = fake_factory(seed=20, mentions=200)
    config = config_for(fake, tmp_path / "store.db")
    # a cursor from a poller that was off for 8 days
    store.record_poll(_run("twitter"), [], {"since_id": _snowflake_at(utcnow() - timedelta(days=8))})
    report = _poll(config, store, platforms=["twitter"])
    assert report.platforms["twitter"].status == "ok"
    assert ids(store, "twitter") == fake.truth(("twitter",))


def test_since_id_rejected_by_the_server_as_too_old_is_recovered(fake_factory, config_for, store, ids, clock, tmp_path):
    # The server's clock runs 20 minutes ahead: a since_id the poller thinks is inside the window gets the
    # real API's 400 "since_id must be a tweet id created after ..."; the poller retries with start_time.
    ahead = clock()
    ahead_clock = lambda: ahead + timedelta(minutes=20)  # noqa: E731
    fake = fake_factory(seed=21, mentions=200, clock=ahead_clock)
    config = config_for(fake, tmp_path / "store.db")
    since = _snowflake_at(ahead - timedelta(days=7) + timedelta(minutes=10))
    store.record_poll(_run("twitter"), [], {"since_id": since})
    report = _poll(config, store, now=ahead, platforms=["twitter"])
    assert report.platforms["twitter"].status == "ok", report.as_dict()
    assert ids(store, "twitter") == fake.truth(("twitter",))
    assert report.platforms["twitter"].calls >= 2  # the rejected request plus the fallback


def test_youtube_quota_exceeded_pauses_until_midnight_pacific(fake_factory, config_for, store, tmp_path):
    fake = fake_factory(seed=22, mentions=200)
    config = config_for(fake, tmp_path / "store.db")
    fake.inject("youtube", "quota")
    now = utcnow()
    report = _poll(config, store, now=now)
    yt = report.platforms["youtube"]
    assert yt.status == "quota"
    assert parse_time(yt.until or "") == next_pacific_midnight(now).replace(microsecond=0)
    assert report.platforms["twitter"].status == "ok"  # the others go on
    assert store.connector_states()["youtube"].state == "quota"
    requests = fake.requests("youtube")
    assert _poll(config, store, now=now + timedelta(hours=1), platforms=["youtube"]).platforms["youtube"].status == (
        "backoff"
    )
    assert fake.requests("youtube") == requests
    after = _poll(config, store, now=next_pacific_midnight(now) + timedelta(minutes=1), platforms=["youtube"])
    assert after.platforms["youtube"].status == "ok"
    status = store.status()
    assert any(k.startswith("youtube:") for k in status.quota_units)


def test_youtube_budget_skips_search_when_the_day_is_nearly_spent(fake_factory, config_for, store, tmp_path):
    from connectors.youtube import pacific_day

    fake = fake_factory(seed=23, mentions=200)
    config = config_for(fake, tmp_path / "store.db", platforms={"youtube": {"daily_quota": 10_000}})
    now = utcnow()
    store.add_quota_units("youtube", pacific_day(now), 9_990)
    report = _poll(config, store, now=now, platforms=["youtube"])
    yt = report.platforms["youtube"]
    assert yt.status == "ok"
    assert yt.units <= 10  # no 100-unit search.list fitted; only what was left
    assert store.quota_units("youtube", pacific_day(now)) <= 10_000


def test_fault_rate_converges_to_server_truth(fake_factory, config_for, store, ids, tmp_path):
    fake = fake_factory(seed=24, mentions=300, fault_rate=0.2)
    config = config_for(fake, tmp_path / "store.db")
    truth = fake.truth()
    deadline = time.monotonic() + 60
    while ids(store) != truth and time.monotonic() < deadline:
        report = _poll(config, store)
        waits = [parse_time(p.until) for p in report.platforms.values() if p.until]
        if waits and all(p.status != "ok" for p in report.platforms.values()):
            time.sleep(max(0.05, (min(waits) - utcnow()).total_seconds() + 0.05))
    assert ids(store) == truth
    assert count(store, "SELECT count(*) FROM poll_runs WHERE status != 'ok'") > 0  # faults did happen


def test_scheduler_runs_one_job_per_connector(fake_factory, config_for, tmp_path):
    fake = fake_factory(seed=25, mentions=100)
    db = tmp_path / "sched.db"
    config = config_for(fake, db, poll_interval="1h")
    seen: dict[str, str] = {}
    scheduler = build_scheduler(
        config, db, on_poll=lambda name, rep: seen.setdefault(name, rep.status), first_run=utcnow(), process=False
    )
    jobs = scheduler.get_jobs()
    assert {j.id for j in jobs} == {"poll:twitter", "poll:reddit", "poll:youtube"}
    assert all(j.coalesce and j.max_instances == 1 for j in jobs)
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
    assert seen == {"twitter": "ok", "reddit": "ok", "youtube": "ok"}
    with open_store(db) as s:
        assert count(s, "SELECT count(*) FROM mentions") == len(fake.truth())


def _run(platform: str):  # type: ignore[no-untyped-def]
    from monitor.store import PollRun

    now = utcnow()
    return PollRun(platform, "Acme", "acme -is:retweet", now, now)


def test_write_fake_config_loads(fake_factory, tmp_path: Path):
    from connectors.fake import fake_env, write_fake_config
    from monitor.config import load_config

    fake = fake_factory(seed=26, mentions=10)
    path = write_fake_config(tmp_path / "c" / "config.yaml", fake.base_url, tmp_path / "c" / "store.db")
    config = load_config(path, environ=fake_env())
    assert set(config.platforms.enabled()) == {"twitter", "reddit", "youtube"}
