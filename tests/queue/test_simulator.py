"""The simulator is deterministic for a seed, and its policies behave as named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.queue.simulate import generate, simulate

from .conftest import plain_config

CONFIG = plain_config()


def test_same_seed_same_result_different_seed_different_result() -> None:
    a = simulate("fair", agents=4, hours=48, seed=7, config=CONFIG).as_dict()
    b = simulate("fair", agents=4, hours=48, seed=7, config=CONFIG).as_dict()
    c = simulate("fair", agents=4, hours=48, seed=8, config=CONFIG).as_dict()
    assert a == b
    assert a != c


def test_every_policy_sees_the_same_arrivals_and_answers_all() -> None:
    results = {p: simulate(p, agents=4, hours=72, seed=3, config=CONFIG) for p in ("fair", "fifo", "followers")}
    assert len({r.arrivals for r in results.values()}) == 1
    for r in results.values():
        assert r.report.complaints == r.arrivals
        assert all(t.answered == t.complaints for t in r.report.tiers)
        assert 0.8 < r.utilisation < 0.97  # default rate: about 90% busy


def test_followers_first_favours_big_accounts() -> None:
    fol = simulate("followers", agents=8, hours=240, seed=2, config=CONFIG).report
    fair = simulate("fair", agents=8, hours=240, seed=2, config=CONFIG).report
    assert fol.tier(">=100k").median_ttfr < fol.tier("<100").median_ttfr  # type: ignore[operator]
    assert fol.parity is not None and fair.parity is not None and fol.parity > fair.parity


def test_generator_has_heavy_tailed_followers() -> None:
    cases = generate(hours=168, rate=50, seed=1, handle_minutes=6)
    big = sum(c.followers >= 100_000 for c in cases) / len(cases)
    small = sum(c.followers < 100 for c in cases) / len(cases)
    assert 0.001 < big < 0.02 and 0.3 < small < 0.6


def test_cli_json_and_table(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--config", str(config_path), "simulate", "--agents", "3", "--hours", "24", "--seed", "5"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["policy"] for d in data] == ["fair", "fifo", "followers"]
    assert main([*argv, "--policy", "fifo"]) == 0
    out = capsys.readouterr().out
    assert "fifo" in out and "parity" in out and "<100" in out
