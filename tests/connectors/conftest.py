"""Fixtures for the poller tests: a real loopback fake server, a config pointing at it, a real store."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.fake import FakePlatforms, fake_config_data, fake_env, start_fake_platforms
from monitor.config import Config, parse_config
from monitor.store import Store, open_store


class Clock:
    """A settable clock shared by the fake server and the poller (new mentions appear when it advances)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_factory() -> Iterator[Callable[..., FakePlatforms]]:
    started: list[FakePlatforms] = []

    def make(**kwargs: Any) -> FakePlatforms:
        kwargs.setdefault("rate_per_minute", 0)
        fake = start_fake_platforms(**kwargs)
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


def make_config(
    fake: FakePlatforms,
    store_path: Path,
    *,
    environ: dict[str, str] | None = None,
    platforms: dict[str, dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Config:
    data = fake_config_data(fake.base_url, store_path, **kwargs)
    data["platforms"]["twitter"]["retry_wait_max"] = "0.05s"
    data["platforms"]["reddit"]["retry_wait_max"] = "0.05s"
    data["platforms"]["youtube"]["retry_wait_max"] = "0.05s"
    for name, overrides in (platforms or {}).items():
        data["platforms"][name].update(overrides)
    return parse_config(data, environ=environ if environ is not None else fake_env())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "store.db") as s:
        yield s


def stored_ids(store: Store, platform: str | None = None) -> set[tuple[str, str]]:
    with closing(sqlite3.connect(store.path)) as conn:
        rows = conn.execute("SELECT platform, id FROM mentions").fetchall()
    return {(p, i) for p, i in rows if platform is None or p == platform}


@pytest.fixture
def config_for() -> Callable[..., Config]:
    return make_config


@pytest.fixture
def ids() -> Callable[..., set[tuple[str, str]]]:
    return stored_ids
