"""The polling engine: walk every page through a connector, then store the batch in one transaction.

For each enabled platform x brand x query: read the cursor, `connector.fetch(...)`, then
`store.record_poll(run, mentions, new_cursor)` writes mentions, authors, cursor and the run record together.
A crash before that commit loses nothing (the cursor did not move); a crash after it leaves nothing to redo.
Rate limits, exhausted quotas and rejected credentials are recorded in connector_state and stop only that
platform; the scheduler skips a platform until its `until` time.
"""

from __future__ import annotations

import importlib
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import (
    AuthError,
    Connector,
    ConnectorError,
    Query,
    QuotaExhausted,
    RateLimited,
    TransientError,
    get_connector,
)
from connectors.youtube import next_pacific_midnight, pacific_day
from monitor.config import Config, PlatformBase, YouTubeConfig
from monitor.store import PollRun, open_store
from monitor.store.protocol import Store
from monitor.timeutil import to_iso, utcnow

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

REACH_TTL = timedelta(days=1)
QUOTA_PLATFORMS = {"youtube"}


@dataclass
class PlatformReport:
    platform: str
    status: str = "ok"  # ok | backoff | rate_limited | quota | auth_error | error | disabled
    polls: int = 0
    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    calls: int = 0
    units: int = 0
    incomplete: int = 0  # polls whose walk hit max_pages (the rest follows next poll)
    until: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class PollReport:
    started_at: datetime
    platforms: dict[str, PlatformReport] = field(default_factory=dict)

    @property
    def new(self) -> int:
        return sum(p.new for p in self.platforms.values())

    @property
    def ok(self) -> bool:
        return all(p.status == "ok" for p in self.platforms.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": to_iso(self.started_at),
            "new": self.new,
            "platforms": {k: asdict(v) for k, v in self.platforms.items()},
        }


def _waiting_until(store: Store, platform: str, now: datetime) -> datetime | None:
    state = store.connector_states().get(platform)
    if not state or state.state not in ("backoff", "quota") or state.until is None:
        return None
    return state.until if state.until > now else None


