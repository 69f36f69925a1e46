"""The plain data types that cross module edges.

`Mention` is the one type connectors hand to the core; the importer builds the same type.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    handle: str
    followers: int | None = None  # None: the platform did not say (e.g. hidden subscriber count)
    verified: bool = False


@dataclass(frozen=True, slots=True)
class Engagement:
    """Public interaction counts at fetch time; spread (velocity) is derived from these and the age."""

    likes: int = 0
    reposts: int = 0
    replies: int = 0
    views: int | None = None

    @property
    def interactions(self) -> int:
        return self.likes + self.reposts + self.replies


@dataclass(frozen=True, slots=True)
class Mention:
    platform: str  # connector name: "twitter", "reddit", "youtube", ...
    id: str  # the platform's id; (platform, id) is the identity
    url: str
    text: str
    created_at: datetime  # aware, UTC
    author: Author
    brand: str | None = None
    query: str | None = None
    lang: str | None = None  # the platform's language tag if it gave one
    engagement: Engagement = field(default_factory=Engagement)
    kind: str = "post"  # post | comment | video
    raw: dict[str, Any] | None = None  # the payload item as received, for audit and reprocessing


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the classifier says about one text."""

    complaint: bool
    score: float  # calibrated probability of being a complaint, 0..1
    severity: int | None  # X-CI scale 1 (no explicit reproach) .. 4 (blame); None if not a complaint
    language: str  # ISO 639-1 code, or "und" when unknown
    reasons: tuple[str, ...] = ()  # short cues that fired, shown in the feed
    signals: dict[str, bool] = field(default_factory=dict)  # question, churn, public_threat, spam, directed


class Classifier(Protocol):
    """What the pipeline needs from a complaint model (monitor.classify provides the shipped one)."""

    version: str  # recorded with every verdict, so a new model can reclassify

    def classify_batch(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Verdict]: ...


@dataclass(frozen=True, slots=True)
class MentionFilter:
    """What `/` typed: words (all must appear in the text) and brand:/platform:/lang: terms."""

    words: tuple[str, ...] = ()
    brand: str | None = None
    platform: str | None = None
    lang: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.words or self.brand or self.platform or self.lang)

    def describe(self) -> str:
        parts = [f'"{w}"' for w in self.words]
        parts += [f"{k}:{v}" for k, v in (("brand", self.brand), ("platform", self.platform), ("lang", self.lang)) if v]
        return " ".join(parts)


def parse_filter(query: str) -> MentionFilter:
    """`brand:Acme platform:reddit lang:de late refund` → MentionFilter. Quotes group words."""
    try:
        tokens = shlex.split(query)
    except ValueError:  # an unbalanced quote: take the words as they are
        tokens = query.split()
    words: list[str] = []
    terms: dict[str, str] = {}
    aliases = {"brand": "brand", "platform": "platform", "p": "platform", "lang": "lang", "language": "lang"}
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key.lower() in aliases and value:
            terms[aliases[key.lower()]] = value
        elif token:
            words.append(token)
    return MentionFilter(tuple(words), terms.get("brand"), terms.get("platform"), terms.get("lang"))
