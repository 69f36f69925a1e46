"""Helpers shared by tests/foundation and tests/reliability."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

MONITOR = str(Path(sys.executable).with_name("monitor"))

# Env vars that would leak a developer's real settings or secrets into the tests.
_SCRUB = ("MONITOR_CONFIG", "TWITTER_BEARER_TOKEN", "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "YOUTUBE_API_KEY")

RunMonitor = Callable[..., subprocess.CompletedProcess[str]]


# Run CLI subprocesses outside the repository, so the project's example config.yaml is not picked up by
# default: these tests use --db alone (import then stores only; classification needs a config).
NEUTRAL_CWD = tempfile.mkdtemp(prefix="cm-neutral-cwd-")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(extra)
    return env


@pytest.fixture
def run_monitor(tmp_path: Path) -> RunMonitor:
    """`run_monitor("status", "--json", input=..., env={...}, cwd=...)` → CompletedProcess (text mode)."""

    def run(
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [MONITOR, *args],
            input=input.encode() if isinstance(input, str) else input,
            capture_output=True,
            env=clean_env(**(env or {})),
            cwd=cwd or tmp_path,
            timeout=timeout,
            check=False,
        )
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        )

    return run


def mention(i: int, **overrides: Any) -> dict[str, Any]:
    """One valid import record; `overrides` replace top-level keys."""
    record: dict[str, Any] = {
        "platform": "twitter" if i % 3 else "reddit",
        "id": str(1_000_000 + i),
        "url": f"https://example.com/post/{i}",
        "text": f"mention number {i} about Acme, my parcel is late",
        "created_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        "author": {"id": str(i % 97), "handle": f"user{i % 97}", "followers": (i * 37) % 100_000},
        "brand": "Acme",
        "lang": "en",
        "engagement": {"likes": i % 7, "reposts": i % 3, "replies": i % 5, "views": i * 10},
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: Iterable[dict[str, Any] | bytes | str]) -> Path:
    """Write records (dicts as JSON, bytes/str verbatim) one per line."""
    with path.open("wb") as fh:
        for rec in records:
            if isinstance(rec, dict):
                fh.write(json.dumps(rec, ensure_ascii=False).encode("utf-8"))
            elif isinstance(rec, str):
                fh.write(rec.encode("utf-8"))
            else:
                fh.write(rec)
            fh.write(b"\n")
    return path


MINIMAL_CONFIG = "brands:\n  - name: Acme\n"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(MINIMAL_CONFIG + "store: data/store.db\n", encoding="utf-8")
    return path
