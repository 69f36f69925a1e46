"""Feed frame time with a large store, and the CPU an idle live feed uses.

Builds a store of 1,000,000 mentions (quick: 100,000) spread over 30 days, 5% complaints with cases
(1,000 open, the rest answered or dismissed), poll runs every 2 minutes per platform, then measures:
  frame          gather (monitor.feed.state.gather) + render to a string at 160x50, median of 20
  frame_filtered the same with a filter ("refund lang:de"): its word through the full-text index
  fairness       monitor.feed.state.gather_fairness (today's audit; the live loop runs it every 15 s)
  baseline       the same frame on a 1,000-mention store built the same way: ratio = frame / baseline
  growth         frame and frame_filtered on stores of 10k / 100k / 1M mentions (quick: 10k / 100k), built the
                 same way; the verdict is the log-log slope of median frame time against size (bench/_growth.py)
  idle_cpu       the real `monitor feed` in a pseudo-terminal (160x50), no keys pressed, on the large store:
                 process CPU time / wall time over 10 s (quick: 5 s), after a 2 s warm-up

    python -m bench.feed [--quick]
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import random
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from bench._growth import verdicts
from monitor.config import BrandConfig, Config, parse_config
from monitor.feed.render import render
from monitor.feed.state import gather, gather_fairness, parse_filter
from monitor.store import SqliteStore, open_store
from monitor.timeutil import to_iso

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
DAYS = 30
OPEN_CASES = 1_000
REPEATS = 20
WIDTH, HEIGHT = 160, 50
PHRASES = [
    "my order never arrived and support is silent",
    "refund still not processed after weeks",
    "app crashes at checkout every time",
    "charged twice for one subscription",
    "great service today, thanks",
    "mi pedido llegó roto y nadie responde",
    "remboursement toujours pas reçu",
    "Lieferung kam beschädigt an",
    "配達が遅い、最悪",
    "the new update drains my battery 🔋😡",
    "love the new colours",
]
PLATFORMS = ["twitter", "reddit", "youtube"]
LANGUAGES = ["en", "en", "en", "es", "fr", "de", "ja"]
_INSERT = (
    "INSERT INTO mentions (platform, id, brand, query, kind, url, text, lang, created_at, fetched_at, source, "
    "author_id, author_handle, author_followers, author_verified, likes, reposts, replies, language, complaint, "
    "score, severity, reasons, signals, model_version, classified_at) "
    "VALUES (?, ?, ?, 'q', 'post', ?, ?, NULL, ?, ?, 'poll', ?, ?, ?, 0, ?, 0, 0, ?, ?, ?, ?, ?, '{}', 'bench', ?)"
)
_CASE = (
    "INSERT INTO cases (platform, mention_id, brand, severity, state, first_seen, due_at, author_followers, "
    "responded_at, responded_by, dismissed_at, dismissed_reason, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def config_for(path: Path) -> Config:
    return Config(brands=[BrandConfig(name="Acme"), BrandConfig(name="Globex")], store=path)


def build(path: Path, mentions: int, seed: int = 1) -> Config:
    """Rows written directly in big transactions (the bench fixture; the app writes through Store)."""
    config = config_for(path)
    rng = random.Random(seed)
    start = NOW - timedelta(days=DAYS)
    step = (DAYS * 86_400) / mentions
    complaints = [i for i in range(mentions) if i % 20 == 0]
    open_from = len(complaints) - OPEN_CASES  # the newest complaints are the open ones
    open_ids = set(complaints[max(open_from, 0) :])
    open_store(path).close()  # the real schema: migrations, indexes, FTS triggers
    # bulk-load the fixture straight into the file (rows in states no store write produces in bulk)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = NORMAL")
        batch: list[tuple[Any, ...]] = []
        cases: list[tuple[Any, ...]] = []
        for i in range(mentions):
            created = start + timedelta(seconds=i * step)
            platform = PLATFORMS[i % 3]
            complaint = i % 20 == 0
            severity = 1 + i % 4 if complaint else None
            followers = int(min(5_000_000, rng.lognormvariate(5.0, 2.6)))
            text = f"Acme {rng.choice(PHRASES)} {rng.choice(PHRASES)} #{i}"
            iso, fetched = to_iso(created), to_iso(created + timedelta(seconds=40))
            batch.append(
                (
                    platform,
                    str(i),
                    "Acme" if i % 4 else "Globex",
                    f"https://example.com/{platform}/{i}",
                    text,
                    iso,
                    fetched,
                    f"a{i % 50_000}",
                    f"user{i % 50_000}",
                    followers,
                    i % 7,
                    rng.choice(LANGUAGES),
                    int(complaint),
                    0.9 if complaint else 0.1,
                    severity,
                    json.dumps(["blame", "refund"] if complaint else []),
                    fetched,
                )
            )
            if complaint:
                first_seen = created + timedelta(seconds=40)
                due = first_seen + config.sla_for(severity)
                if i in open_ids:
                    state, responded, dismissed = "new", None, None
                elif i % 100 == 0:
                    state, responded, dismissed = "dismissed", None, to_iso(first_seen + timedelta(minutes=20))
                else:
                    state = "responded"
                    responded = to_iso(first_seen + timedelta(minutes=rng.randint(5, 300)))
                    dismissed = None
                cases.append(
                    (
                        platform,
                        str(i),
                        "Acme",
                        severity,
                        state,
                        to_iso(first_seen),
                        to_iso(due),
                        followers,
                        responded,
                        "bench" if responded else None,
                        dismissed,
                        "spam" if dismissed else None,
                        fetched,
                    )
                )
            if len(batch) >= 50_000:
                _flush(conn, batch, cases)
        _flush(conn, batch, cases)
        with _transaction(conn):
            t = start
            runs = []
            while t < NOW:
                for platform in PLATFORMS:
                    runs.append((platform, "Acme", "acme", to_iso(t), to_iso(t + timedelta(seconds=3)), "ok", 1, 3))
                t += timedelta(minutes=2)
            conn.executemany(
                "INSERT INTO poll_runs (platform, brand, query, started_at, finished_at, status, calls, new) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                runs,
            )
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return config


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    yield
    conn.execute("COMMIT")


def _flush(conn: sqlite3.Connection, batch: list[tuple[Any, ...]], cases: list[tuple[Any, ...]]) -> None:
    with _transaction(conn):
        conn.executemany(_INSERT, batch)
        conn.executemany(_CASE, cases)
    batch.clear()
    cases.clear()


def frame_ms(store: SqliteStore, config: Config, *, query: str = "") -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) per frame. CPU time is reported too because a shared machine inflates wall time."""
    flt = parse_filter(query)
    wall, cpu = [], []
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        state = gather(store, config, now=NOW, agent="bench", flt=flt)
        console = Console(width=WIDTH, height=HEIGHT, file=io.StringIO(), color_system="truecolor", force_terminal=True)
        console.print(render(state, width=WIDTH, height=HEIGHT))
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def summary(ms: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    ordered = sorted(ms)
    out = {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(ordered[int(0.95 * (len(ms) - 1))], 2)}
    if cpu is not None:
        out["median_cpu_ms"] = round(statistics.median(cpu), 2)
    return out


def idle_cpu(config_path: Path, seconds: float) -> dict[str, float]:
    """Run the real `monitor feed` in a pseudo-terminal without pressing keys; CPU time / wall time."""
    monitor = str(Path(sys.executable).parent / "monitor")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")} | {"TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [monitor, "--config", str(config_path), "feed", "--agent", "bench"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    drained = [0]

    def drain() -> None:  # a terminal reads what the feed writes; a full pty buffer would stall it
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            drained[0] += len(data)

    threading.Thread(target=drain, daemon=True).start()
    try:
        time.sleep(2.0)  # imports, first gather, first frame
        cpu0, wall0 = _cpu_seconds(proc.pid), time.monotonic()
        bytes0 = drained[0]
        time.sleep(seconds)
        cpu1, wall1 = _cpu_seconds(proc.pid), time.monotonic()
        bytes1 = drained[0]
        os.write(master, b"q")
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    wall = wall1 - wall0
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu1 - cpu0, 3),
        "cpu_share_of_core": round((cpu1 - cpu0) / wall, 4),
        "terminal_bytes_per_second": round((bytes1 - bytes0) / wall),
        "exit_code": proc.returncode,
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def growth(folder: Path, sizes: list[int], baseline_ms: float) -> dict[str, Any]:
    """Frame and filtered-frame time on a store of each size (built the same way), against the 1k baseline."""
    by_size: dict[str, Any] = {}
    for n in sizes:
        config = build(folder / f"growth-{n}.db", n)
        with open_store(config.store) as store:
            frame_ms(store, config)  # warm the page cache
            frame, filtered = frame_ms(store, config)[0], frame_ms(store, config, query="refund lang:de")[0]
        by_size[str(n)] = _point(frame, filtered, baseline_ms)
    return by_size


def _point(frame: list[float], filtered: list[float], baseline_ms: float) -> dict[str, float]:
    median = statistics.median(frame)
    return {
        "frame_ms": round(median, 2),
        "frame_filtered_ms": round(statistics.median(filtered), 2),
        "frame_ratio_vs_1k": round(median / baseline_ms, 2),
    }


def run(quick: bool) -> dict[str, Any]:
    n = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp:
        folder = Path(tmp)
        small = build(folder / "small.db", 1_000)
        build_seconds = timed(lambda: build(folder / "large.db", n))
        large = config_for(folder / "large.db")
        with open_store(small.store) as store:
            frame_ms(store, small)  # warm imports and caches
            baseline = frame_ms(store, small)
        by_size = growth(folder, [10_000] if quick else [10_000, 100_000], statistics.median(baseline[0]))
        with closing(sqlite3.connect(large.store)) as raw:
            counts = raw.execute(
                "SELECT (SELECT count(*) FROM mentions), (SELECT count(*) FROM cases), "
                "(SELECT count(*) FROM cases WHERE state = 'new')"
            ).fetchone()
        with open_store(large.store) as store:
            frame_ms(store, large)
            frame = frame_ms(store, large)
            filtered = frame_ms(store, large, query="refund lang:de")
            fairness = [timed(lambda: gather_fairness(store, large, NOW)) * 1000 for _ in range(5)]
        config_path = folder / "config.yaml"
        data = {"store": str(large.store), "brands": [{"name": "Acme"}, {"name": "Globex"}]}
        config_path.write_text(json.dumps(data))  # JSON is YAML
        parse_config(data, environ={})  # fail here, not in the child, if the config is wrong
        idle = idle_cpu(config_path, 5.0 if quick else 10.0)
    by_size[str(n)] = _point(frame[0], filtered[0], statistics.median(baseline[0]))
    return {
        "benchmark": "feed",
        "quick": quick,
        "mentions": counts[0],
        "cases": counts[1],
        "open_cases": counts[2],
        "build_seconds": round(build_seconds, 1),
        "size": f"{WIDTH}x{HEIGHT}",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "frame": summary(*frame),
        "frame_filtered": summary(*filtered),
        "fairness": summary(fairness),
        "baseline_1k_mentions": summary(*baseline),
        "frame_ratio_vs_1k": round(statistics.median(frame[0]) / statistics.median(baseline[0]), 2),
        "growth_by_size": by_size,
        "growth": verdicts(by_size, "frame_ms", "frame_filtered_ms"),
        "frame_target_ms": 50,
        "frame_meets_target": statistics.median(frame[0]) < 50,
        "idle": idle,
        "idle_target_share": 0.05,
        "idle_meets_target": idle["cpu_share_of_core"] < 0.05,
    }


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv), indent=2))
