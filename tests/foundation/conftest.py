"""Fixtures for the foundation tests: run the real `monitor` CLI in a subprocess, write real files."""

from __future__ import annotations

import sys
from pathlib import Path

# importlib import mode: make the helper module importable by the test modules of this folder
sys.path.insert(0, str(Path(__file__).parent))

from foundation_helpers import MINIMAL_CONFIG, config_file, run_monitor

__all__ = ["MINIMAL_CONFIG", "config_file", "run_monitor"]
