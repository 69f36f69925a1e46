"""Concurrency: 8 agent processes claim and respond while a poller writes mentions and a digest is built.

Nobody sees "database is locked"; exit codes are 0, 7 (not found) or 8 (conflict); every success an agent saw
is in the events log exactly once (no lost updates); the events replay to every case's state (no case claimed
twice); `PRAGMA integrity_check` is ok.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
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

AGENTS = 8


def _loop(args: list[str], deadline: float, results: list[subprocess.CompletedProcess[bytes]]) -> None:
    while time.time() < deadline:
        results.append(monitor(*args, env=fake_credentials()))


def test_agents_poller_and_digest_at_once(tmp_path: Path) -> None:
    seconds = full(6, 45)
    with start_fake_platforms(seed=SEED, mentions=full(300, 2000), rate_per_minute=240) as fake:
        os.environ.update(fake_credentials())
        config = write_config(tmp_path / "config.yaml", fake.base_url, tmp_path / "store.db")
        first = monitor("--config", str(config), "poll", "--once", env=fake_credentials())
        assert first.returncode == 0, first.stderr
        db = tmp_path / "store.db"
        mentions_before = query(db, "SELECT count(*) FROM mentions")[0][0]
        logs = [tmp_path / f"agent{i}.jsonl" for i in range(AGENTS)]
        start = time.time() + 4.0  # imports take ~1-3 s on 2 cores; the loops then overlap for `seconds`
        deadline = start + seconds
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", AGENT, str(config), f"a{i}", str(deadline), str(SEED + i), str(logs[i])],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=clean_env(**fake_credentials()),
            )
            for i in range(AGENTS)
        ]
        polls: list[subprocess.CompletedProcess[bytes]] = []
        digests: list[subprocess.CompletedProcess[bytes]] = []
        today = datetime.now(UTC).date().isoformat()
        threads = [
            threading.Thread(target=_loop, args=(["--config", str(config), "poll", "--once"], deadline, polls)),
            threading.Thread(
                target=_loop,
                args=(
                    ["--config", str(config), "digest", "--date", today, "--out", str(tmp_path / "digest")],
                    deadline,
                    digests,
                ),
            ),
        ]
        for t in threads:
            t.start()
        for p in procs:
            _, err = p.communicate(timeout=seconds + 120)
            assert p.returncode == 0, err.decode(errors="replace")
        for t in threads:
            t.join(timeout=seconds + 120)

    entries = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    seen_by_user = [e["err"] for e in entries] + [r.stderr.decode(errors="replace") for r in polls + digests]
    assert not [e for e in seen_by_user if "locked" in e.lower() or "Traceback" in e]
    assert {e["code"] for e in entries} <= {0, 7, 8}, Counter(e["code"] for e in entries)
    assert all(e["err"].startswith("error: ") for e in entries if e["code"] != 0)
    assert [r.returncode for r in polls + digests] == [0] * len(polls + digests), [r.stderr for r in polls + digests]
    assert polls and digests

    # no lost update: each success an agent was told about is one event by that agent, and nothing more
    told = Counter(
        (f"a{i}", "claim" if e["op"] == "next" else e["op"].removesuffix("-any"), e["id"])
        for i, log in enumerate(logs)
        for e in map(json.loads, log.read_text().splitlines())
        if e["code"] == 0 and e["id"] is not None
    )
    logged = Counter(
        (actor, action, case_id)
        for actor, action, case_id in query(
            db, "SELECT actor, action, case_id FROM events WHERE actor LIKE 'a_' AND action != 'open'"
        )
    )
    assert told == logged
    problems = event_chain_problems(db)
    assert problems == []
    assert integrity(db) == "ok"
    mentions_after = query(db, "SELECT count(*) FROM mentions")[0][0]
    assert mentions_after > mentions_before  # the poller really wrote while the agents worked

    ops = len(entries) + len(polls) + len(digests)
    claims = sum(1 for k in told if k[1] == "claim")
    tally(
        "concurrency",
        ops,
        ops,
        0,
        agents=AGENTS,
        claims=claims,
        polls=len(polls),
        digests=len(digests),
        conflicts=sum(e["code"] == 8 for e in entries),
    )
