"""Polling commands: `monitor poll` and `monitor fake-platforms`."""

from __future__ import annotations

import threading
import time

import click

from monitor.app import AppContext, echo_json, pass_app, warn
from monitor.errors import PlatformError
from monitor.timeutil import utcnow


def _line(name: str, p: dict[str, object]) -> str:
    extra = f" until {p['until']}" if p.get("until") else ""
    units = f", {p['units']} units" if p.get("units") else ""
    return (
        f"{name}: {p['status']}{extra} — new {p['new']}, duplicates {p['duplicates']}, "
        f"skipped {p['skipped']}, API calls {p['calls']}{units}"
    )


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll every enabled platform once and exit (default: run the scheduler).")
@click.option("--platform", "platforms", multiple=True, metavar="NAME", help="Only this platform (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the poll report as JSON.")
@click.option("--no-process", is_flag=True, help="Only store mentions; do not classify them afterwards.")
@pass_app
def poll_cmd(app: AppContext, once: bool, platforms: tuple[str, ...], as_json: bool, no_process: bool) -> None:
    """Pull new mentions from the enabled platforms into the store.

    Prints new, duplicate and skipped counts and API calls per platform. Without --once the pollers run on
    their schedules (platforms.*.poll_interval) until Ctrl-C. Exit code 6 if a platform failed (--once).
    """
    from monitor.ingest.poll import PlatformReport, poll_once
    from monitor.ingest.scheduler import build_scheduler

    config = app.config
    unknown = sorted(set(platforms) - set(config.platforms.enabled()))
    if unknown:
        raise click.UsageError(f"not an enabled platform: {', '.join(unknown)}")
    if once:
        report = poll_once(config, app.store, now=utcnow(), platforms=list(platforms) or None, process=not no_process)
        data = report.as_dict()
        if as_json:
            echo_json(data)
        else:
            for name, p in data["platforms"].items():
                click.echo(_line(name, p))
            if not data["platforms"]:
                click.echo("no platforms enabled: set platforms.<name>.enabled: true in the config")
        # rate limits and quota pauses are normal (the next poll resumes); rejected credentials and faults are not
        failed = [n for n, p in report.platforms.items() if p.status in ("auth_error", "error")]
        if failed:
            raise PlatformError(f"polling failed for {', '.join(failed)} (see poll_runs / `monitor status`)")
        return

    def show(name: str, report: PlatformReport) -> None:
        from dataclasses import asdict

        if as_json:
            echo_json({"platform": name, **asdict(report)})
        else:
            click.echo(f"{utcnow():%H:%M:%S} " + _line(name, asdict(report)))

    if platforms:
        config = config.model_copy(update={"platforms": config.platforms.only(set(platforms))})
    app.close()  # each job opens its own connection
    scheduler = build_scheduler(config, app.store_path(), on_poll=show, process=not no_process)
    scheduler.start()
    warn("polling; press Ctrl-C to stop")
    stop = threading.Event()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)


@click.command("fake-platforms")
@click.option("--port", type=int, default=0, show_default=True, help="Port on 127.0.0.1 (0 = pick a free one).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated mentions.")
@click.option("--mentions", type=int, default=300, show_default=True, help="Mentions already published at start.")
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of API requests that fail (429, 5xx, slow, malformed or truncated bodies, bad items).",
)
@click.option(
    "--rate",
    "rate_per_minute",
    type=float,
    default=30.0,
    show_default=True,
    help="New mentions per minute after start (all platforms together).",
)
@click.option("--write-config", metavar="PATH", help="Also write a config.yaml that points at this server.")
def fake_platforms_cmd(
    port: int, seed: int, mentions: int, fault_rate: float, rate_per_minute: float, write_config: str | None
) -> None:
    """Serve fake Twitter, Reddit and YouTube APIs on 127.0.0.1 until Ctrl-C (for demos and tests).

    Point a config at it with base_url (or --write-config) and export the dummy credentials it prints.
    """
    from connectors.fake import fake_env, start_fake_platforms, write_fake_config

    fake = start_fake_platforms(
        port=port, seed=seed, mentions=mentions, fault_rate=fault_rate, rate_per_minute=rate_per_minute
    )
    try:
        click.echo(f"fake platforms listening on {fake.base_url}")
        if write_config:
            path = write_fake_config(write_config, fake.base_url, "fake-demo.db")
            click.echo(f"wrote {path}")
        click.echo("dummy credentials for the config (not secrets):")
        for k, v in fake_env().items():
            click.echo(f"  export {k}={v}")
        while True:
            time.sleep(3600)
    finally:
        fake.stop()


COMMANDS = [poll_cmd, fake_platforms_cmd]
