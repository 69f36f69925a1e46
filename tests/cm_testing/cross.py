"""Shared by the cross-cutting fault suites (tests/reliability/test_cross_*.py).

Real `monitor` subprocesses, real loopback fakes, real SQLite files. Each fault class prints one tally line
(`pytest -s` shows it): `fault-class: tried N, survived N, data lost 0`. MONITOR_FULL_FAULTS=1 runs more.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from connectors.fake import fake_config_data, fake_env

MONITOR = str(Path(sys.executable).with_name("monitor"))
FULL = os.environ.get("MONITOR_FULL_FAULTS") == "1"
SEED = int(os.environ.get("MONITOR_FAULT_SEED", "20261129"))

# Real settings or secrets of the developer must never leak into these tests.
_SCRUB = (
    "MONITOR_CONFIG",
    "MONITOR_AGENT",
    "TWITTER_BEARER_TOKEN",
    "REDDIT_CLIENT_ID",
    "REDDIT_CLIENT_SECRET",
    "YOUTUBE_API_KEY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
)

# What must never reach a terminal from user text: ESC, other C0 controls except \t \n \r, DEL, C1, bidi overrides.
UNSAFE_TERMINAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def full(quick: int, slow: int) -> int:
    """Iterations: `quick` in the default run, `slow` with MONITOR_FULL_FAULTS=1."""
    return slow if FULL else quick


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(extra)
    return env


def monitor(
    *args: str,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real `monitor` executable; stdout and stderr are bytes (so nothing is decoded away)."""
    return subprocess.run(
        [MONITOR, *args],
        input=input,
        capture_output=True,
        env=clean_env(**(env or {})),
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


def write_config(path: Path, base_url: str, store: Path, **overrides: Any) -> Path:
    """A config pointing at the fake platforms; `platforms={"twitter": {...}}` merges into each platform."""
    data = fake_config_data(base_url, store, max_pages=overrides.pop("max_pages", 100))
    for name, extra in overrides.pop("platforms", {}).items():
        data["platforms"][name].update(extra)
    data.update(overrides)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def fake_credentials() -> dict[str, str]:
    return fake_env()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def tally(fault_class: str, tried: int, survived: int, lost: int, **extra: Any) -> str:
    """Print (and return) the one-line count of a fault class."""
    more = "".join(f", {k} {v}" for k, v in extra.items())
    line = f"{fault_class}: tried {tried}, survived {survived}, data lost {lost}{more}"
    print(f"\n{line}", flush=True)
    return line


# A care agent: a real process that runs the CLI's `next` / `respond` / `release` in a loop until a deadline,
# logging every outcome (exit code, case id, anything printed on stderr) as one JSON line, flushed at once.
AGENT = r"""
import contextlib, io, json, random, sys, time
from monitor.cli import main
config, agent, deadline, seed, log_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = random.Random(seed)
log = open(log_path, "a", buffering=1)
print("ready", flush=True)

def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--config", config, *args])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()

while time.time() < deadline:
    code, out, err = run("next", "--agent", agent, "--json")
    got = json.loads(out) if code == 0 and out.strip() else None
    log.write(json.dumps({"op": "next", "code": code, "id": got and got["id"], "err": err}) + "\n")
    if got is None:
        time.sleep(0.05)
    else:
        action = rng.choice(("respond", "respond", "release"))
        code, out, err = run(action, str(got["id"]), "--agent", agent, "--json")
        log.write(json.dumps({"op": action, "code": code, "id": got["id"], "err": err}) + "\n")
    if rng.random() < 0.2:  # a colleague's case: a conflict (8), not found (7) or an unclaimed respond (0)
        other = rng.randint(1, 400)
        code, out, err = run("respond", str(other), "--agent", agent, "--json")
        log.write(json.dumps({"op": "respond-any", "code": code, "id": other, "err": err}) + "\n")
"""


def event_chain_problems(db: Path) -> list[str]:
    """The events log must replay to each case's state: every event starts where the previous one ended,
    a claim of a 'new' case only follows an event that left it 'new', and the last event is the case's state."""
    problems: list[str] = []
    last: dict[int, tuple[str | None, str | None]] = {}
    for case_id, action, actor, from_state, to_state in query(
        db, "SELECT case_id, action, actor, from_state, to_state FROM events ORDER BY id"
    ):
        prev_state = last.get(case_id, (None, None))[0]
        if from_state != prev_state:
            problems.append(f"case {case_id}: {action} by {actor} from {from_state} but it was {prev_state}")
        last[case_id] = (to_state, actor)
    for case_id, state, claimed_by, claimed_at, expires in query(
        db, "SELECT id, state, claimed_by, claimed_at, claim_expires_at FROM cases"
    ):
        ended, actor = last.get(case_id, (None, None))
        if ended != state:
            problems.append(f"case {case_id}: state {state} but its events end in {ended}")
        holder = (claimed_by, claimed_at, expires)
        if state == "claimed" and (None in holder or actor != claimed_by):
            problems.append(f"case {case_id}: half-claimed {holder}, last event by {actor}")
        if state != "claimed" and holder != (None, None, None):
            problems.append(f"case {case_id}: {state} but still holds a claim {holder}")
    return problems
