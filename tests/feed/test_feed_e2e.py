"""End to end: the real `monitor run` against the loopback fake platforms, in tmux and headless."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from connectors.fake import fake_env, start_fake_platforms, write_fake_config
from monitor.store import open_store

MONITOR = str(Path(sys.executable).parent / "monitor")
STREAM_ROW = re.compile(r"^\d\d:\d\d \S", re.MULTILINE)  # a line of the incoming stream


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def fake_setup(tmp_path: Path) -> Iterator[Path]:
    with start_fake_platforms(seed=7, mentions=400, rate_per_minute=120) as fake:
        yield write_fake_config(tmp_path / "config.yaml", fake.base_url, tmp_path / "store.db", poll_interval="2s")


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.base = ["tmux", "-S", str(socket)]

    def __call__(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], check=True, capture_output=True, text=True).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "feed")

    def wait_screen(self, check: Callable[[str], bool], timeout: float, what: str) -> str:
        """The first screen for which `check` holds."""
        seen: list[str] = []

        def probe() -> bool:
            seen[:] = [self.screen()]
            return check(seen[0])

        try:
            wait_for(probe, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last screen:\n{seen[0] if seen else ''}") from None
        return seen[0]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: the live-view test drives tmux")
def test_run_in_tmux_shows_mentions_and_claims_with_a_key(fake_setup: Path, tmp_path: Path) -> None:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in fake_env().items())
    command = (
        f"env {env} NO_COLOR= TERM=xterm-256color {shlex.quote(MONITOR)} --config {shlex.quote(str(fake_setup))} "
        f"run --agent e2e-agent --log-file {shlex.quote(str(tmp_path / 'run.log'))}; echo EXIT=$?; sleep 60"
    )
    tmux = Tmux(tmp_path / "tmux.sock")
    tmux("new-session", "-d", "-s", "feed", "-x", "120", "-y", "40", command)
    try:
        tmux.wait_screen(lambda s: "FAIR QUEUE" in s, 20, "the feed to start")
        # mentions polled from the fake platforms arrive in the stream, a complaint reaches the queue
        arrived = tmux.wait_screen(lambda s: len(STREAM_ROW.findall(s)) >= 3, 40, "polled mentions in the stream")
        assert "no mentions yet" not in arrived
        screen = tmux.wait_screen(lambda s: "▶" in s, 40, "a complaint in the queue")
        assert "twitter " in screen and "reddit " in screen and "polled " in screen  # the connectors' states
        assert len(screen.splitlines()[0]) > 100  # the pane's real width, not a stale $COLUMNS
        assert "new in the last hour" in screen and "agent e2e-agent" in screen
        tmux("send-keys", "-t", "feed", "c")
        screen = tmux.wait_screen(lambda s: "claimed case #" in s, 10, "the claim")
        case_id = int(screen.split("claimed case #")[1].split(":")[0])
        tmux("send-keys", "-t", "feed", "q")
        screen = tmux.wait_screen(lambda s: "EXIT=" in s, 15, "a clean exit")
        assert "EXIT=0" in screen and "Traceback" not in screen
    finally:
        subprocess.run([*tmux.base, "kill-server"], capture_output=True)
    with closing(sqlite3.connect(tmp_path / "store.db")) as conn:
        row = conn.execute("SELECT state, claimed_by FROM cases WHERE id = ?", (case_id,)).fetchone()
        events = conn.execute(
            "SELECT actor, action, from_state, to_state FROM events WHERE case_id = ? ORDER BY id", (case_id,)
        ).fetchall()
    with open_store(tmp_path / "store.db") as store:
        polled = store.status().mentions
    assert row == ("claimed", "e2e-agent")
    assert events[-1] == ("e2e-agent", "claim", "new", "claimed")
    assert polled > 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_headless_polls_logs_json_and_stops_cleanly(fake_setup: Path, tmp_path: Path, sig: signal.Signals) -> None:
    env = {**os.environ, **fake_env()}
    proc = subprocess.Popen(
        [MONITOR, "--config", str(fake_setup), "run", "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:

        def polled() -> bool:
            if not (tmp_path / "store.db").exists():
                return False
            with open_store(tmp_path / "store.db") as store:
                return len(store.status().polls) >= 2

        wait_for(polled, 30, "the pollers to write poll runs")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    records = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is one JSON object
    messages = [r["msg"] for r in records]
    assert "pollers started" in messages and "poll" in messages and messages[-1] == "pollers stopped"
    poll = next(r for r in records if r["msg"] == "poll")
    assert poll["platform"] in ("twitter", "reddit", "youtube") and "status" in poll["poll"]
    assert any(r["msg"] == "stopping" and r["signal"] == sig.name for r in records)
    assert "fake-" not in err  # no secret in the logs
    with open_store(tmp_path / "store.db") as store:  # opens fine: nothing half-written
        assert store.check() == []
