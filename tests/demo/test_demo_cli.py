"""`monitor demo` without a terminal: the README's first command must work with no accounts and no network."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def _run_demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWITTER_", "REDDIT_", "YOUTUBE_"))}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--dir", str(tmp_path / "demo"), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
    )


def test_demo_polls_classifies_and_ranks_without_a_terminal(tmp_path: Path) -> None:
    proc = _run_demo(tmp_path, "--json", "--mentions", "120")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data["mentions_by_platform"]) == {"twitter", "reddit", "youtube"}
    assert data["mentions"] == data["poll"]["new"] > 0
    assert data["cases_by_state"].get("new", 0) > 0

    db = tmp_path / "demo" / "demo.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        unclassified = conn.execute("SELECT count(*) FROM mentions WHERE model_version IS NULL").fetchone()[0]
        complaints = conn.execute("SELECT count(*) FROM mentions WHERE complaint = 1").fetchone()[0]
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    assert unclassified == 0
    assert cases == complaints > 0  # every complaint, and only complaints, opened a case


def test_demo_text_summary_shows_the_queue_and_a_way_to_explore(tmp_path: Path) -> None:
    proc = _run_demo(tmp_path, "--mentions", "60")
    assert proc.returncode == 0, proc.stderr
    assert "FAIR QUEUE" in proc.stdout
    assert f"--config {tmp_path / 'demo' / 'config.yaml'}" in proc.stdout
    assert "\x1b[" not in proc.stdout  # not a terminal: no escape codes
