"""A connector from another package: built in a temporary folder, installed into a virtualenv, found through
the entry-point group, listed by `monitor connectors` and polled by `monitor poll --once`, with no edit to
monitor/ (the test writes nothing there)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

PLUGIN_PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "cm-parrot"
version = "0.0.1"

[project.entry-points."complaint_monitor.connectors"]
parrot = "cm_parrot:ParrotConnector"
"""

# A complete third-party connector: its own settings (a required key, a secret env var), no network (it
# "searches" a JSON file), and the contract's cursor: only posts newer than the last one seen.
PLUGIN_CODE = """
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from monitor.connector import Author, Batch, DailyQuota, Mention, PlatformSettings, Query


class ParrotSettings(PlatformSettings):
    source_file: str
    token_env: str = "PARROT_TOKEN"


class ParrotConnector:
    name: ClassVar[str] = "parrot"
    label: ClassVar[str] = "pa"
    Settings: ClassVar[type[ParrotSettings]] = ParrotSettings
    quota: ClassVar[DailyQuota | None] = None

    def __init__(self, settings: ParrotSettings) -> None:
        self.settings = settings
        assert settings.secret("token") == "sekrit"

    def fetch(self, query: Query, cursor: dict | None, now: datetime) -> Batch:
        seen = int((cursor or {}).get("last", 0))
        posts = json.loads(Path(self.settings.source_file).read_text())
        fresh = [p for p in posts if p["n"] > seen and query.text.lower() in p["text"].lower()]
        mentions = [
            Mention(
                platform="parrot", id=str(p["n"]), url=f"https://parrot.example/{p['n']}", text=p["text"],
                created_at=datetime.fromisoformat(p["at"]), author=Author(id=p["who"], handle=p["who"]),
                brand=query.brand, query=query.text,
            )
            for p in fresh
        ]
        last = max([seen, *(p["n"] for p in fresh)])
        return Batch(mentions, {"last": last}, calls_used=1)
"""


def _run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv that sees this project's environment (a .pth line) plus the plug-in installed."""
    root = tmp_path_factory.mktemp("parrot")
    pkg = root / "cm-parrot"
    (pkg / "cm_parrot").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (pkg / "cm_parrot" / "__init__.py").write_text(textwrap.dedent(PLUGIN_CODE))
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)  # pip comes from the project's environment
    py = venv / "bin" / "python"
    site = Path(_run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # the project's own environment (complaint-monitor and its dependencies), read-only from here
    (site / "_complaint_monitor_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # an ordinary install (isolated build from the package index, as any user's would be); deps are ours already
    _run(py, "-m", "pip", "install", "-q", "--no-deps", pkg)
    return py


def _env(config: Path) -> dict[str, str]:
    return {**os.environ, "MONITOR_CONFIG": str(config), "PARROT_TOKEN": "sekrit"}


def test_installed_plugin_is_listed_and_polled(plugin_venv: Path, tmp_path: Path) -> None:
    posts = tmp_path / "posts.json"
    posts.write_text(
        json.dumps(
            [
                {"n": 1, "text": "Acme lost my parcel again", "at": "2026-11-30T09:00:00+00:00", "who": "ana"},
                {"n": 2, "text": "unrelated chatter", "at": "2026-11-30T09:01:00+00:00", "who": "bo"},
                {"n": 3, "text": "acme refund still missing", "at": "2026-11-30T09:02:00+00:00", "who": "cy"},
            ]
        )
    )
    db = tmp_path / "store.db"
    config = tmp_path / "config.yaml"
    config.write_text(f"store: {db}\nbrands:\n  - name: Acme\nplatforms:\n  parrot:\n    source_file: {posts}\n")
    listed = json.loads(_run(plugin_venv, "-m", "monitor", "connectors", "--json", env=_env(config)))
    by_name = {c["name"]: c for c in listed["connectors"]}
    assert {"twitter", "reddit", "youtube", "parrot"} <= set(by_name)
    parrot = by_name["parrot"]
    assert parrot["distribution"] == "cm-parrot" and parrot["enabled"] is True and parrot["error"] is None
    keys = {k["key"]: k for k in parrot["settings"]}
    assert keys["source_file"]["required"] and keys["token_env"]["default"] == "PARROT_TOKEN"
    assert by_name["twitter"]["distribution"] == "complaint-monitor" and by_name["twitter"]["enabled"] is False

    out = json.loads(_run(plugin_venv, "-m", "monitor", "poll", "--once", "--no-process", "--json", env=_env(config)))
    assert out["platforms"]["parrot"]["new"] == 2
    with sqlite3.connect(db) as conn:
        rows = sorted(conn.execute("SELECT platform, id, brand FROM mentions"))
    assert rows == [("parrot", "1", "Acme"), ("parrot", "3", "Acme")]
    again = json.loads(_run(plugin_venv, "-m", "monitor", "poll", "--once", "--no-process", "--json", env=_env(config)))
    assert again["platforms"]["parrot"]["new"] == 0  # the plug-in's cursor was stored with its mentions


def test_plugin_settings_errors_name_the_key(plugin_venv: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"store: {tmp_path / 's.db'}\nbrands:\n  - name: Acme\nplatforms:\n  parrot:\n    sorce: x\n")
    done = subprocess.run(
        [str(plugin_venv), "-m", "monitor", "poll", "--once"], capture_output=True, text=True, env=_env(config)
    )
    assert done.returncode == 2
    assert "platforms.parrot.sorce: unknown key" in done.stderr
    assert "platforms.parrot.source_file: required key is missing" in done.stderr
    env = {**_env(config), "PARROT_TOKEN": ""}
    config.write_text(
        f"store: {tmp_path / 's.db'}\nbrands:\n  - name: Acme\nplatforms:\n  parrot:\n    source_file: f\n"
    )
    done = subprocess.run(
        [str(plugin_venv), "-m", "monitor", "poll", "--once"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2 and "export PARROT_TOKEN=" in done.stderr
