"""The digest end to end for one day: read the store, build, render, preview or send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from monitor.config import Config
from monitor.digest.build import DayData, Digest, build_digest
from monitor.digest.load import day_window, load_day
from monitor.digest.render import render
from monitor.digest.send import Delivery, compose, deliver
from monitor.errors import InputError
from monitor.queue.audit import audit_store
from monitor.store import Store


def default_day(now: datetime, config: Config) -> date:
    """Yesterday in the configured time zone."""
    return now.astimezone(config.tz).date() - timedelta(days=1)


def _day_data(store: Store, config: Config, day: date, now: datetime, *, unanswered: int) -> DayData:
    since, until = day_window(day, config.tz)
    return DayData(
        rows=load_day(store, since, until, unanswered_limit=unanswered),
        audit=audit_store(store, config, since=since, until=until, now=now),
    )


def make_digest(store: Store, config: Config, *, day: date, now: datetime) -> Digest:
    with store.snapshot():  # every query sees the same state even while pollers and agents write
        today = _day_data(store, config, day, now, unanswered=config.digest.oldest_unanswered)
        previous = _day_data(store, config, day - timedelta(days=1), now, unanswered=0)
    return build_digest(today, previous, day=day, now=now, config=config)


@dataclass(frozen=True, slots=True)
class Rendered:
    digest: Digest
    subject: str
    html: str
    text: str


def prepare(store: Store, config: Config, *, day: date, now: datetime) -> Rendered:
    digest = make_digest(store, config, day=day, now=now)
    subject, html, text = render(digest, config.digest.subject)
    return Rendered(digest, subject, html, text)


def write_preview(r: Rendered, out_dir: Path, *, sender: str, recipient: str, now: datetime) -> list[Path]:
    """digest-DAY.html, .txt and .eml in out_dir (created if missing)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = out_dir / f"digest-{r.digest.day.isoformat()}"
        msg = compose(r.subject, r.html, r.text, sender=sender, recipient=recipient, now=now, day=r.digest.day)
        paths = [stem.with_suffix(".html"), stem.with_suffix(".txt"), stem.with_suffix(".eml")]
        paths[0].write_text(r.html, encoding="utf-8")
        paths[1].write_text(r.text, encoding="utf-8")
        paths[2].write_bytes(msg.as_bytes())
    except OSError as exc:
        raise InputError(f"cannot write the preview to {out_dir}: {exc.strerror or exc}") from None
    return paths


def send(store: Store, config: Config, r: Rendered, *, recipients: list[str], now: datetime) -> Delivery:
    return deliver(
        store,
        config,
        day=r.digest.day,
        subject=r.subject,
        html=r.html,
        text=r.text,
        recipients=recipients,
        now=now,
    )
