"""Store-level commands: import, process, status, search, check, recover."""

from __future__ import annotations

import sys
from typing import IO, Any

import click

from monitor.app import AppContext, echo_json, pass_app, warn
from monitor.errors import ConfigError, InputError, PartialInputError, StoreError
from monitor.ingest.importer import BATCH_SIZE, Rejected, import_file
from monitor.store import salvage
from monitor.text import for_terminal
from monitor.timeutil import to_iso, utcnow

MAX_REJECT_LINES = 50  # shown on stderr; the total is always reported


@click.command("import")
@click.argument("file", metavar="FILE.jsonl|-")
@click.option("--json", "as_json", is_flag=True, help="Print counts as JSON.")
@click.option("--no-process", is_flag=True, help="Only store; classify later with `monitor process`.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1_000_000),
    default=BATCH_SIZE,
    show_default=True,
    help="Mentions per transaction; a crash loses at most the batch in flight (rerun to finish).",
)
@pass_app
def import_cmd(app: AppContext, file: str, as_json: bool, batch_size: int, no_process: bool) -> None:
    """Bulk-load mentions from a JSON Lines file ('-' for stdin). Re-importing adds nothing.

    Bad lines are reported with their line number and skipped; every good line is kept.
    New mentions are then classified and complaints open cases (needs a config; skip with --no-process).
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
            result = import_file(store, stream, now=utcnow(), on_reject=report, batch_size=batch_size)
        except OSError as exc:
            raise InputError(f"error reading {file}: {exc}") from None
    processed = None if no_process else _process_new(app)
    if shown > MAX_REJECT_LINES:
        warn(f"... {shown - MAX_REJECT_LINES} more rejected lines not shown")
    if as_json:
        echo_json(result.as_dict() | ({"processed": processed} if processed is not None else {}))
    else:
        click.echo(f"inserted {result.inserted}, duplicates {result.duplicates}, rejected {result.rejected}")
        if processed is not None:
            click.echo(
                f"classified {processed['classified']}, complaints {processed['complaints']}, "
                f"cases opened {processed['cases_opened']}"
            )
    if result.rejected:
        raise PartialInputError(f"{result.rejected} of {result.lines} lines rejected; the others were kept")


def _process_new(app: AppContext) -> dict[str, int | str] | None:
    """Classify what was imported and open cases, as a poll does. The SLA comes from the config, so with
    only --db and no config file this is left for `monitor process` (said on stderr)."""
    try:
        config = app.config
    except ConfigError as exc:
        if not app.db_path:
            raise
        warn(
            f"not classified yet (no usable config: {str(exc).splitlines()[0]}); "
            "run `monitor --config PATH process` to classify and open cases"
        )
        return None
    from monitor.ingest.pipeline import process_pending  # loads the model: only when needed

    return process_pending(app.store, config, now=utcnow()).as_dict()


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Store path, mentions by platform and brand, last polls, open cases by state."""
    data: dict[str, Any] = app.store.status().as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(f"store: {data['store']}")
    click.echo(f"mentions: {data['mentions']} ({data['unclassified']} not yet classified)")
    for label, key in (("by platform", "mentions_by_platform"), ("by brand", "mentions_by_brand")):
        if data[key]:  # platform and brand names come from imported data: escape them
            shown = ", ".join(f"{for_terminal(str(k), oneline=True)} {v}" for k, v in data[key].items())
            click.echo(f"  {label}: {shown}")
    click.echo("polls:" if data["polls"] else "polls: none yet")
    for platform, poll in data["polls"].items():
        state = data["connectors"].get(platform, {})
        extra = f", {state['state']}" + (f" until {state['until']}" if state.get("until") else "") if state else ""
        click.echo(
            f"  {platform}: last {poll['last_poll']} ({poll['last_status']}{extra}), "
            f"{poll['calls']} calls, {poll['new']} new"
        )
    cases = data["cases_by_state"]
    click.echo("cases: " + (", ".join(f"{k} {v}" for k, v in cases.items()) if cases else "none"))
    for key, units in data["quota_units"].items():
        left = _quota_left(app, key, units)
        click.echo(f"quota {key}: {units} units used" + (f", {left} left" if left is not None else ""))


def _quota_left(app: AppContext, key: str, used: int) -> int | None:
    """Units left today of a platform's daily quota (YouTube), when a config says what the quota is."""
    from monitor.plugins import quota_of

    platform, _, day = key.partition(":")
    quota = quota_of(platform)
    if quota is None or day != quota.day(utcnow()):
        return None
    try:
        settings = app.config.platforms.get(platform)
    except ConfigError:
        return None
    return max(quota.limit(settings) - used, 0) if settings is not None else None


@click.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print the mentions as JSON (one array).")
@pass_app
def search_cmd(app: AppContext, text: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Stored mentions containing every word of TEXT (a word matches the start of a word), newest first."""
    found = app.store.search(" ".join(text), limit)
    if as_json:
        echo_json([m.as_dict() for m in found])
        return
    if not found:
        click.echo("no mention matches")
        return
    for m in found:  # everything but our own labels comes from the platforms: escape it
        verdict = {None: "unclassified", True: f"complaint sev {m.severity}", False: "not a complaint"}[m.complaint]
        case = f", case #{m.case_id}" if m.case_id is not None else ""
        head = f"{to_iso(m.created_at)} {m.platform} @{m.author_handle} ({verdict}{case})"
        click.echo(for_terminal(head, oneline=True))
        click.echo("  " + for_terminal(m.text, oneline=True))
        if m.url:
            click.echo("  " + for_terminal(m.url, oneline=True))


@click.command("check")
@click.option("--quick", is_flag=True, help="Faster check that skips index contents.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def check_cmd(app: AppContext, quick: bool, as_json: bool) -> None:
    """Check the store for corruption (SQLite integrity check). Exit code 5 when damaged."""
    store = app.store
    where = store.location
    problems = store.check(quick=quick)
    if as_json:
        echo_json({"store": where, "ok": not problems, "problems": problems})
    elif not problems:
        click.echo(f"{where}: ok")
    if problems:
        for problem in problems[:20] if not as_json else []:
            warn(f"  {for_terminal(problem, oneline=True)}")
        raise StoreError(
            f"{where} is damaged ({len(problems)} problems). Recover with "
            f"`monitor recover {where} recovered.db` and use recovered.db, or restore a backup"
        )


@click.command("recover")
@click.argument("damaged", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def recover_cmd(damaged: str, new: str, as_json: bool) -> None:
    """Copy every readable row of a DAMAGED store into a NEW store (the damaged file is only read)."""
    report = salvage(damaged, new)
    if as_json:
        echo_json(report)
        return
    for table, counts in report.items():
        lost = f", {counts['damaged_stretches']} damaged stretches skipped" if counts["damaged_stretches"] else ""
        click.echo(f"{table}: {counts['rows']} rows{lost}")
    click.echo(f"recovered store: {new} (check it with `monitor --db {new} check`)")


COMMANDS = [import_cmd, status_cmd, search_cmd, check_cmd, recover_cmd]
