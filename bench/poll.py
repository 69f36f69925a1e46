"""Polling cost and speed against the loopback fake platforms (real HTTP, real clients, real SQLite).

steady_state  a simulated clock drives the fake; Twitter is polled every 2 minutes (its default) for a quiet
              brand (~1 new post per poll) and a busy one (~100 per poll). Reports API calls per new
              mention and calls per *necessary* call (one per poll plus one per extra 100 results): 1.0
              means no wasted request. Reddit and YouTube calls per new mention are reported too.
end_to_end    one poll_once of N mentions (10,000; quick: 2,000) from a fresh store: wall time, time inside
              Store.record_poll, and that write time divided by a bare sqlite3 executemany of the same rows
              into a plain table (no indexes, FTS or author upserts) in one transaction.
growth        end_to_end at 1,000 and 10,000 mentions (quick: 500 / 2,000), bare insert measured at each size;
              verdict: log-log slope of time against size (bench/_growth.py)
youtube_day   YouTube at its default schedule (every 30 min, daily_quota 10,000, search.list = 100 units)
              for one simulated Pacific day: units spent, searches run, and whether it stayed within quota.

  python -m bench.poll [--quick]
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._growth import verdicts
from connectors.fake import fake_config_data, fake_env, start_fake_platforms
from connectors.youtube import next_pacific_midnight, pacific_day
from monitor.config import Config, parse_config
from monitor.ingest.poll import poll_once
from monitor.store import PollRun, SqliteStore, open_store
from monitor.store.sqlite.mentions import _INSERT_MENTION, _MENTION_COLUMNS, _mention_row
from monitor.timeutil import to_iso


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _config(base_url: str, db: Path, **platform_overrides: dict[str, Any]) -> Config:
    data = fake_config_data(base_url, db)
    for name, overrides in platform_overrides.items():
        data["platforms"][name].update(overrides)
    return parse_config(data, environ=fake_env())


def steady_state(per_poll: float, polls: int) -> dict[str, Any]:
    """Poll every 2 simulated minutes with `per_poll` new Twitter mentions arriving between polls."""
    clock = _Clock(datetime.now(UTC).replace(microsecond=0))
    rate = per_poll / 2 / 0.5  # Twitter gets half of the fake's stream
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_fake_platforms(seed=5, mentions=400, rate_per_minute=rate, clock=clock) as fake,
    ):
        db = Path(tmp) / "s.db"
        config = _config(fake.base_url, db)
        with open_store(db) as store:
            poll_once(config, store, now=clock(), process=False)  # catch up on the backlog first
            totals: dict[str, dict[str, int]] = {p: {"calls": 0, "new": 0, "needed": 0} for p in ("twitter",)}
            other: dict[str, dict[str, int]] = {p: {"calls": 0, "new": 0} for p in ("reddit",)}
            for _ in range(polls):
                clock.now += timedelta(minutes=2)
                report = poll_once(config, store, now=clock(), platforms=["twitter", "reddit"], process=False)
                tw = report.platforms["twitter"]
                totals["twitter"]["calls"] += tw.calls
                totals["twitter"]["new"] += tw.new
                totals["twitter"]["needed"] += max(1, math.ceil(tw.new / 100))
                for p in other:
                    other[p]["calls"] += report.platforms[p].calls
                    other[p]["new"] += report.platforms[p].new
    t = totals["twitter"]
    return {
        "new_per_poll": round(t["new"] / polls, 1),
        "twitter_calls_per_new_mention": round(t["calls"] / max(1, t["new"]), 4),
        "twitter_calls_per_necessary_call": round(t["calls"] / t["needed"], 4),
        "reddit_calls_per_new_mention": round(other["reddit"]["calls"] / max(1, other["reddit"]["new"]), 3),
    }


class _TimedStore(SqliteStore):
    """The real Store, with the time spent in record_poll added up (the single write transaction of a poll)."""

    write_seconds = 0.0
    rows: list[tuple[Any, ...]]

    def record_poll(self, run: PollRun, mentions: Any, cursor: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return super().record_poll(run, mentions, cursor)
        finally:
            self.write_seconds += time.perf_counter() - t0
            self.rows.extend(_mention_row(m, to_iso(run.finished_at), "poll") for m in mentions)


def _rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the result rows straight from the file (what was written is checked outside the store)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _stored_ids(db: Path) -> set[tuple[str, str]]:
    return {(p, i) for p, i in _rows(db, "SELECT platform, id FROM mentions")}


def _bare_insert(path: Path, rows: list[tuple[Any, ...]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"CREATE TABLE mentions ({', '.join(_MENTION_COLUMNS)}, PRIMARY KEY (platform, id))")
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(_INSERT_MENTION, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def end_to_end(mentions: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_fake_platforms(seed=9, mentions=round(mentions * 1.03), rate_per_minute=0) as fake,
    ):
        db = Path(tmp) / "s.db"
        config = _config(fake.base_url, db, youtube={"watch_videos": 20})
        with _TimedStore(db) as store:
            store.rows = []
            t0 = time.perf_counter()
            report = poll_once(config, store, now=datetime.now(UTC).replace(microsecond=0), process=False)
            wall = time.perf_counter() - t0
            stored = store.status().mentions
            assert _stored_ids(db) == fake.truth()
            write = store.write_seconds
            rows = store.rows
        bare = min(_bare_insert(Path(tmp) / f"bare{i}.db", rows) for i in range(3))
    return {
        "mentions": stored,
        "api_calls": sum(p.calls for p in report.platforms.values()),
        "seconds": round(wall, 3),
        "mentions_per_second": round(stored / wall),
        "store_write_seconds": round(write, 4),
        "bare_insert_seconds": round(bare, 4),
        "write_vs_bare_insert": round(write / bare, 2),
    }


def youtube_day() -> dict[str, Any]:
    """A Pacific day of YouTube polls at the default schedule; quota and search cost at their defaults."""
    day_start = next_pacific_midnight(datetime.now(UTC)) + timedelta(minutes=1)
    clock = _Clock(day_start)
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_fake_platforms(seed=3, mentions=200, rate_per_minute=5, clock=clock) as fake,
    ):
        db = Path(tmp) / "s.db"
        config = _config(
            fake.base_url, db, youtube={"daily_quota": 10_000, "poll_interval": "30m", "rate_limit_backoff": "60s"}
        )
        interval = config.platforms.youtube.poll_interval
        polls = searches = new = 0
        with open_store(db) as store:
            day = pacific_day(clock())
            while pacific_day(clock()) == day:
                report = poll_once(config, store, now=clock(), platforms=["youtube"], process=False)
                yt = report.platforms["youtube"]
                polls += 1
                new += yt.new
                searches += _rows(
                    db,
                    "SELECT count(*) FROM poll_runs WHERE platform = 'youtube' AND started_at = ? "
                    "AND json_extract(detail, '$.units') >= 100",
                    to_iso(clock()),
                )[0][0]
                clock.now += interval
            units = store.quota_units("youtube", day)
            stored = _stored_ids(db)
            missing = len(fake.truth(("youtube",)) - stored)
    return {
        "polls": polls,
        "searches": searches,
        "units": units,
        "daily_quota": 10_000,
        "within_quota": units <= 10_000,
        "new_mentions": new,
        "not_yet_stored_at_day_end": missing,
    }


def run(quick: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    polls = 30 if quick else 120
    out: dict[str, Any] = {
        "steady_state_quiet": steady_state(per_poll=1, polls=polls),
        "steady_state_busy": steady_state(per_poll=100, polls=polls),
    }
    runs = {n: end_to_end(n) for n in ([500, 2_000] if quick else [1_000, 10_000])}
    keys = ("mentions", "api_calls", "seconds", "store_write_seconds", "bare_insert_seconds", "write_vs_bare_insert")
    by_size = {str(n): {k: r[k] for k in keys} for n, r in runs.items()}
    out |= {
        "end_to_end": runs[max(runs)],
        "growth_by_size": by_size,
        "growth": verdicts(by_size, "seconds", "store_write_seconds", "bare_insert_seconds"),
        "youtube_day": youtube_day(),
    }
    out["bench_seconds"] = round(time.perf_counter() - t0, 1)
    return out


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv[1:]), indent=2))
