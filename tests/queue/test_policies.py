"""Queue policies are objects: the live queue and the simulator use the same ones, chosen by name or plug-in."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Config, load_config
from monitor.errors import ConfigError
from monitor.models import Case
from monitor.queue import cases, policies
from monitor.queue.policies import BasePolicy, FairPolicy, FifoPolicy, FollowersPolicy, get_policy
from monitor.queue.simulate import simulate
from monitor.store import Store

from .conftest import T0, add_case, minutes, plain_config


def with_policy(config: Config, name: str) -> Config:
    return config.model_copy(update={"fairness": config.fairness.model_copy(update={"policy": name})})


def test_fifo_and_fair_order_on_a_small_store(store: Store, config: Config) -> None:
    old = add_case(store, config, "old", severity=1, seen=T0, followers=10)  # due 17:00
    urgent = add_case(store, config, "urgent", severity=4, seen=T0 + minutes(30), followers=10)  # due 10:30
    famous = add_case(store, config, "famous", severity=2, seen=T0 + minutes(40), followers=3_000_000)  # 13:40
    now = T0 + minutes(45)

    def order(name: str) -> list[int]:
        return [r.case.id for r in cases.top(store, with_policy(config, name), now=now)]

    assert order("fair") == [urgent, famous, old]
    assert order("fifo") == [old, urgent, famous]
    assert order("followers") == [famous, old, urgent]
    # `next` serves by the configured policy too
    got = cases.next_case(store, with_policy(config, "fifo"), agent="ana", now=now)
    assert got is not None and got.case.id == old


def test_simulator_and_live_queue_share_the_policy_objects(store: Store, config: Config) -> None:
    calls: list[str] = []

    class Spy(FairPolicy):
        def key(self, case: Case, fairness: Any) -> tuple[Any, ...]:
            calls.append(case.platform)
            return super().key(case, fairness)

    spy = Spy()
    sim = simulate(spy, agents=2, hours=6, seed=1, config=plain_config())
    assert sim.policy == "fair" and "sim" in calls
    # the same object ranks the live queue: same order as the built-in fair policy
    add_case(store, config, "1", severity=1)
    add_case(store, config, "2", severity=4, seen=T0 + minutes(5))
    calls.clear()
    ranked = policies.rank(store.available_cases(T0 + minutes(10)), T0 + minutes(10), config, policy=spy)
    assert calls == ["twitter", "twitter"]
    assert [r.case.id for r in ranked] == [r.case.id for r in cases.top(store, config, now=T0 + minutes(10))]
    assert get_policy("fair") is policies.BUILTIN["fair"] and isinstance(get_policy("fifo"), FifoPolicy)
    same = simulate(get_policy("followers"), agents=2, hours=6, seed=1, config=plain_config())
    assert same.as_dict() == simulate("followers", agents=2, hours=6, seed=1, config=plain_config()).as_dict()


def test_horizon_pruning_belongs_to_the_fair_policy() -> None:
    fairness = plain_config().fairness
    due = datetime(2026, 1, 1, 12, 0)
    assert FairPolicy().horizon(due, fairness) == due + fairness.max_reach_boost
    assert FifoPolicy().horizon(due, fairness) is None and FollowersPolicy().horizon(due, fairness) is None


class NewestFirst(BasePolicy):
    """A third-party policy is one class."""

    name = "newest"

    def key(self, case: Case, fairness: Any) -> tuple[Any, ...]:
        return (-case.first_seen.timestamp(), case.id)


class _EntryPoint:
    name = "newest"
    value = "tests:NewestFirst"

    def load(self) -> type[NewestFirst]:
        return NewestFirst


def test_plug_in_policy_from_an_entry_point(
    monkeypatch: pytest.MonkeyPatch, store: Store, config_path: Path, tmp_path: Path
) -> None:
    monkeypatch.setattr(
        policies, "entry_points", lambda group: [_EntryPoint()] if group == policies.ENTRY_POINT_GROUP else []
    )
    policies._plugins.cache_clear()
    try:
        assert policies.policy_names() == ["fair", "fifo", "followers", "newest"]
        config_path.write_text(config_path.read_text() + "  policy: newest\n")
        config = load_config(str(config_path))
        first = add_case(store, config, "1", seen=T0)
        second = add_case(store, config, "2", seen=T0 + timedelta(minutes=1))
        assert [r.case.id for r in cases.top(store, config, now=T0 + minutes(2))] == [second, first]
        assert simulate("newest", agents=2, hours=6, seed=1, config=config).policy == "newest"
    finally:
        policies._plugins.cache_clear()


def test_unknown_policy_is_a_clear_config_error(config_path: Path) -> None:
    config_path.write_text(config_path.read_text() + "  policy: loudest\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(config_path))
    assert "fairness.policy: unknown queue policy; choose one of: fair, fifo, followers (got 'loudest')" in str(
        err.value
    )
