"""`monitor demo`: the whole product with no accounts and no network.

Starts the loopback fake platforms in-process, writes a config and a store into a folder, polls,
classifies and ranks, then shows the live feed with the pollers running (or, without a terminal,
prints a plain summary and exits).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.fake import FakePlatforms, fake_env, start_fake_platforms, write_fake_config
from monitor.config import Config, load_config
from monitor.ingest.poll import PollReport, poll_once
from monitor.store import open_store
from monitor.timeutil import utcnow

DEMO_POLL_INTERVAL = "15s"  # fast enough to watch new mentions arrive


@dataclass
class Demo:
    directory: Path
    config_path: Path
    config: Config
    fake: FakePlatforms

    def stop(self) -> None:
        self.fake.stop()

    def __enter__(self) -> Demo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_demo(
    directory: Path | None = None, *, seed: int = 7, mentions: int = 400, rate_per_minute: float = 20.0
) -> Demo:
    """Start the fake platforms and write the demo config; the caller stops it (or uses `with`)."""
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="complaint-monitor-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    fake = start_fake_platforms(seed=seed, mentions=mentions, rate_per_minute=rate_per_minute)
    try:
        # the fake accepts these dummy credentials; real ones never reach this process's environment here
        os.environ.update(fake_env())
        config_path = write_fake_config(
            folder / "config.yaml", fake.base_url, folder / "demo.db", poll_interval=DEMO_POLL_INTERVAL
        )
        config = load_config(config_path)
    except BaseException:
        fake.stop()
        raise
    return Demo(folder, config_path, config, fake)


def first_poll(demo: Demo) -> PollReport:
    """One poll of every platform; new mentions are classified and complaints open cases."""
    with open_store(demo.config.store) as store:
        return poll_once(demo.config, store, now=utcnow())


def summary(demo: Demo, report: PollReport) -> dict[str, Any]:
    with open_store(demo.config.store) as store:
        status = store.status()
    return {
        "directory": str(demo.directory),
        "config": str(demo.config_path),
        "poll": report.as_dict(),
        "mentions": status.mentions,
        "mentions_by_platform": status.mentions_by_platform,
        "cases_by_state": status.cases_by_state,
    }
