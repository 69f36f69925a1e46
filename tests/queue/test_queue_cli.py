"""The queue commands end to end through `monitor.cli.main`: blind triage, hostile text, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import Config
from monitor.store import Store

from .conftest import T0, add_case


def run(config_path: Path, *args: str) -> int:
    return main(["--config", str(config_path), *args])


def test_queue_next_claim_respond_resolve(
    store: Store, config: Config, config_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = "\x1b[2J[bold red]FREE[/] \u202ebroken phone"
    add_case(store, config, "1", severity=4, followers=1_500_000, verified=True, text=hostile, seen=T0)
    add_case(store, config, "2", severity=1, followers=12, seen=T0)
    monkeypatch.setenv("MONITOR_AGENT", "ana")
    monkeypatch.setenv("COLUMNS", "200")

    assert run(config_path, "queue", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["mention_id"] for r in rows] == ["1", "2"]
    assert "followers" not in rows[0] and "verified" not in rows[0]  # blind triage
    assert rows[0]["why"].startswith("sev 4 · ")

    assert run(config_path, "queue") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "[bold red]FREE[/]" in out  # shown literally, no markup
    assert "1500000" not in out

    assert run(config_path, "next", "--json") == 0
    got = json.loads(capsys.readouterr().out)
    # next claimed it: under a live claim reach is shown (monitor.queue.visibility), as for `claim`
    assert (got["mention_id"], got["claimed_by"]) == ("1", "ana") and got["followers"] == 1_500_000
    assert run(config_path, "next") == 0
    assert "claimed case 2 for ana" in capsys.readouterr().out
    assert run(config_path, "next") == 0
    assert "the queue is empty" in capsys.readouterr().out

    assert run(config_path, "claim", "1", "--json") == 0  # own claim renewed: now details are shown
    assert json.loads(capsys.readouterr().out)["followers"] == 1_500_000
    assert run(config_path, "respond", "1", "--note", "replied publicly") == 0
    assert run(config_path, "resolve", "1") == 0
    capsys.readouterr()
    assert run(config_path, "release", "2", "--agent", "ana") == 0
    assert run(config_path, "escalate", "2", "--reason", "safety") == 0
    assert run(config_path, "dismiss", "2", "--reason", "duplicate") == 0
    capsys.readouterr()


def test_exit_codes(store: Store, config: Config, config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_case(store, config, "1")
    assert run(config_path, "resolve", "42", "--agent", "ana") == 7
    assert run(config_path, "release", "1", "--agent", "ana") == 8
    assert run(config_path, "claim", "1", "--agent", "ana") == 0
    assert run(config_path, "claim", "1", "--agent", "bo") == 8
    err = capsys.readouterr().err
    assert "no case with id 42" in err and "claimed by ana" in err
    assert run(config_path, "queue", "--limit", "0") == 2  # a usage error (README "Exit codes")
