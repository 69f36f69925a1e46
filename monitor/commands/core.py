"""Store-level commands: import, status."""

from __future__ import annotations

import sys
from typing import IO, Any

import click

from monitor.app import AppContext, echo_json, pass_app, warn
from monitor.errors import InputError, PartialInputError
from monitor.importer import Rejected, import_file
from monitor.timeutil import utcnow

MAX_REJECT_LINES = 50  # shown on stderr; the total is always reported


@click.command("import")
@click.argument("file", metavar="FILE.jsonl|-")
@click.option("--json", "as_json", is_flag=True, help="Print counts as JSON.")
@pass_app
def import_cmd(app: AppContext, file: str, as_json: bool) -> None:
    """Bulk-load mentions from a JSON Lines file ('-' for stdin). Re-importing adds nothing.

    Bad lines are reported with their line number and skipped; every good line is kept.
    Exit code 3 when some lines were rejected.
    """
    shown = 0

    def report(rej: Rejected) -> None:
        nonlocal shown
        if shown < MAX_REJECT_LINES:
            warn(f"{file}:{rej.line}: rejected: {rej.reason}")
        shown += 1

    stream: IO[bytes]
    try:
        stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None
    store = app.store
    with stream:
        try:
            result = import_file(store, stream, now=utcnow(), on_reject=report)
        except OSError as exc:
            raise InputError(f"error reading {file}: {exc}") from None
    _after_ingest(app)
    if shown > MAX_REJECT_LINES:
        warn(f"... {shown - MAX_REJECT_LINES} more rejected lines not shown")
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(f"inserted {result.inserted}, duplicates {result.duplicates}, rejected {result.rejected}")
    if result.rejected:
        raise PartialInputError(f"{result.rejected} of {result.lines} lines rejected; the others were kept")


def _after_ingest(app: AppContext) -> None:
    """Hook for the processing pipeline (classification, cases) once it exists."""


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Store path, mentions by platform and brand, last polls, open cases by state."""
    data: dict[str, Any] = app.store.status()
    if as_json:
        echo_json(data)
        return
    click.echo(f"store: {data['store']}")
    click.echo(f"mentions: {data['mentions']} ({data['unclassified']} not yet classified)")
    for label, key in (("by platform", "mentions_by_platform"), ("by brand", "mentions_by_brand")):
        if data[key]:
            click.echo(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in data[key].items()))
    click.echo("polls:" if data["polls"] else "polls: none yet")
    for platform, poll in data["polls"].items():
        state = data["connectors"].get(platform, {})
        extra = f", {state['state']}" + (f" until {state['until']}" if state.get("until") else "") if state else ""
        click.echo(f"  {platform}: last {poll['last_poll']} ({poll['last_status']}{extra}), "
                   f"{poll['calls']} calls, {poll['new']} new")  # fmt: skip
    cases = data["cases_by_state"]
    click.echo("cases: " + (", ".join(f"{k} {v}" for k, v in cases.items()) if cases else "none"))
    for key, units in data["quota_units"].items():
        click.echo(f"quota {key}: {units} units used")


COMMANDS = [import_cmd, status_cmd]
