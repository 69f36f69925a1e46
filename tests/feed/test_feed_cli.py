"""`monitor feed` through the real CLI: --once and the non-terminal fallback print one plain snapshot."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from cm_testing.feed import HOSTILE, add, make_config

from monitor.store import open_store
from monitor.timeutil import utcnow

MONITOR = str(Path(sys.executable).parent / "monitor")


def test_feed_once_and_without_a_terminal(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    (tmp_path / "config.yaml").write_text(f"store: {config.store}\nbrands: [{{name: Acme}}, {{name: Globex}}]\n")
    now = utcnow()
    with open_store(config.store) as store:
        add(store, config, "1", "parcel never arrived", severity=4, age=timedelta(hours=2), now=now)
        add(store, config, "2", HOSTILE, severity=2, platform="reddit", language="de", now=now)
    base = [MONITOR, "--config", str(tmp_path / "config.yaml"), "feed", "--agent", "cli"]
    once = subprocess.run([*base, "--once", "--width", "100"], capture_output=True, text=True, timeout=60)
    assert once.returncode == 0, once.stderr
    assert "FAIR QUEUE  2 open · 1 past SLA" in once.stdout and "agent cli" in once.stdout
    assert "late 59m" in once.stdout and "[bold red]markup[/]" in once.stdout
    assert "\x1b" not in once.stdout and "pwned" not in once.stdout
    assert max(len(line) for line in once.stdout.splitlines()) <= 100
    # stdout is a pipe, not a terminal: the live view falls back to one snapshot instead of hanging
    piped = subprocess.run([*base, "--filter", "lang:de"], capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert "filter lang:de" in piped.stdout and "parcel never arrived" not in piped.stdout
    bad = subprocess.run([*base[:-1], " ", "--once"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--agent" in bad.stderr
