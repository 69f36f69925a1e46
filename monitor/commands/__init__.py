"""CLI command modules. Each module exposes `COMMANDS`, a list of click commands; list new modules here."""

from __future__ import annotations

import importlib

import click

MODULES = [
    "monitor.commands.core",
    "monitor.commands.digest",
    "monitor.commands.queue",
    "monitor.commands.feed",
    "monitor.commands.classify",
    "monitor.commands.poll",
    "monitor.commands.demo",
    "monitor.commands.connectors",
]


def all_commands() -> list[click.Command]:
    commands: list[click.Command] = []
    for name in MODULES:
        commands.extend(importlib.import_module(name).COMMANDS)
    return commands
