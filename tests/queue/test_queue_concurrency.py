"""Eight real processes run `monitor next` against one store: every case is claimed exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from monitor.config import Config
from monitor.store import Store

from .conftest import T0, add_case, minutes

WORKER = r"""
import contextlib, io, json, sys, time
from monitor.cli import main
config, agent, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start:
    time.sleep(0.005)
got = []
while True:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["--config", config, "next", "--agent", agent, "--json"])
    assert code == 0, code
    out = json.loads(buf.getvalue())
    if out is None:
        break
    got.append(out["id"])
print(json.dumps(got))
"""


def test_eight_processes_never_claim_the_same_case(store: Store, config: Config, config_path: Path) -> None:
    n_cases = 120
    ids = {add_case(store, config, str(i), severity=1 + i % 4, seen=T0 + minutes(i % 30)) for i in range(n_cases)}
    start = time.time() + 3.0  # let every interpreter import first, then all start together
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(config_path), f"agent{i}", str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    claimed: list[int] = []
    per_agent = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        got = json.loads(out.strip().splitlines()[-1])
        per_agent.append(len(got))
        claimed += got
    assert sorted(claimed) == sorted(ids)  # each case exactly once, none lost
    assert sum(1 for n in per_agent if n) >= 2  # they really ran concurrently
    rows = store.conn.execute(
        "SELECT case_id, count(*) FROM events WHERE action = 'claim' GROUP BY case_id HAVING count(*) != 1"
    ).fetchall()
    assert rows == []
    assert store.count("SELECT count(*) FROM cases WHERE state = 'claimed'") == n_cases
