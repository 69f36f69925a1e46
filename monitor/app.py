"""What every CLI command shares: the lazily loaded config and store, and output helpers.

Config is loaded per command, on first use, so `monitor --help` works anywhere.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import click

from monitor.config import Config, load_config
from monitor.store import Store, open_store
from monitor.text import for_json

P = ParamSpec("P")
R = TypeVar("R")


class AppContext:
    def __init__(self, config_path: str | None, db_path: str | None) -> None:
        self.config_path = config_path
        self.db_path = db_path
        self._config: Config | None = None
        self._store: Store | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            config = load_config(self.config_path)
            if self.db_path:
                config = config.with_store(Path(self.db_path))
            self._config = config
        return self._config

    def store_path(self) -> Path:
        """--db wins and needs no config file; otherwise the config's store."""
        return Path(self.db_path) if self.db_path else self.config.store

    @property
    def store(self) -> Store:
        # typed as the SQLite backend until the case commands take the Store protocol (monitor.store.protocol)
        if self._store is None:
            # --db as typed: a URL must not go through Path, which folds its "//"
            self._store = open_store(self.db_path or self.config.store)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_app = click.make_pass_decorator(AppContext)


def with_app(fn: Callable[Concatenate[AppContext, P], R]) -> Callable[P, R]:
    """Decorator: pass the AppContext as the first argument (typed alternative to pass_app)."""
    return pass_app(fn)


def default_agent(fallback: str = "") -> str:
    """Who is acting: $MONITOR_AGENT, else the OS user name, else `fallback` (no passwd entry, e.g. containers).

    The case commands keep the empty fallback, so a nameless agent is asked for --agent instead of guessed.
    """
    env = os.environ.get("MONITOR_AGENT", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return fallback


def echo_json(data: Any) -> None:
    """One JSON document on stdout; non-ASCII kept readable, terminal controls escaped."""
    click.echo(for_json(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False, default=str)))


def echo_jsonl(data: Any) -> None:
    click.echo(for_json(json.dumps(data, ensure_ascii=False, default=str)))


def warn(message: str) -> None:
    click.echo(message, err=True)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
