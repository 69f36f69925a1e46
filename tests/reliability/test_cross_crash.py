"""Crash: kill -9 an agent's `monitor next` loop at seeded random points while two other agents keep claiming.

Afterwards no case is half-claimed, every claim has its event (the events log replays to each case's state),
the other agents never saw an error, `monitor next` still works, and `PRAGMA integrity_check` is ok.
(kill -9 of pollers and of `monitor import` is covered in the other reliability files.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cm_testing.cross import (
    AGENT,
    SEED,
    clean_env,
    event_chain_problems,
    fake_credentials,
    full,
    integrity,
    monitor,
    query,
    tally,
    write_config,
)

from connectors.fake import start_fake_platforms

pytestmark = pytest.mark.reliability


def _agent(config: Path, name: str, deadline: float, seed: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", AGENT, str(config), name, str(deadline), str(seed), str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(**fake_credentials()),
    )


def test_kill_9_next_leaves_no_half_claimed_case(tmp_path: Path) -> None:
    kills = full(6, 60)
    rng = random.Random(SEED)
    with start_fake_platforms(seed=SEED, mentions=full(400, 2500), rate_per_minute=0) as fake:
        os.environ.update(fake_credentials())
        config = write_config(tmp_path / "config.yaml", fake.base_url, tmp_path / "store.db")
        first = monitor("--config", str(config), "poll", "--once", env=fake_credentials())
        assert first.returncode == 0, first.stderr
    db = tmp_path / "store.db"
    open_cases = query(db, "SELECT count(*) FROM cases WHERE state = 'new'")[0][0]
    assert open_cases > 50

    deadline = time.time() + 3600  # the other agents stop when told (terminated below)
    others = [_agent(config, f"o{i}", deadline, SEED + 100 + i, tmp_path / f"o{i}.jsonl") for i in range(2)]
    killed_points = []
    try:
        for n in range(kills):
            victim = _agent(config, f"k{n}", deadline, SEED + n, tmp_path / f"k{n}.jsonl")
            assert victim.stdout is not None
            assert victim.stdout.readline().strip() == b"ready"  # imports done: now it claims in a loop
            delay = rng.uniform(0.0, 0.8)
            time.sleep(delay)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed_points.append(round(delay, 3))
            assert victim.returncode == -signal.SIGKILL
    finally:
        for p in others:
            p.terminate()
        for p in others:
            p.communicate(timeout=60)

    # the survivors never saw anything but 0 / 7 / 8 and never a lock or a traceback
    entries = [json.loads(line) for i in range(2) for line in (tmp_path / f"o{i}.jsonl").read_text().splitlines()]
    assert {e["code"] for e in entries} <= {0, 7, 8}
    assert not [e for e in entries if "locked" in e["err"].lower() or "Traceback" in e["err"]]

    problems = event_chain_problems(db)
    assert problems == []
    assert integrity(db) == "ok"
    victim_claims = query(db, "SELECT count(*) FROM events WHERE action = 'claim' AND actor LIKE 'k%'")[0][0]
    after = monitor("--config", str(config), "next", "--agent", "after-crash", "--json", env=fake_credentials())
    assert after.returncode == 0, after.stderr
    tally(
        "crash-next",
        kills,
        kills - len(problems),
        0,
        claims_by_killed=victim_claims,
        claims_by_others=sum(e["op"] == "next" and e["code"] == 0 and e["id"] is not None for e in entries),
    )
