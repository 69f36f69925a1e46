"""Queue latency: top-50 and `next` (an atomic claim) on a big store, against a bare indexed SELECT.

Builds a store with 1,000,000 mentions and 100,000 open cases (quick: 100,000 / 10,000) plus as many closed
cases, then times, in the same run:
  bare   SELECT ... FROM cases WHERE state IN ('new','claimed') ORDER BY due_at LIMIT 50 (the index alone)
  top50  monitor.queue.cases.top(limit=50): SQL pre-filter + join + the pure ranking
  next   monitor.queue.cases.next_case: BEGIN IMMEDIATE, expire claims, rank, claim, event, COMMIT
  growth all three at 10k / 100k / 1M mentions (a tenth of them open cases; quick: 10k / 100k), each on its
         own store; the verdict is the log-log slope of median latency against size (bench/_growth.py)

    python -m bench.queue [--quick]
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._growth import verdicts
from monitor.config import BrandConfig, Config
from monitor.queue.cases import next_case, top
from monitor.store import open_store
from monitor.timeutil import to_iso

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
REPEATS = 50


def _mention_rows(n: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        created = NOW - timedelta(seconds=rng.randint(0, 3 * 86400))
        fetched = created + timedelta(seconds=rng.randint(30, 900))
        followers = int(min(50_000_000, rng.lognormvariate(5.0, 2.6)))
        yield (
            "twitter" if i % 3 else "reddit",
            str(i),
            "Acme",
            f"https://x.test/{i}",
            f"acme order {i} never arrived, support silent",
            to_iso(created),
            to_iso(fetched),
            f"a{i % 200_000}",
            f"user{i % 200_000}",
            followers,
            rng.randint(0, 50),
            rng.randint(0, 10),
            rng.randint(0, 10),
        )


def build(path: Path, *, mentions: int, open_cases: int, seed: int = 1) -> Config:
    config = Config(brands=[BrandConfig(name="Acme")], store=path)
    rng = random.Random(seed)
    open_store(path).close()  # the real schema: migrations, indexes, FTS triggers
    with closing(sqlite3.connect(path)) as conn, conn:  # the fixture rows straight into the file, one transaction
        conn.executemany(
            "INSERT INTO mentions (platform, id, brand, url, text, created_at, fetched_at, author_id, author_handle, "
            "author_followers, likes, reposts, replies, complaint, severity, model_version, classified_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, 'bench', ?)",
            ((*row, to_iso(NOW)) for row in _mention_rows(mentions, rng)),
        )
        # complaints: every 5th mention; the first `open_cases` of them stay open, as many again are closed
        states = ["new"] * open_cases + ["resolved"] * open_cases
        rows = conn.execute(
            "SELECT platform, id, fetched_at, author_followers FROM mentions WHERE rowid % 5 = 0 LIMIT ?",
            (len(states),),
        ).fetchall()
        sla = config.sla
        case_rows = []
        for (platform, mid, fetched, followers), state in zip(rows, states, strict=False):
            sev = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
            due = datetime.fromisoformat(fetched) + sla[sev]
            case_rows.append((platform, mid, "Acme", sev, state, fetched, to_iso(due), followers, to_iso(NOW)))
        conn.executemany(
            "INSERT INTO cases (platform, mention_id, brand, severity, state, first_seen, due_at, author_followers, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        conn.executemany(
            "UPDATE mentions SET complaint = 1 WHERE platform = ? AND id = ?", ((r[0], r[1]) for r in case_rows)
        )
        conn.execute(
            "UPDATE cases SET escalated = 1, escalated_at = ?, escalation_reason = 'bench' "
            "WHERE id IN (SELECT id FROM cases WHERE state = 'new' ORDER BY id DESC LIMIT 5)",
            (to_iso(NOW),),
        )
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("ANALYZE")
    return config


def _time(fn: Callable[[], Any], repeats: int = REPEATS) -> dict[str, float]:
    fn()  # warm the page cache
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[int(0.95 * len(samples)) - 1]
    return {"median_ms": round(statistics.median(samples), 3), "p95_ms": round(p95, 3)}


def measure(path: Path, *, mentions: int, open_cases: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    config = build(path, mentions=mentions, open_cases=open_cases)
    build_s = time.perf_counter() - t0
    with open_store(path) as store, closing(sqlite3.connect(path)) as raw:  # raw: the bare sqlite3 baseline
        bare_sql = "SELECT id, due_at FROM cases WHERE state IN ('new', 'claimed') ORDER BY due_at LIMIT 50"
        bare = _time(lambda: raw.execute(bare_sql).fetchall())
        top50 = _time(lambda: top(store, config, now=NOW, limit=50))
        nth = raw.execute(
            "SELECT due_at FROM cases WHERE state IN ('new', 'claimed') ORDER BY due_at LIMIT 1 OFFSET 49"
        ).fetchone()[0]
        horizon = to_iso(datetime.fromisoformat(nth) + config.fairness.max_reach_boost)
        candidates = raw.execute(
            "SELECT count(*) FROM cases WHERE state IN ('new', 'claimed') AND due_at <= ?", (horizon,)
        ).fetchone()[0]
        counter = iter(range(10**9))
        claim = _time(lambda: next_case(store, config, agent=f"bench{next(counter) % 8}", now=NOW))
        plan = [r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + bare_sql)]
    return {
        "mentions": mentions,
        "open_cases": open_cases,
        "closed_cases": open_cases,
        "build_seconds": round(build_s, 1),
        "bare_indexed_select": bare,
        "top50": top50,
        "next_claim": claim,
        "top50_candidates_approx": candidates,
        "ratio_top50_to_bare": round(top50["median_ms"] / bare["median_ms"], 1),
        "ratio_next_to_bare": round(claim["median_ms"] / bare["median_ms"], 1),
        "target_ms": 20,
        "bare_plan": plan,
    }


def run(quick: bool) -> dict[str, Any]:
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]  # open cases: a tenth of the mentions
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        runs = {n: measure(Path(tmp) / f"bench-{n}.db", mentions=n, open_cases=n // 10) for n in sizes}
    by_size = {
        str(n): {
            "open_cases": r["open_cases"],
            "bare_ms": r["bare_indexed_select"]["median_ms"],
            "top50_ms": r["top50"]["median_ms"],
            "next_ms": r["next_claim"]["median_ms"],
            "ratio_top50_to_bare": r["ratio_top50_to_bare"],
            "ratio_next_to_bare": r["ratio_next_to_bare"],
        }
        for n, r in runs.items()
    }
    # the largest size is the headline; growth: median latency against the number of mentions
    return runs[sizes[-1]] | {"growth_by_size": by_size, "growth": verdicts(by_size, "top50_ms", "next_ms", "bare_ms")}


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
