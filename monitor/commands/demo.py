"""`monitor demo`: the main job on the embedded default, with no accounts."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console

from monitor.app import AppContext, echo_json, pass_app
from monitor.demo import first_poll, start_demo, summary
from monitor.feed.live import FeedApp, print_once, run_live
from monitor.feed.runner import default_agent, pollers
from monitor.logs import quiet_logs_for_screen


class _TimeUp(Exception):
    """--seconds ran out: leave the live view."""


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's config.yaml and demo.db here (default: a fresh temporary folder).",
)
@click.option("--seconds", type=click.FloatRange(min=0), help="Stop after this many seconds (default: until q).")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the fake platforms' mentions.")
@click.option(
    "--mentions",
    type=click.IntRange(min=0),
    default=400,
    show_default=True,
    help="Mentions already posted when the demo starts; more keep arriving.",
)
@click.option("--json", "as_json", is_flag=True, help="Without a terminal: print the summary as JSON.")
@pass_app
def demo_cmd(
    app: AppContext, directory: Path | None, seconds: float | None, seed: int, mentions: int, as_json: bool
) -> None:
    """Run everything against built-in fake Twitter, Reddit and YouTube servers: poll, classify, rank, show.

    On a terminal this opens the live feed with the pollers running (keys: j/k, Enter, c, r, d, e, o, /, q).
    Otherwise it polls once, prints a summary and a snapshot of the fair queue, and exits.
    """
    with start_demo(directory, seed=seed, mentions=mentions) as demo:
        report = first_poll(demo)
        agent = default_agent()
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        if not interactive:
            if seconds:  # keep polling for a while so the summary shows a live stream
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    time.sleep(min(5.0, max(deadline - time.monotonic(), 0)))
                    report = first_poll(demo)
            data = summary(demo, report)
            if as_json:
                echo_json(data)
                return
            click.echo(f"demo folder: {data['directory']}  (config: {data['config']})")
            click.echo(f"mentions: {data['mentions']} " + str(data["mentions_by_platform"]))
            click.echo("cases: " + ", ".join(f"{k} {v}" for k, v in data["cases_by_state"].items()))
            app.config_path = str(demo.config_path)
            print_once(FeedApp(app.store, demo.config, agent=agent), Console(width=120))
            click.echo(f"\nExplore it: monitor --config {demo.config_path} queue | audit | feed --once")
            return
        quiet_logs_for_screen(demo.directory / "demo.log")
        app.config_path = str(demo.config_path)
        feed = FeedApp(app.store, demo.config, agent=agent)
        end = time.monotonic() + seconds if seconds else None

        def tick() -> None:
            if end is not None and time.monotonic() >= end:
                raise _TimeUp

        try:
            with pollers(demo.config, demo.config.store):
                run_live(feed, Console(), on_tick=tick, refresh_seconds=1.0)
        except _TimeUp:
            pass
        click.echo(f"demo folder kept: {demo.directory}  (monitor --config {demo.config_path} status)")


COMMANDS = [demo_cmd]
