"""The polling engine: walk every page through a connector, then store the batch in one transaction.

For each enabled platform x brand x query: read the cursor, `connector.fetch(...)`, then
`store.record_poll(run, mentions, new_cursor)` writes mentions, authors, cursor and the run record together.
A crash before that commit loses nothing (the cursor did not move); a crash after it leaves nothing to redo.
Rate limits, exhausted quotas and rejected credentials are recorded in connector_state and stop only that
platform; the scheduler skips a platform until its `until` time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitor.config import Config
from monitor.connector import (
    AuthError,
    Connector,
    ConnectorError,
    DailyQuota,
    PlatformSettings,
    Query,
    QuotaExhausted,
    RateLimited,
    TransientError,
)
from monitor.plugins import make_connector, quota_of
from monitor.store import PollRun
from monitor.store.protocol import Store
from monitor.timeutil import to_iso

log = logging.getLogger(__name__)

REACH_TTL = timedelta(days=1)


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


def quota_left(store: Store, config: Config, platform: str, now: datetime) -> int | None:
    """Units left today of a platform's daily quota; None when its connector meters none."""
    quota = quota_of(platform)
    settings = config.platforms.get(platform)
    if quota is None or settings is None:
        return None
    return max(quota.limit(settings) - store.quota_units(platform, quota.day(now)), 0)


def poll_platform(
    name: str,
    settings: PlatformSettings,
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
        connector = connector or make_connector(name, settings)
    except Exception as exc:  # bad settings or missing secret: report it, other platforms go on
        report.status = "error"
        report.errors.append(f"{name}: cannot start connector: {type(exc).__name__}")
        return report
    quota = getattr(connector, "quota", None)  # the connector's DailyQuota, if its platform meters one
    jobs = [(b, q) for b in config.brands for q in b.queries_for(name)]
    had_error = False
    for brand, text in jobs:
        started = now
        t0 = time.monotonic()
        budget = None
        if quota is not None:
            budget = quota.budget(settings, store.quota_units(name, quota.day(now)), now, len(jobs))
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
            if _record_failure(store, report, err, PollRun(name, brand.name, text, started, finished), now, quota):
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
        if batch.units_used and quota is not None:
            store.add_quota_units(name, quota.day(now), batch.units_used)
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


def _record_failure(
    store: Store, report: PlatformReport, exc: ConnectorError, run: PollRun, now: datetime, quota: DailyQuota | None
) -> bool:
    """Write the failed run (and spent quota); True when the platform must stop (backoff, quota, auth)."""
    status, state, until = _classify_error(exc)
    store.record_failed_poll(replace(run, status=status, calls=exc.calls_used, errors=1, detail={"error": str(exc)}))
    units = exc.units_used if exc.units_used is not None else exc.calls_used
    if quota is not None and units:
        store.add_quota_units(run.platform, quota.day(now), units)
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

    process=True hands new mentions to monitor.ingest.pipeline.process_pending afterwards (when it exists).
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
    """Classify the new mentions and open cases for the complaints (the pipeline's one entry point)."""
    from monitor.ingest.pipeline import process_pending  # loads the classifier: only when a poll stored something

    process_pending(store, config, now=now)
