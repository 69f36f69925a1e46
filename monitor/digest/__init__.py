"""The daily digest: load a day's rows, build the figures (pure), render the email, send it once per recipient."""

from __future__ import annotations

from monitor.digest.build import DayData, Digest, build_digest
from monitor.digest.job import default_day, make_digest, prepare, send, write_preview
from monitor.digest.render import render
from monitor.digest.send import Delivery, compose, deliver

__all__ = [
    "DayData",
    "Delivery",
    "Digest",
    "build_digest",
    "compose",
    "default_day",
    "deliver",
    "make_digest",
    "prepare",
    "render",
    "send",
    "write_preview",
]
