"""Digest build time for one busy day, against a bare scan of that day's mentions.

Builds a store with 50,000 mentions on the reported day and as many the day before (quick: 5,000), a fifth
of them complaints with cases (70% answered, 20% open, 10% dismissed) and claim/escalate events, then times:
  baseline  SELECT platform, brand, language, complaint FROM mentions WHERE created_at in the day (the index)
  load      both days' rows and monitor.queue.audit.audit_store for both windows (everything that reads SQLite)
  build     monitor.digest.build_digest (pure: volumes, themes, changes)
  render    Jinja2 HTML + text and CSS inlining
  total     monitor.digest.prepare (load + build + render)
  growth    all of it for a day of 5k / 50k / 500k mentions (quick: 500 / 5k), each on its own store. The size
            axis is mentions per day: a digest reads the reported day and the day before through indexes on
            time (plus the open backlog), not the whole history. Verdict: log-log slope of time against size
            (bench/_growth.py)

    python -m bench.digest [--quick]
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._growth import verdicts
from monitor.config import BrandConfig, Config
from monitor.digest import build_digest, prepare, render
from monitor.digest.build import DayData
from monitor.digest.load import day_window, load_day
from monitor.queue.audit import audit_store
from monitor.store import open_store
from monitor.timeutil import to_iso

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
REPEATS = 5
PHRASES = [
    "my order never arrived and support is silent",
    "refund still not processed after weeks",
    "app crashes at checkout every time",
    "charged twice for one subscription",
    "delivery driver left parcel in rain",
    "mi pedido llegó roto y nadie responde",
    "remboursement toujours pas reçu",
    "Lieferung kam beschädigt an",
    "login broken again, password reset email never comes",
    "配達が遅い",
    "great service today, thanks",
    "the new update drains my battery",
    "customer service hung up on me",
    "wrong item in the box",
]
PLATFORMS = ["twitter", "reddit", "youtube"]
LANGUAGES = ["en", "en", "en", "es", "fr", "de", "ja"]


def build(path: Path, *, per_day: int, seed: int = 1) -> Config:
    config = Config(brands=[BrandConfig(name="Acme"), BrandConfig(name="Globex")], store=path)
    rng = random.Random(seed)
    open_store(path).close()  # the real schema: migrations, indexes, FTS triggers
    with closing(sqlite3.connect(path)) as conn, conn:  # the fixture rows straight into the file, one transaction
        for offset in (1, 0):  # the day before, then the day
            since, _ = day_window(DAY - timedelta(days=offset), config.tz)
            for i in range(per_day):
                mid, platform = f"{offset}-{i}", rng.choice(PLATFORMS)
                created = since + timedelta(seconds=rng.randint(0, 86_399))
                complaint = i % 5 == 0
                followers = int(min(10_000_000, rng.lognormvariate(5.0, 2.6)))
                text = f"{rng.choice(PHRASES)} {rng.choice(PHRASES)} #{i}"
                conn.execute(
                    "INSERT INTO mentions (platform, id, brand, url, text, created_at, fetched_at, author_id, "
                    "author_handle, author_followers, language, complaint, severity, model_version) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench')",
                    (
                        platform,
                        mid,
                        rng.choice(["Acme", "Globex"]),
                        f"https://x.test/{mid}",
                        text,
                        to_iso(created),
                        to_iso(created),
                        f"a{i}",
                        f"user{i}",
                        followers,
                        rng.choice(LANGUAGES),
                        int(complaint),
                        rng.randint(1, 4) if complaint else None,
                    ),
                )
                if not complaint:
                    continue
                severity = rng.randint(1, 4)
                due = created + config.sla_for(severity)
                roll = rng.random()
                state, responded = ("new", None)
                if roll < 0.7:
                    state, responded = "responded", created + timedelta(minutes=rng.lognormvariate(4.0, 0.8))
                elif roll < 0.8:
                    state = "dismissed"
                cur = conn.execute(
                    "INSERT INTO cases (platform, mention_id, brand, severity, state, first_seen, due_at, "
                    "author_followers, responded_at, updated_at) SELECT platform, id, brand, ?, ?, created_at, ?, "
                    "author_followers, ?, ? FROM mentions WHERE platform = ? AND id = ?",
                    (
                        severity,
                        state,
                        to_iso(due),
                        to_iso(responded) if responded else None,
                        to_iso(NOW),
                        platform,
                        mid,
                    ),
                )
                case_id = cur.lastrowid
                conn.execute(
                    "INSERT INTO events (case_id, at, actor, action, detail) VALUES (?, ?, ?, 'claim', ?)",
                    (
                        case_id,
                        to_iso(created + timedelta(minutes=5)),
                        f"agent{i % 12}",
                        json.dumps({"out_of_order": rng.random() < 0.05}),
                    ),
                )
                if rng.random() < 0.02:
                    conn.execute(
                        "INSERT INTO events (case_id, at, actor, action) VALUES (?, ?, ?, 'escalate')",
                        (case_id, to_iso(created + timedelta(minutes=9)), f"agent{i % 12}"),
                    )
    return config


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(path: Path, per_day: int, repeats: int = REPEATS) -> dict[str, Any]:
    t0 = time.perf_counter()
    config = build(path, per_day=per_day)
    setup = time.perf_counter() - t0
    with open_store(path) as store, closing(sqlite3.connect(path)) as bare:
        since, until = day_window(DAY, config.tz)
        prev_since, _ = day_window(DAY - timedelta(days=1), config.tz)
        lo, hi = to_iso(since), to_iso(until)

        def baseline() -> int:
            sql = "SELECT platform, brand, language, complaint FROM mentions"
            sql += " WHERE created_at >= ? AND created_at < ?"
            return len(bare.execute(sql, (lo, hi)).fetchall())

        def load() -> tuple[DayData, DayData]:
            today = DayData(
                load_day(store, since, until, unanswered_limit=10),
                audit_store(store, config, since=since, until=until, now=NOW),
            )
            before = DayData(
                load_day(store, prev_since, since), audit_store(store, config, since=prev_since, until=since, now=NOW)
            )
            return today, before

        t_base, rows = _best(baseline, repeats)
        t_load, (today, before) = _best(load, repeats)
        t_build, digest = _best(lambda: build_digest(today, before, day=DAY, now=NOW, config=config), repeats)
        t_render, (_, html, text) = _best(lambda: render(digest), repeats)
        t_total, _ = _best(lambda: prepare(store, config, day=DAY, now=NOW), repeats)
    return {
        "mentions_per_day": per_day,
        "day_rows": rows,
        "complaints": digest.cases.opened,
        "themes": [t.term for t in digest.themes],
        "html_bytes": len(html.encode()),
        "text_bytes": len(text.encode()),
        "setup_s": round(setup, 2),
        "baseline_scan_ms": round(t_base * 1000, 1),
        "load_ms": round(t_load * 1000, 1),
        "build_ms": round(t_build * 1000, 1),
        "render_ms": round(t_render * 1000, 1),
        "total_ms": round(t_total * 1000, 1),
        "total_over_baseline": round(t_total / t_base, 1) if t_base else None,
        "build_over_baseline": round(t_build / t_base, 2) if t_base else None,
        "repeats": repeats,
        "timing": "best of repeats",
    }


def run(quick: bool = False) -> dict[str, Any]:
    headline = 5_000 if quick else 50_000
    sizes = [500, 5_000] if quick else [5_000, 50_000, 500_000]
    with tempfile.TemporaryDirectory() as tmp:
        # the biggest day is slow to load (seconds per repeat): fewer repeats there
        runs = {n: measure(Path(tmp) / f"bench-{n}.db", n, REPEATS if n <= 50_000 else 2) for n in sizes}
    keys = ("baseline_scan_ms", "load_ms", "build_ms", "total_ms", "total_over_baseline")
    by_size = {str(n): {k: r[k] for k in keys} for n, r in runs.items()}
    growth = verdicts(by_size, "total_ms", "build_ms", "baseline_scan_ms")
    return {"benchmark": "digest", "quick": quick} | runs[headline] | {"growth_by_size": by_size, "growth": growth}


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2, ensure_ascii=False))
