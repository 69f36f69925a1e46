"""The pollers on their schedules: one apscheduler 3 interval job per enabled connector."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.config import Config
from monitor.connector import Connector, PlatformSettings
from monitor.ingest.poll import PlatformReport, after_poll, poll_platform
from monitor.plugins import make_connector
from monitor.store import open_store
from monitor.timeutil import utcnow

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


def build_scheduler(
    config: Config,
    store_path: str | Path,
    on_poll: Callable[[str, PlatformReport], None] | None = None,
    *,
    first_run: datetime | None = None,
    process: bool = True,
) -> BackgroundScheduler:
    """An apscheduler 3 BackgroundScheduler with one interval job per enabled connector.

    Each job opens its own Store (one SQLite connection per thread), skips while the connector is backing
    off, and pauses itself after an auth error (fix the credentials and restart).
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    for name, settings in config.platforms.enabled().items():
        job = _PollJob(name, settings, config, Path(store_path), on_poll, scheduler, process)
        interval = settings.poll_interval.total_seconds()
        scheduler.add_job(
            job,
            "interval",
            seconds=interval,
            id=f"poll:{name}",
            name=f"poll {name}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(interval)),  # a late run is still worth doing (coalesced into one)
            jitter=min(30, max(1, int(interval * 0.1))),
            next_run_time=first_run or utcnow() + timedelta(seconds=random.uniform(0, 2)),
        )
    return scheduler


class _PollJob:
    def __init__(
        self,
        name: str,
        settings: PlatformSettings,
        config: Config,
        store_path: Path,
        on_poll: Callable[[str, PlatformReport], None] | None,
        scheduler: BackgroundScheduler,
        process: bool,
    ) -> None:
        self.name, self.settings, self.config, self.store_path = name, settings, config, store_path
        self.on_poll, self.scheduler, self.process = on_poll, scheduler, process
        self.connector: Connector | None = None

    def __call__(self) -> None:
        now = utcnow()
        with open_store(self.store_path) as store:
            if self.connector is None:
                try:
                    self.connector = make_connector(self.name, self.settings)
                except Exception:
                    log.exception("%s: cannot start connector", self.name)
                    return
            report = poll_platform(self.name, self.settings, self.config, store, now=now, connector=self.connector)
            if report.polls and self.process:
                after_poll(store, self.config, now)
        if report.status == "auth_error":
            log.error("%s: polling paused after an auth error; fix the credentials and restart", self.name)
            self.scheduler.pause_job(f"poll:{self.name}")
        if self.on_poll is not None:
            self.on_poll(self.name, report)
