"""Fixtures for the queue tests: a real SQLite store in tmp_path, a config file, and helpers to add complaints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import BrandConfig, Config, load_config
from monitor.ingest.pipeline import new_case
from monitor.models import Author, Engagement, Mention, Verdict
from monitor.store import ClassifiedMention, Store, open_store

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

CONFIG_YAML = """
store: store.db
brands:
  - name: Acme
sla: {4: 1h, 3: 2h, 2: 4h, 1: 8h}
fairness:
  max_reach_boost: 15m
  claim_timeout: 30m
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG_YAML)
    return path


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(str(config_path))


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    s = open_store(config.store)
    yield s
    s.close()


def plain_config() -> Config:
    return Config(brands=[BrandConfig(name="Acme")])


def mention(
    mid: str,
    *,
    text: str = "my order never arrived",
    followers: int | None = 40,
    platform: str = "twitter",
    created: datetime = T0,
    likes: int = 0,
    reposts: int = 0,
    replies: int = 0,
    verified: bool = False,
) -> Mention:
    return Mention(
        platform=platform,
        id=mid,
        url=f"https://example.com/{mid}",
        text=text,
        created_at=created,
        author=Author(id=f"a{mid}", handle=f"user{mid}", followers=followers, verified=verified),
        brand="Acme",
        engagement=Engagement(likes=likes, reposts=reposts, replies=replies),
    )


def add_case(
    store: Store,
    config: Config,
    mid: str,
    *,
    severity: int = 2,
    seen: datetime = T0,
    followers: int | None = 40,
    **kwargs: object,
) -> int:
    """Store a mention as seen at `seen` and open its case, as the pipeline would."""
    store.add_mentions(
        [mention(mid, followers=followers, created=kwargs.pop("created", seen), **kwargs)],  # type: ignore[arg-type]
        fetched_at=seen,
        source="import",
    )
    verdict = Verdict(complaint=True, score=0.9, severity=severity, language="en")
    case = new_case(config, severity=severity, first_seen=seen, brand="Acme", followers=followers)
    saved = store.save_verdicts("test", [ClassifiedMention("twitter", mid, verdict, case)], now=seen)
    case_id = saved.case_ids[0] if saved.case_ids else None
    assert case_id is not None
    return case_id


class KeywordClassifier:
    """A tiny deterministic classifier for pipeline tests: a text containing 'broken' is a severity-3 complaint."""

    def __init__(self, version: str = "kw-1") -> None:
        self.version = version
        self.calls = 0

    def classify_batch(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Verdict]:
        self.calls += 1
        out = []
        for text in texts:
            hit = "broken" in text.lower()
            out.append(
                Verdict(
                    complaint=hit,
                    score=0.9 if hit else 0.1,
                    severity=3 if hit else None,
                    language="en",
                    reasons=("broken",) if hit else (),
                    signals={"question": "?" in text},
                )
            )
        return out


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
