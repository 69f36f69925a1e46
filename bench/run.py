"""Run every benchmark, each in its own subprocess (so peak RSS is per benchmark); one table, bench/results.json.

    python -m bench [--quick] [--only NAME ...]

A benchmark is a module bench/<name>.py exposing `run(quick: bool) -> dict` (machine-readable results, with
ratios against a baseline measured in the same run). Modules are found in this folder; the known ones run
in pipeline order, absent ones are listed as skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"
ORDER = ["ingest", "poll", "classify", "queue", "feed", "digest"]
NOT_BENCHMARKS = {"__init__", "__main__", "run"}
TIMEOUT_S = {True: 600, False: 1800}  # per benchmark, quick / full


def discover() -> list[str]:
    present = {p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS and not p.stem.startswith("_")}
    return [n for n in ORDER if n in present] + sorted(present - set(ORDER))


def run_child(name: str, quick: bool, out: Path) -> None:
    """In the child: import bench.<name>, call run(quick), write result, time and own peak RSS as JSON."""
    import importlib

    module = importlib.import_module(f"bench.{name}")
    start = time.perf_counter()
    result = module.run(quick)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.write_text(
        json.dumps(
            {
                "result": result,
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "peak_rss_children_mb": round(children.ru_maxrss / 1024, 1),
            },
            default=str,
        )
    )


def run_one(name: str, quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "bench.run", "--child", name, "--out", str(out)] + (["--quick"] if quick else [])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S[quick], check=False
            )
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "seconds": round(time.perf_counter() - start, 1)}
        if proc.returncode != 0 or not out.exists():
            return {
                "status": "failed",
                "seconds": round(time.perf_counter() - start, 1),
                "error": (proc.stderr or proc.stdout).strip()[-2000:],
            }
        data: dict[str, Any] = json.loads(out.read_text())
        data["status"] = "ok"
        return data


# --- the table -----------------------------------------------------------------------------------


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | str | bool) and not (isinstance(value, str) and len(value) > 40)


def headline(result: dict[str, Any]) -> tuple[str, str]:
    """(ratios, other key figures) picked from a benchmark's flat keys."""
    ratios, figures, growth = [], [], []
    flat: dict[str, Any] = {}
    for key, value in result.items():  # one level of nesting: {"top50": {"median_ms": 3}} -> top50.median_ms
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    for key, value in flat.items():
        if key in {"benchmark", "quick"} or not _scalar(value):
            continue
        if key == "growth" or key.startswith("growth."):  # verdicts: always shown, after the figures
            growth.append(f"{key}={value}")
        elif "ratio" in key or "_over_" in key or key.endswith("_vs_baseline"):
            ratios.append(f"{key}={value}")
        elif any(mark in key for mark in ("per_s", "_ms", "rss", "growth", "meets_target")):
            figures.append(f"{key}={value}")
    return "\n".join(ratios), "\n".join(figures[:8] + growth)


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"complaint-monitor benchmarks ({'quick' if report['quick'] else 'full'})", show_lines=True)
    for column in ("benchmark", "status", "seconds", "peak RSS MB", "ratios (same-run baseline)", "figures"):
        table.add_column(column, overflow="fold")
    for name, entry in report["benchmarks"].items():
        result = entry.get("result") or {}
        ratios, figures = headline(result) if isinstance(result, dict) else ("", "")
        rss = entry.get("peak_rss_mb")
        if entry.get("peak_rss_children_mb"):
            rss = f"{rss} (children {entry['peak_rss_children_mb']})"
        detail = entry.get("note") or entry.get("error", "")[-300:]
        table.add_row(name, entry["status"], str(entry.get("seconds", "")), str(rss or ""), ratios, figures or detail)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a readable table in logs and CI output
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (under 2 minutes)")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    parser.add_argument("--child", metavar="NAME", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.quick, args.out)
        return 0

    present = discover()
    wanted = [n.strip() for item in args.only or [] for n in item.split(",") if n.strip()] or present
    unknown = [n for n in wanted if n not in present]
    if args.only and unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; present: {', '.join(present)}", file=sys.stderr)
        return 2
    report: dict[str, Any] = {
        "quick": args.quick,
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
            "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        },
        "benchmarks": {},
    }
    if not args.only:
        for name in ORDER:
            if name not in present:
                report["benchmarks"][name] = {"status": "skipped", "note": f"bench/{name}.py is not present yet"}
    started = time.perf_counter()
    for name in wanted:
        print(f"running {name}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)
        report["benchmarks"][name] = run_one(name, args.quick)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    # keep pipeline order in the output
    report["benchmarks"] = dict(
        sorted(report["benchmarks"].items(), key=lambda kv: ORDER.index(kv[0]) if kv[0] in ORDER else len(ORDER))
    )
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print_table(report)
    print(f"total {report['total_seconds']} s; results written to {args.out}", file=sys.stderr)
    failed = [n for n, e in report["benchmarks"].items() if e["status"] in {"failed", "timeout"}]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