def youtube_budget(settings: YouTubeConfig, used_today: int, now: datetime, queries: int) -> int:
    """Units one poll of one query may spend so the daily quota lasts until midnight Pacific."""
    seconds_left = (next_pacific_midnight(now) - now).total_seconds()
    interval = max(1.0, settings.poll_interval.total_seconds())
    polls_left = max(1, math.ceil(seconds_left / interval)) * max(1, queries)
    return max(0, (settings.daily_quota - used_today) // polls_left)


def poll_platform(
    name: str,
    settings: PlatformBase,
    config: Config,
    store: Store,
    *,
    now: datetime,
    connector: Connector | None = None,
    respect_backoff: bool = True,
) -> PlatformReport:
    """Poll every brand x query of one platform once."""
    report = PlatformReport(name)
    if respect_backoff and (until := _waiting_until(store, name, now)) is not None:
        report.status, report.until = "backoff", to_iso(until)
        return report
    try:
        connector = connector or get_connector(name, settings)
    except Exception as exc:  # bad settings or missing secret: report it, other platforms go on
        report.status = "error"
        report.errors.append(f"{name}: cannot start connector: {type(exc).__name__}")
        return report
    jobs = [(b, q) for b in config.brands for q in b.queries_for(name)]
    had_error = False
    for brand, text in jobs:
        started = now
        t0 = time.monotonic()
        budget = None
        if name in QUOTA_PLATFORMS and isinstance(settings, YouTubeConfig):
            budget = youtube_budget(settings, store.quota_units(name, pacific_day(now)), now, len(jobs))
        query = Query(
            brand=brand.name,
            text=text,
            own_handles=frozenset(brand.own_handles(name)),
            settings=settings,
            handles=tuple(brand.handles.get(name, [])),
            budget=budget,
            reach_lookup=lambda ids: store.cached_reach(name, ids, since=now - REACH_TTL),
        )
        cursor = store.get_cursor(name, brand.name, text)
        try:
            batch = connector.fetch(query, cursor, now)
        except Exception as exc:
            err = exc if isinstance(exc, ConnectorError) else _bug(name, exc)
            finished = started + timedelta(seconds=time.monotonic() - t0)
            if _record_failure(store, report, err, PollRun(name, brand.name, text, started, finished), now):
                return report  # this platform stops; the others go on
            had_error = True
            continue
        finished = started + timedelta(seconds=time.monotonic() - t0)
        run = PollRun(
            name,
            brand.name,
            text,
            started,
            finished,
            status=_classify_error(batch.interrupted)[0] if batch.interrupted else "ok",
            calls=batch.calls_used,
            skipped=batch.skipped,
            errors=1 if batch.interrupted else 0,
            detail={"complete": batch.complete, "units": batch.units_used}
            | ({"error": str(batch.interrupted)} if batch.interrupted else {}),
        )
        result = store.record_poll(run, batch.mentions, batch.new_cursor)
        if batch.reach:
            store.save_reach(name, batch.reach, now=now)
        if batch.units_used:
            store.add_quota_units(name, pacific_day(now), batch.units_used)
        report.polls += 1
        report.new += result.new
        report.duplicates += result.duplicates
        report.skipped += batch.skipped
        report.calls += batch.calls_used
        report.units += batch.units_used
        report.incomplete += 0 if batch.complete else 1
        if batch.interrupted is not None:  # a partial walk: what was read is stored; now handle the error
            stop = batch.interrupted
            report.errors.append(str(stop))
            log.warning("%s (the pages read so far were stored)", stop)
            status, state, until = _classify_error(stop)
            if state is not None:
                store.set_connector_state(name, state, now=now, until=until, detail=str(stop))
                report.status, report.until = status, to_iso(until) if until else None
                return report
    if not had_error:
        current = store.connector_states().get(name)
        if current and current.state != "ok":
            store.set_connector_state(name, "ok", now=now)
    return report


def _bug(name: str, exc: Exception) -> ConnectorError:
    """A connector raised something outside its contract: log the traceback, treat it as a failed poll."""
    log.error("%s: connector bug (%s); this poll is recorded as failed", name, type(exc).__name__, exc_info=exc)
    return TransientError(f"{name}: internal error ({type(exc).__name__})")


def _record_failure(store: Store, report: PlatformReport, exc: ConnectorError, run: PollRun, now: datetime) -> bool:
    """Write the failed run (and spent quota); True when the platform must stop (backoff, quota, auth)."""
    status, state, until = _classify_error(exc)
    store.record_failed_poll(replace(run, status=status, calls=exc.calls_used, errors=1, detail={"error": str(exc)}))
    units = exc.units_used if exc.units_used is not None else exc.calls_used
    if run.platform in QUOTA_PLATFORMS and units:
        store.add_quota_units(run.platform, pacific_day(now), units)
    report.calls += exc.calls_used
    report.errors.append(str(exc))
    report.status = status
    log.warning("%s", exc)
    if state is None:
        return False
    store.set_connector_state(run.platform, state, now=now, until=until, detail=str(exc))
    report.until = to_iso(until) if until else None
    return True


def _classify_error(exc: ConnectorError) -> tuple[str, str | None, datetime | None]:
    """poll_runs status, connector_state (None: keep polling the other queries), resume time."""
    if isinstance(exc, QuotaExhausted):
        return "quota", "quota", exc.until
    if isinstance(exc, RateLimited):
        return "rate_limited", "backoff", exc.until
    if isinstance(exc, AuthError):
        return "auth_error", "auth_error", None
    if isinstance(exc, TransientError):
        return "error", None, None
    return "error", None, None


def poll_once(
    config: Config,
    store: Store,
    *,
    now: datetime,
    platforms: list[str] | None = None,
    respect_backoff: bool = True,
    connectors: dict[str, Connector] | None = None,
    process: bool = True,
) -> PollReport:
    """Poll each enabled platform (or the named ones) once. One platform's failure never stops another.

    process=True hands new mentions to monitor.pipeline.process_pending afterwards (when it exists).
    """
    enabled = config.platforms.enabled()
    names = [p for p in enabled if platforms is None or p in platforms]
    report = PollReport(started_at=now)
    for name in names:
        connector = (connectors or {}).get(name)
        report.platforms[name] = poll_platform(
            name, enabled[name], config, store, now=now, connector=connector, respect_backoff=respect_backoff
        )
    if process and any(p.polls for p in report.platforms.values()):
        after_poll(store, config, now)
    return report


def after_poll(store: Store, config: Config, now: datetime) -> None:
    """Hand new mentions to the processing pipeline (classify, open cases) when it is installed."""
    try:
        pipeline = importlib.import_module("monitor.pipeline")
    except ModuleNotFoundError:
        return  # TODO(pipeline): monitor.pipeline.process_pending is written by the pipeline issue
    process = getattr(pipeline, "process_pending", None)
    if process is not None:
        process(store, config, now=now)


# --- scheduling ---------------------------------------------------------------------------------


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
        settings: PlatformBase,
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
                    self.connector = get_connector(self.name, self.settings)
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
