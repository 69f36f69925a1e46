"""`monitor connectors`: which connector plug-ins are installed, their settings, and what the config enables."""

from __future__ import annotations

import click

from monitor.app import AppContext, echo_json, pass_app, warn
from monitor.errors import ConfigError
from monitor.plugins import describe_connectors
from monitor.text import for_terminal


@click.command("connectors")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_app
def connectors_cmd(app: AppContext, as_json: bool) -> None:
    """List every installed connector: name, package it came from, settings keys with defaults, and
    whether the current config enables it (shown as '?' when no config can be read)."""
    enabled: set[str] | None
    try:
        enabled = set(app.config.platforms.enabled())
    except ConfigError as exc:
        enabled = None
        if "no config file" not in str(exc):  # an invalid config is worth a word; none at all is fine
            warn(f"config not read, so whether each is enabled is unknown: {exc}")
    rows = describe_connectors(enabled)
    if as_json:
        echo_json({"connectors": rows})
        return
    if not rows:
        click.echo("no connectors installed (entry-point group complaint_monitor.connectors)")
    for row in rows:
        on = {None: "?", True: "enabled", False: "disabled"}[row["enabled"]]
        head = f"{for_terminal(row['name'], oneline=True)}  ({for_terminal(row['distribution'], oneline=True)}, {on})"
        click.echo(head)
        if row["error"]:
            click.echo(f"  failed to load: {for_terminal(row['error'], oneline=True)}")
            continue
        for key in row["settings"]:
            value = "(required)" if key["required"] else key["default"]
            click.echo(f"  {key['key']}: {for_terminal(str(value), oneline=True)}")


COMMANDS = [connectors_cmd]
