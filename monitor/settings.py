"""The base of every settings model: frozen, unknown keys rejected, durations written like 90s or 1h30m.

Shared by the core config (monitor.config) and every connector's own settings (monitor.connector).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from monitor.timeutil import parse_duration


def _duration(value: Any) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class SettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
