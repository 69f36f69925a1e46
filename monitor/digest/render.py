"""Digest figures to an email: subject, HTML (autoescaped Jinja2, CSS inlined for mail clients) and plain text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import css_inline
import jinja2

from monitor.digest.build import Change, Digest
from monitor.text import for_html
from monitor.timeutil import format_duration

DEFAULT_SUBJECT = "Complaint digest for {date}"
BAR_WIDTH_PX = 220


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of the response-time chart, as percentages of the chart's width."""

    label: str
    median_pct: int
    p90_pct: int  # the part of the bar between the median and p90
    rest_pct: int
    median: str
    p90: str


@cache
def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("monitor.digest", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(dur=dur, pct=pct, num=num, change=change_text, trend=trend, tier=tier, plural=plural)
    return env


def dur(value: timedelta | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float | int):
        value = timedelta(seconds=value)
    return format_duration(value)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _value(kind: str, value: float | None) -> str:
    if kind == "count":
        return num(None if value is None else int(value))
    if kind == "share":
        return pct(value)
    if kind == "duration":
        return dur(value)
    return ratio(value)


def change_text(c: Change) -> str:
    """The difference from the previous day in the quantity's own unit."""
    if c.today is None or c.previous is None:
        return "—"
    delta = c.today - c.previous
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    size = abs(delta)
    if c.kind == "count":
        return f"{sign}{size:,.0f}"
    if c.kind == "share":
        return f"{sign}{size * 100:.0f} pts"
    if c.kind == "duration":
        return f"{sign}{format_duration(timedelta(seconds=size))}"
    return f"{sign}{size:.2f}"


def trend(c: Change) -> str:
    """good / bad / flat, for colouring the change."""
    if c.today is None or c.previous is None or c.today == c.previous or c.worse_when_higher is None:
        return "flat"
    return "bad" if (c.today > c.previous) == c.worse_when_higher else "good"


def tier(name: str) -> str:
    """The audit's ASCII tier names, typeset: ">=100k" -> "≥100k", "1k-10k" -> "1k–10k"."""
    return name.replace(">=", "≥").replace("-", "–")


def chart(d: Digest) -> list[Bar]:
    """Median and p90 bars per answered tier, scaled to the longest p90."""
    scale = max((t.p90_ttfr for t in d.tiers if t.p90_ttfr is not None), default=None)
    if scale is None or scale <= timedelta(0):
        return []
    bars: list[Bar] = []
    for t in d.tiers:
        if t.median_ttfr is None or t.p90_ttfr is None:
            continue
        median_pct = round(100 * (t.median_ttfr / scale))
        p90_pct = round(100 * (t.p90_ttfr / scale)) - median_pct
        label = tier(t.tier)
        bars.append(Bar(label, median_pct, p90_pct, 100 - median_pct - p90_pct, dur(t.median_ttfr), dur(t.p90_ttfr)))
    return bars


def subject_for(d: Digest, template: str = DEFAULT_SUBJECT) -> str:
    subject = for_html(template.replace("{date}", d.day.isoformat()))
    if d.parity_alert:
        subject += f" — parity alert {ratio(d.parity)}"
    return subject


def render(d: Digest, subject_template: str = DEFAULT_SUBJECT) -> tuple[str, str, str]:
    """(subject, html, text) of a digest."""
    subject = subject_for(d, subject_template)
    tz = ZoneInfo(d.timezone)

    def local(dt: datetime, fmt: str = "%d %b %H:%M") -> str:
        return dt.astimezone(tz).strftime(fmt)

    context = {
        "d": d,
        "subject": subject,
        "bars": chart(d),
        "bar_width": BAR_WIDTH_PX,
        "local": local,
        "ratio": ratio,
        "val": _value,
        "day_long": d.day.strftime("%A %d %B %Y"),
        "sla": {sev: dur(v) for sev, v in d.sla.items()},
    }
    html = _env(True).get_template("digest.html").render(context)
    html = css_inline.inline(html)
    text = _env(False).get_template("digest.txt").render(context)
    return subject, html, text
