"""The `monitor` command: a thin layer that parses arguments, calls the library, maps errors to exit codes."""

from __future__ import annotations

import logging
import os
import sys

import click

from monitor import __version__
from monitor.app import AppContext
from monitor.commands import all_commands
from monitor.errors import MonitorError
from monitor.logs import use_plain_logs

INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar="MONITOR_CONFIG",
    help="Config file (default: $MONITOR_CONFIG, else ./config.yaml).",
)
@click.option("--db", "db_path", metavar="PATH", help="Use this SQLite store instead of the config's.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(__version__, prog_name="complaint-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_path: str | None, verbose: int) -> None:
    """complaint-monitor: brand mentions in, one fair response queue out.

    Exit codes: 0 ok, 1 bug, 2 config/usage, 3 some input rejected, 4 input unreadable, 5 store,
    6 platform, 7 not found, 8 conflict, 9 delivery failed, 10 quality guard, 130 interrupted.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    use_plain_logs(level)
    app = AppContext(config_path, db_path)
    ctx.obj = app
    ctx.call_on_close(app.close)


for _command in all_commands():
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn expected errors into one message and an exit code."""
    try:
        cli.main(args=argv, prog_name="monitor", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return INTERRUPTED
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return INTERRUPTED
    except MonitorError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        # the reader went away (e.g. `monitor queue | head`): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
