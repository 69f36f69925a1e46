"""The bench harness finds its modules and rejects unknown names (no timings are asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench._growth import verdict
from bench.ingest import write_mentions
from bench.run import discover, headline
from monitor.ingest.importer import import_lines
from monitor.store import open_store
from monitor.timeutil import parse_time

REPO = Path(__file__).resolve().parents[2]


def test_discover_lists_ingest_first() -> None:
    found = discover()
    assert found[0] == "ingest"
    assert not {"run", "__init__", "__main__"} & set(found)


def test_headline_picks_ratios_and_figures() -> None:
    ratios, figures = headline({"ratio_to_same_schema": 0.8, "top50": {"median_ms": 3.0}, "mentions": 10})
    assert ratios == "ratio_to_same_schema=0.8"
    assert figures == "top50.median_ms=3.0"


def test_growth_verdict_follows_the_log_log_slope() -> None:
    sizes = [10_000, 100_000, 1_000_000]
    assert verdict(sizes, [2.0, 2.1, 2.2]) == "flat (slope 0.02)"
    assert verdict(sizes, [1.0, 4.0, 16.0]).startswith("sublinear")
    assert verdict(sizes, [1.0, 10.0, 100.0]) == "linear (slope 1.00)"
    assert verdict(sizes, [1.0, 30.0, 900.0]).startswith("superlinear")
    _, figures = headline({"growth": {"top50_ms": "flat (slope 0.02)"}, "growth_by_size": {"10": {"top50_ms": 1}}})
    assert figures == "growth.top50_ms=flat (slope 0.02)"


def test_unknown_benchmark_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nope"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "unknown benchmark" in proc.stderr


def test_bench_data_imports_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    write_mentions(path, 500)
    with open_store(tmp_path / "s.db") as store, path.open("rb") as fh:
        result = import_lines(store, fh, now=parse_time("2026-11-29T12:00:00Z"))
    assert (result.inserted, result.rejected) == (500, 0)
