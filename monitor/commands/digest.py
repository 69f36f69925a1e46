"""`monitor digest`: build a day's digest, preview it (--out, stdout, --json) or email it once (--send)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from monitor.app import AppContext, echo_json, pass_app
from monitor.digest import default_day, prepare, send, write_preview
from monitor.digest.send import address_key
from monitor.timeutil import utcnow


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None
    if not date(1970, 1, 2) <= day <= date(9999, 12, 30):  # the day's bounds (±1 day in any zone) must exist
        raise click.BadParameter(f"{value} is out of range; pick a day between 1970-01-02 and 9999-12-30")
    return day


def _parse_to(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    for addr in value:
        if "@" not in address_key(addr):
            raise click.BadParameter(f"{addr!r} is not an email address")
    return list(value)


@click.command("digest")
@click.option(
    "--date",
    "day",
    metavar="YYYY-MM-DD",
    callback=_parse_day,
    help="The day to report (default: yesterday in the config's time zone).",
)
@click.option(
    "--send", "do_send", is_flag=True, help="Email it to each recipient that has not had this day's digest yet."
)
@click.option(
    "--to",
    "to",
    metavar="ADDR",
    multiple=True,
    callback=_parse_to,
    help="Recipient instead of digest.recipients (repeatable).",
)
@click.option(
    "--out",
    "out",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write digest-DATE.html, .txt and .eml to DIR (a preview; combine with --send to also send).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON instead of the text digest.")
@pass_app
def digest_cmd(
    app: AppContext, day: date | None, do_send: bool, to: list[str], out: Path | None, as_json: bool
) -> None:
    """Build the daily digest with the fairness audit; preview it, or send it once per (date, recipient).

    Without --send or --out the plain-text digest is printed. Reruns of --send for the same date send
    nothing to recipients that already have it; a failed send exits 9 and the next run sends it.
    """
    config = app.config
    now = utcnow()
    day = day or default_day(now, config)
    rendered = prepare(app.store, config, day=day, now=now)
    recipients = to or list(config.digest.recipients)
    if out is not None:
        preview_to = recipients[0] if recipients else "preview@localhost"
        for path in write_preview(rendered, out, sender=config.digest.sender, recipient=preview_to, now=now):
            click.echo(f"wrote {path}")
    if do_send:
        result = send(app.store, config, rendered, recipients=recipients, now=now)
        for recipient, sent_at in result.skipped:
            click.echo(f"already sent to {recipient} at {sent_at}; skipped")
        for recipient, message_id in result.sent:
            click.echo(f"sent the {day} digest to {recipient} {message_id}")
    if as_json:
        echo_json(rendered.digest.as_dict())
    elif out is None and not do_send:
        click.echo(rendered.text, nl=False)


COMMANDS = [digest_cmd]
