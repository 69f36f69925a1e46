"""Finding plug-ins: connectors are loaded from the entry-point group `complaint_monitor.connectors`.

The built-in connectors register through the same group in this project's pyproject.toml, exactly as a
third-party wheel does:

    [project.entry-points."complaint_monitor.connectors"]
    bluesky = "cm_bluesky:BlueskyConnector"

The entry point's name is the platform's key under `platforms:` in config.yaml. A plug-in that fails to
import is reported (by `monitor connectors` and in the log) and left out; it never stops the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from monitor.connector import Connector, DailyQuota, PlatformSettings
from monitor.errors import ConfigError

log = logging.getLogger(__name__)

CONNECTOR_GROUP = "complaint_monitor.connectors"


@dataclass(frozen=True, slots=True)
class LoadedConnector:
    name: str
    cls: type[Connector]
    distribution: str  # the installed package it came from, e.g. "complaint-monitor"
    target: str  # "module:Class"


@dataclass(frozen=True, slots=True)
class BrokenConnector:
    name: str
    distribution: str
    target: str
    error: str


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.metadata["Name"]) if dist is not None else "?"


def _check(name: str, cls: Any) -> str | None:
    """Why `cls` is not a usable connector class, or None."""
    if not isinstance(cls, type):
        return f"{name}: entry point is not a class"
    settings = getattr(cls, "Settings", None)
    if not (isinstance(settings, type) and issubclass(settings, PlatformSettings)):
        return f"{name}: {cls.__name__}.Settings must subclass monitor.connector.PlatformSettings"
    if not callable(getattr(cls, "fetch", None)):
        return f"{name}: {cls.__name__} has no fetch(query, cursor, now)"
    return None


@cache
def _discover() -> tuple[dict[str, LoadedConnector], dict[str, BrokenConnector]]:
    loaded: dict[str, LoadedConnector] = {}
    broken: dict[str, BrokenConnector] = {}
    for ep in sorted(entry_points(group=CONNECTOR_GROUP), key=lambda e: e.name):
        dist = _dist_name(ep)
        if ep.name in loaded:  # the same name from two packages: keep the first, say so
            broken[f"{ep.name} ({dist})"] = BrokenConnector(ep.name, dist, ep.value, "name already taken")
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plug-in must not take the others down
            log.warning("connector plug-in %s (%s) failed to load: %s", ep.name, dist, type(exc).__name__)
            broken[ep.name] = BrokenConnector(ep.name, dist, ep.value, f"{type(exc).__name__}: {exc}")
            continue
        problem = _check(ep.name, cls)
        if problem:
            log.warning("connector plug-in %s", problem)
            broken[ep.name] = BrokenConnector(ep.name, dist, ep.value, problem)
            continue
        loaded[ep.name] = LoadedConnector(ep.name, cls, dist, ep.value)
    return loaded, broken


def connectors() -> dict[str, LoadedConnector]:
    """Every installed connector that loaded, by platform name (sorted)."""
    return dict(_discover()[0])


def broken_connectors() -> dict[str, BrokenConnector]:
    return dict(_discover()[1])


def connector_class(name: str) -> type[Connector]:
    try:
        return _discover()[0][name].cls
    except KeyError:
        known = ", ".join(_discover()[0]) or "none"
        raise ConfigError(
            f"no connector named {name!r} is installed (installed: {known}); install its package or fix the name"
        ) from None


def make_connector(name: str, settings: PlatformSettings) -> Connector:
    """A connector instance for validated settings (secrets attached)."""
    return connector_class(name)(settings)


def label(name: str) -> str:
    """The short label of a platform in narrow columns ("X"), or its first two letters if not installed."""
    found = _discover()[0].get(name)
    return str(getattr(found.cls, "label", name[:2])) if found else name[:2]


def quota_of(name: str) -> DailyQuota | None:
    """The platform's daily quota rule, if its connector declares one."""
    found = _discover()[0].get(name)
    return getattr(found.cls, "quota", None) if found else None


def reset() -> None:
    """Forget what was discovered (tests that install a plug-in into the running interpreter)."""
    _discover.cache_clear()


def _default(field: Any) -> Any:
    from pydantic_core import PydanticUndefined

    if field.default_factory is not None:
        return field.default_factory()
    return None if field.default is PydanticUndefined else field.default


def describe_connectors(enabled: set[str] | None = None) -> list[dict[str, Any]]:
    """Every installed connector (and every broken one) as plain data for `monitor connectors`.

    enabled: the platforms enabled in the current config, or None when no config could be read.
    """
    from datetime import timedelta

    from monitor.timeutil import format_duration

    out: list[dict[str, Any]] = []
    for name, found in connectors().items():
        settings_cls = found.cls.Settings
        keys = []
        for key, field in settings_cls.model_fields.items():
            default = _default(field)
            if isinstance(default, timedelta):
                default = format_duration(default)
            required = field.is_required()
            keys.append({"key": key, "default": default, "required": required})
        quota = getattr(found.cls, "quota", None)
        out.append(
            {
                "name": name,
                "label": getattr(found.cls, "label", name[:2]),
                "distribution": found.distribution,
                "target": found.target,
                "settings": keys,
                "secrets": {
                    k["key"].removesuffix("_env"): k["default"]
                    for k in keys
                    if k["key"].endswith("_env") and isinstance(k["default"], str)
                },
                "quota": type(quota).__name__ if quota is not None else None,
                "enabled": None if enabled is None else name in enabled,
                "error": None,
            }
        )
    for name, bad in broken_connectors().items():
        out.append(
            {
                "name": name,
                "label": None,
                "distribution": bad.distribution,
                "target": bad.target,
                "settings": [],
                "secrets": {},
                "quota": None,
                "enabled": None if enabled is None else False,
                "error": bad.error,
            }
        )
    return out
