"""One JSON shape for a case across the commands, and one blind-triage rule, through the real CLI and store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.config import Config
from monitor.feed.render import shows_followers
from monitor.feed.state import gather_case
from monitor.queue import cases
from monitor.queue.visibility import REACH_FIELDS
from monitor.store import Store

from .conftest import T0, add_case

BLIND_OFF = "\n  blind_triage: false\n"


def run_json(config_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(["--config", str(config_path), *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def outputs(config_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    """One case through queue, next, claim (renewal), respond, resolve; another through escalate, release,
    dismiss: the --json output of each, by command."""
    out = {"queue": run_json(config_path, capsys, "queue")[0]}
    out["next"] = run_json(config_path, capsys, "next")
    first = str(out["next"]["id"])
    out["claim"] = run_json(config_path, capsys, "claim", first)
    out["respond"] = run_json(config_path, capsys, "respond", first, "--note", "answered")
    out["resolve"] = run_json(config_path, capsys, "resolve", first)
    second = str(run_json(config_path, capsys, "queue")[0]["id"])
    out["claim-new"] = run_json(config_path, capsys, "claim", second)
    out["escalate"] = run_json(config_path, capsys, "escalate", second, "--reason", "press")
    out["release"] = run_json(config_path, capsys, "release", second)
    out["dismiss"] = run_json(config_path, capsys, "dismiss", second, "--reason", "duplicate")
    return out


def test_every_command_prints_the_same_keys_for_a_case(
    store: Store,
    config: Config,
    config_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config_path.write_text(config_path.read_text() + BLIND_OFF)
    add_case(store, config, "1", severity=4, followers=250_000, verified=True)
    add_case(store, config, "2", severity=1, followers=12)
    monkeypatch.setenv("MONITOR_AGENT", "ana")
    out = outputs(config_path, capsys)
    keys = {name: list(data) for name, data in out.items()}
    assert all(k == keys["queue"] for k in keys.values()), keys  # same keys, same order
    assert {"followers", "verified", "position", "why", "claimed_by", "responded_at"} <= set(keys["queue"])
    assert out["claim"]["followers"] == 250_000 and out["dismiss"]["followers"] == 12  # blind triage is off
    # queue-position fields: filled when the case was ranked (queue, next, claim: its rank), null otherwise
    assert out["queue"]["position"] == out["next"]["position"] == 1 and out["next"]["why"].startswith("sev 4")
    assert out["claim"]["position"] is None  # a renewal has no rank
    assert out["claim-new"]["position"] == 1 and out["respond"]["position"] is None
    assert out["respond"]["state"] == "responded" and out["respond"]["responded_by"] == "ana"


def test_blind_triage_shows_reach_only_under_a_live_claim(
    store: Store,
    config: Config,
    config_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_case(store, config, "1", severity=4, followers=250_000, verified=True)
    add_case(store, config, "2", severity=1, followers=12)
    monkeypatch.setenv("MONITOR_AGENT", "ana")
    out = outputs(config_path, capsys)
    shown = {name for name, data in out.items() if "followers" in data}
    assert shown == {"next", "claim", "claim-new", "escalate"}  # the commands that leave a live claim
    base = [k for k in out["queue"] if k not in REACH_FIELDS]
    assert all([k for k in data if k not in REACH_FIELDS] == base for data in out.values())
    # dismissing (or releasing) does not reveal reach: the text output neither
    add_case(store, config, "3", severity=2, followers=987_654)
    fourth = add_case(store, config, "4", severity=2, followers=1_234_567)
    assert main(["--config", str(config_path), "dismiss", "3", "--reason", "spam"]) == 0
    text = capsys.readouterr().out
    assert "dismissed" in text and "987654" not in text and "followers" not in text
    assert main(["--config", str(config_path), "claim", str(fourth)]) == 0  # but a claim shows it to the holder
    assert "followers: 1234567" in capsys.readouterr().out


def test_feed_detail_follows_the_same_rule(store: Store, config: Config) -> None:
    cid = add_case(store, config, "1", followers=5000)

    def visible() -> bool:
        row = gather_case(store, config, cid, T0)
        assert row is not None
        return shows_followers(row, blind_triage=True)

    assert not visible()
    cases.claim(store, config, cid, agent="bo", now=T0)
    assert visible()  # under bo's live claim, whoever looks
    cases.dismiss(store, cid, agent="bo", now=T0, reason="spam")
    assert not visible()
