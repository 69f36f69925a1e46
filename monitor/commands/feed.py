"""`monitor feed` (the live terminal view) and `monitor run` (pollers + feed, or headless)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

from monitor.app import AppContext, pass_app
from monitor.feed.live import FeedApp, print_once, run_live
from monitor.feed.runner import (
    PollerHandle,
    default_agent,
    log_poll,
    pollers,
    run_headless,
)
from monitor.logs import quiet_logs_for_screen, use_json_logs

INTERRUPTED = 130  # the exit code monitor.cli uses for Ctrl-C (not imported: cli imports this module)
_AGENT_HELP = "Your name on claims and events (default: $MONITOR_AGENT, else your OS user name)."


def _check_agent(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value or not value.strip():
        raise click.BadParameter("needs a name (set --agent or $MONITOR_AGENT)")
    return value.strip()


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _show(app: AppContext, agent: str, filter_text: str, once: bool, width: int | None) -> None:
    console = Console(width=width) if width else Console()
    feed = FeedApp(app.store, app.config, agent=agent)
    if filter_text:
        feed.set_filter(filter_text)
        feed.view = feed.view.with_message("")
    if once or not _interactive():
        print_once(feed, console)
        return
    run_live(feed, console)
    for url in dict.fromkeys(feed.printed_urls):  # the screen is gone: keep the URLs asked for with `o`
        click.echo(url)


@click.command("feed")
@click.option("--once", is_flag=True, help="Print one snapshot and exit (the default when not on a terminal).")
@click.option("--agent", metavar="NAME", default=default_agent, callback=_check_agent, help=_AGENT_HELP)
@click.option(
    "--filter",
    "filter_text",
    metavar="QUERY",
    default="",
    help="Start filtered: words, brand:NAME, platform:NAME, lang:CODE.",
)
@click.option("--width", type=click.IntRange(40, 400), help="Columns for --once (default: the terminal's, else 80).")
@pass_app
def feed_cmd(app: AppContext, once: bool, agent: str, filter_text: str, width: int | None) -> None:
    """The live feed: the fair queue, incoming mentions and today's fairness, refreshed from the store.

    Keys: ↑↓ or j/k move, Enter opens the mention, c claim, r responded, d dismiss, e escalate,
    o show the URL, / filter, q quit. Several agents can run it on the same store at once.
    Colours follow the terminal theme; NO_COLOR=1 turns them off.
    """
    _show(app, agent, filter_text, once, width)


@click.command("run")
@click.option("--headless", is_flag=True, help="Pollers only, JSON log lines on stderr (for systemd or a server).")
@click.option("--agent", metavar="NAME", default=default_agent, callback=_check_agent, help=_AGENT_HELP)
@click.option(
    "--log-file",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=Path),
    help="While the feed is on screen, write the pollers' JSON logs here (default: discarded).",
)
@pass_app
def run_cmd(app: AppContext, headless: bool, agent: str, log_file: Path | None) -> None:
    """Run the pollers on their schedules and show the live feed in one process.

    Ctrl-C (or q) stops cleanly: the scheduler shuts down and a poll in flight is abandoned; its
    transaction never commits, so the store is never half-written. Without a terminal, runs headless.
    """
    config = app.config
    store_path = app.store_path()
    interrupted = False
    if headless or not _interactive():
        use_json_logs()
        abandoned = run_headless(config, store_path)
    else:
        quiet_logs_for_screen(log_file)
        handle: PollerHandle | None = None
        try:
            with pollers(config, store_path, on_poll=log_poll) as handle:
                _show(app, agent, "", False, None)
        except KeyboardInterrupt:
            interrupted = True
        abandoned = handle.abandoned if handle else []
    if abandoned:
        # a poll is stuck in an HTTP call: leave without waiting for it; it has committed nothing
        app.close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED if interrupted else 0)
    if interrupted:
        raise KeyboardInterrupt


COMMANDS = [feed_cmd, run_cmd]
