"""Helpers for the feed tests: a real store in tmp_path filled
through the real write paths (Store.add_mentions, Store.save_verdicts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.config import Config, parse_config
from monitor.ingest.pipeline import new_case
from monitor.models import Author, Engagement, Mention, Verdict
from monitor.store import ClassifiedMention, Store

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

HOSTILE = (
    "\x1b[31mRED\x1b[0m \x1b]0;pwned title\x07\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ "
    "[bold red]markup[/] :smile: \x1b[2J\x1b[H\x9b31m c1 \u202eevil\u202c \u2066iso\u2069 hid\u200bden \x07\x08"
)


def make_config(tmp_path: Path, *, platforms: dict[str, Any] | None = None, **fairness: Any) -> Config:
    data: dict[str, Any] = {
        "store": str(tmp_path / "feed.db"),
        "brands": [{"name": "Acme"}, {"name": "Globex"}],
        "fairness": {"blind_triage": True, **fairness},
    }
    if platforms:
        data["platforms"] = platforms
    env = {"TWITTER_BEARER_TOKEN": "t", "YOUTUBE_API_KEY": "k", "REDDIT_CLIENT_ID": "i", "REDDIT_CLIENT_SECRET": "s"}
    return parse_config(data, source=tmp_path / "config.yaml", environ=env)


def add(
    store: Store,
    config: Config,
    mid: str,
    text: str,
    *,
    platform: str = "twitter",
    brand: str = "Acme",
    followers: int | None = 40,
    age: timedelta = timedelta(minutes=10),
    complaint: bool | None = True,
    severity: int | None = 3,
    language: str = "en",
    reasons: tuple[str, ...] = ("blame",),
    now: datetime = NOW,
) -> int | None:
    """One mention through Store.add_mentions, its verdict columns, and (for complaints) a case via open_case."""
    created = now - age
    mention = Mention(
        platform=platform,
        id=mid,
        url=f"https://example.com/{platform}/{mid}",
        text=text,
        created_at=created,
        author=Author(id=f"a{mid}", handle=f"user{mid}", followers=followers),
        brand=brand,
        engagement=Engagement(likes=1),
    )
    store.add_mentions([mention], fetched_at=created + timedelta(seconds=30), source="poll")
    if complaint is None:
        return None
    verdict = Verdict(
        complaint=complaint,
        score=0.9 if complaint else 0.1,
        severity=severity if complaint else None,
        language=language,
        reasons=reasons,
        signals={"question": False, "churn": True},
    )
    first_seen = created + timedelta(seconds=30)
    case = new_case(config, severity=severity, first_seen=first_seen, brand=brand, followers=followers)
    item = ClassifiedMention(platform, mid, verdict, case if complaint else None)
    saved = store.save_verdicts("test", [item], now=now)
    return saved.case_ids[0] if saved.case_ids else None
