"""The regression guard on split=test, the multilingual report, and the CLI commands end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.classify import ComplaintClassifier
from monitor.classify.data import find_data_dir, load_multilingual
from monitor.classify.evaluate import GUARD_MARGIN, committed_metrics, evaluate, evaluate_multilingual
from monitor.cli import cli
from monitor.errors import InputError

LANGUAGES = {"en", "zh", "it", "et", "ru", "es", "de", "fr", "pt"}


@pytest.fixture(scope="module")
def report(clf: ComplaintClassifier) -> dict[str, object]:
    return evaluate(clf, find_data_dir())


def test_regression_guard(report: dict[str, object]) -> None:
    """Test-split macro-F1 may not fall more than 0.01 below the committed figure (metrics.json)."""
    committed = committed_metrics()
    test = report["test"]
    assert isinstance(test, dict)
    assert test["binary"]["n"] == 689
    assert test["binary"]["macro_f1"] >= committed["test_macro_f1"] - GUARD_MARGIN
    assert test["severity_on_gold_complaints"]["n"] == 246


def test_multilingual_set_covers_every_language() -> None:
    posts = load_multilingual()
    for code in LANGUAGES:
        mine = [p for p in posts if p.lang == code]
        assert len(mine) >= 30, code
        assert any(p.complaint for p in mine) and any(not p.complaint for p in mine), code


def test_multilingual_report_per_language(clf: ComplaintClassifier) -> None:
    ml = evaluate_multilingual(clf)
    assert set(ml["languages"]) == LANGUAGES
    for m in ml["languages"].values():
        assert {"accuracy", "macro_f1", "complaint_f1", "language_detected"} <= set(m)
        assert m["language_detected"] >= 0.9
    committed = committed_metrics()
    assert ml["overall"]["macro_f1"] >= committed["multilingual_macro_f1"] - GUARD_MARGIN


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="complaints data not found"):
        find_data_dir(tmp_path / "nowhere")


def test_cli_classify_json_and_stdin() -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["classify", "--json", "@acme my order never arrived!", "-"], input="Danke für die schnelle Hilfe!\n\n"
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in rows] == ["@acme my order never arrived!", "Danke für die schnelle Hilfe!", ""]
    assert rows[0]["complaint"] is True and rows[1]["language"] == "de"
    assert {"score", "severity", "reasons", "signals", "model"} <= set(rows[0])


def test_cli_classify_plain_escapes_control_characters() -> None:
    result = CliRunner().invoke(cli, ["classify", "bad\x1b[31m red"])
    assert result.exit_code == 0
    assert "\x1b" not in result.output


def test_cli_eval_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "--json", "--guard"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"binary", "severity_on_gold_complaints", "severity_end_to_end"} <= set(data["test"])
    assert set(data["multilingual"]["languages"]) == LANGUAGES


def test_cli_eval_missing_data_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "eval", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == InputError.exit_code
    assert "complaints data not found" in proc.stderr and "Traceback" not in proc.stderr
