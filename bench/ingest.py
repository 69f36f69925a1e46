"""Ingest: `monitor import` of JSON Lines against a bare sqlite3 executemany of the same rows, same run.

Measured, in one process tree:
  library    monitor.ingest.importer.import_file into a fresh store (parse, validate, rows, authors, FTS, batches)
  baseline   the very rows the importer writes, built before the clock starts, executemany'd in batches of
             the same size with the same pragmas (WAL, synchronous=NORMAL) into
               (a) a bare table (same columns, no key, no index, no FTS) and
               (b) the same schema (primary key, indexes, FTS triggers) — what SQLite alone costs us
  cli        `monitor import FILE` in a subprocess at several sizes: wall time and the child's peak RSS
             (flat memory: the peak should not grow with the file)

    python -m bench.ingest [--quick]          # quick: 100,000 mentions; full: 1,000,000
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.ingest.importer import BATCH_SIZE, _decode, import_file
from monitor.store import open_store
from monitor.store.sqlite.mentions import _INSERT_MENTION, _MENTION_COLUMNS, _mention_row
from monitor.timeutil import parse_time, to_iso

NOW = parse_time("2026-11-29T12:00:00Z")
_WORD_LINE = (
    "acme order refund late broken support never again thanks love delivery parcel app crash charged twice "
    "waiting help please worst service paquete retraso посылка пакет 包裹 ritardo pakk 😡"
)
WORDS = _WORD_LINE.split()
MONITOR = str(Path(sys.executable).with_name("monitor"))


def write_mentions(path: Path, n: int, seed: int = 1) -> int:
    """A realistic import file: mixed platforms and languages, repeat authors. Returns its size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            author = rng.randrange(n // 4 + 1)
            fh.write(
                json.dumps(
                    {
                        "platform": ("twitter", "reddit", "youtube")[i % 3],
                        "id": str(10_000_000_000 + i),
                        "url": f"https://example.com/p/{i}",
                        "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))),
                        "created_at": to_iso(NOW) if i % 50 == 0 else f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:17:00Z",
                        "author": {"id": str(author), "handle": f"user{author}", "followers": rng.randint(0, 10**6)},
                        "brand": "Acme",
                        "lang": ("en", "es", "ru", "zh", "it", "et")[i % 6],
                        "engagement": {"likes": rng.randint(0, 500), "reposts": rng.randint(0, 50), "replies": 1},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path.stat().st_size


def _row_chunks(path: Path, chunk: int) -> Iterator[list[tuple[Any, ...]]]:
    """The importer's own rows for the file, a chunk at a time (so 1M rows never sit in memory at once)."""
    fetched = to_iso(NOW)
    rows: list[tuple[Any, ...]] = []
    with path.open("rb") as fh:
        for line in fh:
            mention, text = _decode(line.strip())
            rows.append(_mention_row(mention, fetched, "import", text))
            if len(rows) >= chunk:
                yield rows
                rows = []
    if rows:
        yield rows


def _baseline(path: Path, db: Path, *, same_schema: bool) -> float:
    """Seconds spent in executemany + commit only; building the rows is not timed."""
    if same_schema:
        open_store(db).close()  # the real schema: migrations, indexes, FTS triggers
        sql = _INSERT_MENTION
    else:
        sql = f"INSERT INTO bare ({', '.join(_MENTION_COLUMNS)}) VALUES ({', '.join('?' for _ in _MENTION_COLUMNS)})"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    if not same_schema:
        conn.execute(f"CREATE TABLE bare ({', '.join(_MENTION_COLUMNS)})")
    spent = 0.0
    for rows in _row_chunks(path, 100_000):
        start = time.perf_counter()
        for i in range(0, len(rows), BATCH_SIZE):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows[i : i + BATCH_SIZE])
            conn.execute("COMMIT")
        spent += time.perf_counter() - start
    conn.close()
    return spent


def _library(path: Path, db: Path) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    with open_store(db) as store, path.open("rb") as fh:
        result = import_file(store, fh, now=NOW)
    return time.perf_counter() - start, result.as_dict()


def _hwm_mb(pid: int) -> float | None:
    """The process's own peak RSS (VmHWM, Linux). Unlike wait4's ru_maxrss it does not inherit the
    parent's size at fork, which would hide whether the import itself stays flat."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _cli(path: Path, db: Path) -> dict[str, Any]:
    """`monitor import` in a child process: wall time and the child's peak RSS."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        cmd = [MONITOR, "--db", str(db), "import", str(path), "--json", "--no-process"]  # storing only
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak = None
        while True:  # VmHWM only rises, so the last reading before exit is the peak (to within 20 ms)
            hwm = _hwm_mb(proc.pid)
            peak = hwm if hwm is not None else peak
            _, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if _ != 0:
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise RuntimeError(f"monitor import failed ({code}): {err.read().decode()[-500:]}")
        report = json.loads(out.read())
    return {
        "lines": report["lines"],
        "inserted": report["inserted"],
        "seconds": round(seconds, 2),
        "mentions_per_s": round(report["lines"] / seconds),
        "peak_rss_mb": round(peak if peak is not None else usage.ru_maxrss / 1024, 1),
    }


def run(quick: bool) -> dict[str, Any]:
    n = 100_000 if quick else 1_000_000
    rounds = 2 if quick else 1
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        folder = Path(tmp)
        files = {}
        for size in sorted({*sizes, n}):
            files[size] = folder / f"mentions-{size}.jsonl"
            file_bytes = write_mentions(files[size], size)
        big = files[n]
        # the CLI first, while this process is still small
        cli = {str(size): _cli(files[size], folder / f"cli-{size}.db") for size in sizes}
        # interleaved rounds, best of each: these machines are shared, and load drifts within a run
        lib_times, bare_times, schema_times = [], [], []
        for r in range(rounds):
            lib_s, lib_result = _library(big, folder / f"lib{r}.db")
            lib_times.append(lib_s)
            bare_times.append(_baseline(big, folder / f"bare{r}.db", same_schema=False))
            schema_times.append(_baseline(big, folder / f"schema{r}.db", same_schema=True))
            if r:
                for name in (f"lib{r}.db", f"bare{r}.db", f"schema{r}.db"):
                    for f in folder.glob(name + "*"):
                        f.unlink()
        lib_s, bare_s, schema_s = min(lib_times), min(bare_times), min(schema_times)
        # idempotency at scale: a second import of the same file inserts nothing
        again_s, again = _library(big, folder / "lib0.db")
    small, large = cli[str(sizes[0])], cli[str(sizes[-1])]
    return {
        "benchmark": "ingest",
        "quick": quick,
        "mentions": n,
        "file_mb": round(file_bytes / 2**20, 1),
        "batch_size": BATCH_SIZE,
        "rounds": rounds,
        "timing": "best of interleaved rounds",
        "library_seconds_each_round": [round(t, 2) for t in lib_times],
        "library_mentions_per_s": round(n / lib_s),
        "library_inserted": lib_result["inserted"],
        "reimport_inserted": again["inserted"],
        "reimport_mentions_per_s": round(n / again_s),
        "baseline_bare_table_rows_per_s": round(n / bare_s),
        "baseline_same_schema_rows_per_s": round(n / schema_s),
        "ratio_to_bare_table": round(bare_s / lib_s, 3),
        "ratio_to_same_schema": round(schema_s / lib_s, 3),
        "target_ratio": 0.5,
        "cli_by_size": cli,
        "cli_mentions_per_s": large["mentions_per_s"],
        "peak_rss_mb_small_vs_large": [small["peak_rss_mb"], large["peak_rss_mb"]],
        "rss_growth": round(large["peak_rss_mb"] / small["peak_rss_mb"], 2),
        "growth": _growth(cli),
    }


def _growth(cli: dict[str, dict[str, Any]]) -> str:
    """Linear when the largest file still imports at >= 70 % of the next size's rate (small sizes are
    dominated by process start-up, so they only ever look slower)."""
    rates = [v["mentions_per_s"] for v in cli.values()]
    if rates[-1] >= 0.7 * rates[-2]:
        return "linear"
    return f"worse than linear: rate falls {rates[-2] / rates[-1]:.1f}x from the previous size"


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv[1:]), indent=2))
