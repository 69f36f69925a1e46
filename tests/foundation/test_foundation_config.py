"""Config loading through the real CLI: every error class exits 2 with one clear message naming the key."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cm_testing.foundation import MINIMAL_CONFIG, RunMonitor, mention, write_jsonl

from monitor.config import load_config

REPO = Path(__file__).resolve().parents[2]
SECRET = "sk-TOPSECRET-4242-do-not-print"

# (name, config text, fragments the message must contain)
BAD_CONFIGS = [
    ("unknown top-level key", MINIMAL_CONFIG + "timezon: UTC\n", ["timezon: unknown key", "timezone"]),
    (
        "unknown nested key",
        MINIMAL_CONFIG + "platforms:\n  twitter:\n    bearer_token: abc\n",
        ["platforms.twitter.bearer_token: unknown key", "bearer_token_env"],
    ),
    (
        "unknown key in a list item",
        "brands:\n  - name: Acme\n    querys: {twitter: [acme]}\n",
        ["brands[0].querys: unknown key", "queries"],
    ),
    (
        "wrong type",
        MINIMAL_CONFIG + "platforms:\n  twitter:\n    max_pages: lots\n",
        ["platforms.twitter.max_pages", "integer", "'lots'"],
    ),
    ("wrong type (list expected)", "brands: Acme\n", ["brands", "list"]),
    ("bad duration", MINIMAL_CONFIG + "fairness:\n  claim_timeout: soon\n", ["fairness.claim_timeout", "15m"]),
    ("bad SLA duration", MINIMAL_CONFIG + "sla:\n  4: one hour\n", ["sla[4]", "not a duration"]),
    ("unknown timezone", MINIMAL_CONFIG + "timezone: Mars/Olympus\n", ["timezone", "Mars/Olympus", "IANA"]),
    ("timezone that is a folder", MINIMAL_CONFIG + "timezone: Europe\n", ["timezone", "'Europe'"]),
    ("missing required key", "timezone: UTC\n", ["brands: required key is missing"]),
    (
        "missing env var for an enabled platform",
        MINIMAL_CONFIG + "platforms:\n  youtube:\n    enabled: true\n",
        ["platforms.youtube.api_key_env", "YOUTUBE_API_KEY is not set", "enabled: false"],
    ),
    ("YAML syntax error", "brands:\n  - name: Acme\n  oops: [1, 2\n", ["not valid YAML at line 3"]),
    ("not a mapping", "- just\n- a list\n", ["must be a YAML mapping"]),
    ("empty file", "", ["must be a YAML mapping"]),
]


def assert_one_clear_error(proc: object, fragments: list[str]) -> None:
    out = proc.stdout + proc.stderr  # type: ignore[attr-defined]
    assert proc.returncode == 2, out  # type: ignore[attr-defined]
    assert "Traceback" not in out
    assert proc.stderr.count("error:") == 1, proc.stderr  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "text", "fragments"), BAD_CONFIGS, ids=[b[0] for b in BAD_CONFIGS])
def test_bad_config_exits_2_naming_the_key(
    run_monitor: RunMonitor, tmp_path: Path, name: str, text: str, fragments: list[str]
) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text, encoding="utf-8")
    proc = run_monitor("--config", str(cfg), "status")
    assert_one_clear_error(proc, fragments)


def test_missing_config_file(run_monitor: RunMonitor, tmp_path: Path) -> None:
    proc = run_monitor("--config", str(tmp_path / "nope.yaml"), "status")
    assert_one_clear_error(proc, ["no config file at", "nope.yaml", "--config"])
    # and with no --config at all, in a folder without config.yaml
    assert_one_clear_error(run_monitor("status"), ["no config file at config.yaml"])


def test_help_works_without_config(run_monitor: RunMonitor) -> None:
    for args in (["--help"], ["import", "--help"], ["status", "--help"], ["--version"]):
        proc = run_monitor(*args, env={"MONITOR_CONFIG": "/nonexistent/config.yaml"})
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip()


def test_usage_error_exits_2(run_monitor: RunMonitor) -> None:
    proc = run_monitor("no-such-command")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_example_config_is_valid() -> None:
    config = load_config(REPO / "config.yaml", environ={})
    assert [b.name for b in config.brands] == ["Acme"]
    assert config.sla_for(4) == timedelta(hours=1)
    assert config.store == (REPO / "complaint-monitor.db").resolve()


def test_config_flag_and_env_var_pick_the_file(run_monitor: RunMonitor, tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "config.yaml").write_text(MINIMAL_CONFIG + "store: here.db\n", encoding="utf-8")
    via_flag = json.loads(run_monitor("--config", str(a / "config.yaml"), "status", "--json").stdout)
    via_env = json.loads(run_monitor("status", "--json", env={"MONITOR_CONFIG": str(b / "config.yaml")}).stdout)
    assert via_flag["store"] == str(a / "here.db")
    assert via_env["store"] == str(b / "here.db")
    # --config wins over the env var
    both = run_monitor("--config", str(a / "config.yaml"), "status", "--json", env={"MONITOR_CONFIG": "/nope"})
    assert json.loads(both.stdout)["store"] == str(a / "here.db")
    # ./config.yaml is the default
    (tmp_path / "config.yaml").write_text(MINIMAL_CONFIG + "store: default.db\n", encoding="utf-8")
    assert json.loads(run_monitor("status", "--json").stdout)["store"] == str(tmp_path / "default.db")


def test_store_path_is_relative_to_the_config_file(run_monitor: RunMonitor, tmp_path: Path) -> None:
    conf_dir = tmp_path / "etc" / "monitor"
    conf_dir.mkdir(parents=True)
    cfg = conf_dir / "config.yaml"
    cfg.write_text(MINIMAL_CONFIG + "store: ../../var/store.db\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_monitor("--config", str(cfg), "status", "--json", cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["store"] == str(tmp_path / "var" / "store.db")
    assert (tmp_path / "var" / "store.db").exists()  # the missing folder was created
    assert not list(elsewhere.iterdir())


def test_db_flag_overrides_the_store(run_monitor: RunMonitor, tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(MINIMAL_CONFIG + "store: configured.db\n", encoding="utf-8")
    data = write_jsonl(tmp_path / "in.jsonl", [mention(i) for i in range(3)])
    other = tmp_path / "other.db"
    proc = run_monitor("--config", str(cfg), "--db", str(other), "import", str(data))
    assert proc.returncode == 0, proc.stderr
    assert other.exists() and not (tmp_path / "configured.db").exists()
    # --db needs no config file at all
    proc = run_monitor("--db", str(other), "status", "--json", env={"MONITOR_CONFIG": "/nonexistent.yaml"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["mentions"] == 3


def test_secrets_are_masked_and_never_printed(run_monitor: RunMonitor, tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        MINIMAL_CONFIG + "store: s.db\nplatforms:\n  twitter:\n    enabled: true\n"
        "smtp:\n  username_env: SMTP_USERNAME\n  password_env: SMTP_PASSWORD\n",
        encoding="utf-8",
    )
    env = {"TWITTER_BEARER_TOKEN": SECRET, "SMTP_USERNAME": SECRET + "-user", "SMTP_PASSWORD": SECRET + "-pw"}
    config = load_config(cfg, environ=env)
    assert config.platforms.twitter.secret("bearer_token") == SECRET  # available where a client needs it
    assert config.smtp_secret("password") == SECRET + "-pw"
    for text in (repr(config), str(config), repr(config.platforms.twitter), config.model_dump_json()):
        assert SECRET not in text
    # nor in any CLI output, the import report, or the database file
    data = write_jsonl(tmp_path / "in.jsonl", [mention(1), b"not json"])
    outputs = [
        run_monitor("--config", str(cfg), "status", env=env),
        run_monitor("--config", str(cfg), "status", "--json", env=env),
        run_monitor("--config", str(cfg), "import", str(data), env=env),
        run_monitor("--config", str(cfg), "-vv", "import", str(data), "--json", env=env),
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text(cfg.read_text() + "bogus: 1\n", encoding="utf-8")
    outputs.append(run_monitor("--config", str(broken), "status", env=env))
    assert [p.returncode for p in outputs] == [0, 0, 3, 3, 2]
    for proc in outputs:
        assert SECRET not in proc.stdout + proc.stderr
    for file in tmp_path.glob("s.db*"):
        assert SECRET.encode() not in file.read_bytes()
