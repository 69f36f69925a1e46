"""`monitor run`: the pollers on their schedules, with the live feed or headless with JSON logs.

The pollers run in apscheduler's background threads (monitor.ingest.scheduler.build_scheduler, each job with its own
SQLite connection); the feed runs in the main thread on its own connection. Stopping is always the same:
shut the scheduler down without waiting, give a running poll a short grace period, and leave. A poll that
is cut off leaves nothing half-written: its mentions, cursor and run record are one transaction.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from monitor.app import default_agent as app_default_agent
from monitor.config import Config

log = logging.getLogger("monitor.run")
STOP_GRACE_SECONDS = 5.0


def default_agent() -> str:
    """$MONITOR_AGENT, else the OS user name, else "agent" (the feed and the demo always need a name)."""
    return app_default_agent(fallback="agent")


@contextmanager
def pollers(
    config: Config, store_path: Path, on_poll: Callable[[str, Any], None] | None = None
) -> Iterator[PollerHandle]:
    """Run the scheduler for the block; on exit (also Ctrl-C) stop it, waiting at most STOP_GRACE_SECONDS
    for a poll in flight. `handle.abandoned` then names the poll threads still running."""
    from monitor.ingest.scheduler import build_scheduler  # apscheduler and the connectors: only when polling

    scheduler = build_scheduler(config, store_path, on_poll=on_poll)
    scheduler.start()
    log.info("pollers started", extra={"jobs": [job.id for job in scheduler.get_jobs()]})
    handle = PollerHandle(scheduler)
    try:
        yield handle
    finally:
        handle.abandoned = stop_scheduler(scheduler)


class PollerHandle:
    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.abandoned: list[str] = []


def stop_scheduler(scheduler: Any, grace: float = STOP_GRACE_SECONDS) -> list[str]:
    """Shut down without blocking on a poll in flight; wait up to `grace` for it to finish.

    Returns the names of poll threads still running: the caller may then end the process (os._exit)
    instead of waiting for an HTTP call. That is safe: an unfinished poll has not committed anything.
    """
    workers = [t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor") and t.is_alive()]
    try:
        scheduler.shutdown(wait=False)
    except Exception:  # already stopped
        log.debug("scheduler was not running")
    deadline = time.monotonic() + grace
    for thread in workers:
        thread.join(max(deadline - time.monotonic(), 0))
    left = [t.name for t in workers if t.is_alive()]
    if left:
        log.warning("abandoning a poll in progress; nothing of it was committed", extra={"threads": left})
    log.info("pollers stopped")
    return left


def run_headless(config: Config, store_path: Path, *, stop: threading.Event | None = None) -> list[str]:
    """Pollers only, until SIGINT/SIGTERM (systemd) or `stop` is set. Logs are JSON lines on stderr.

    Returns the poll threads abandoned at shutdown (see stop_scheduler)."""
    stop = stop or threading.Event()

    def _handle(signum: int, frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _handle)
    try:
        with pollers(config, store_path, on_poll=log_poll) as handle:
            while not stop.wait(1.0):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return handle.abandoned


def log_poll(platform: str, report: Any) -> None:
    """on_poll hook: one structured log line per finished poll of one platform."""
    data = asdict(report) if is_dataclass(report) and not isinstance(report, type) else {"report": str(report)}
    level = logging.INFO if data.get("status") in ("ok", "backoff") else logging.WARNING
    log.log(level, "poll", extra={"platform": platform, "poll": data})
