"""Fixtures for the foundation tests: run the real `monitor` CLI in a subprocess, write real files."""

from __future__ import annotations

# importlib import mode: make the helper module importable by the test modules of this folder
from cm_testing.foundation import MINIMAL_CONFIG, config_file, run_monitor

__all__ = ["MINIMAL_CONFIG", "config_file", "run_monitor"]
