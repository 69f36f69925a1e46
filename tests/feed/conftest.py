"""Fixtures for the feed tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cm_testing.feed import make_config

from monitor.config import Config
from monitor.store import Store, open_store


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    with open_store(config.store) as s:
        yield s
