"""The plain data types that cross module edges.

`Mention` is the one type connectors hand to the core; the importer builds the same type.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
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


# --- cases -------------------------------------------------------------------------------------


class CaseState(StrEnum):
    """Where a case is in its life; `new` and `claimed` are the open states."""

    NEW = "new"
    CLAIMED = "claimed"
    RESPONDED = "responded"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


OPEN_STATES = frozenset({CaseState.NEW, CaseState.CLAIMED})


class CaseAction(StrEnum):
    """What an event records."""

    OPEN = "open"
    CLAIM = "claim"
    RELEASE = "release"
    RESPOND = "respond"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    ESCALATE = "escalate"
    EXPIRE = "expire"


@dataclass(frozen=True, slots=True)
class Case:
    """One complaint case with what its mention says about it: the one type the queue, the commands, the feed,
    the audit and the simulator share. Fields a reader did not load stay at their defaults (the audit reads
    no mention text; the simulator has no platform)."""

    id: int
    platform: str
    mention_id: str
    severity: int
    first_seen: datetime
    due_at: datetime
    state: CaseState = CaseState.NEW
    brand: str | None = None
    followers: int | None = None  # the author's, when the case was opened (None: the platform hid it)
    verified: bool = False
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    posted_at: datetime | None = None  # mention created_at
    observed_at: datetime | None = None  # mention fetched_at: when likes/reposts/replies were counted
    escalated: bool = False
    escalated_at: datetime | None = None
    escalated_by: str | None = None
    escalation_reason: str | None = None
    claimed_by: str | None = None  # set while state is claimed (the claim may have expired: see live_claim)
    claimed_at: datetime | None = None
    claim_expires_at: datetime | None = None
    responded_at: datetime | None = None  # the first response
    responded_by: str | None = None
    resolved_at: datetime | None = None
    dismissed_at: datetime | None = None
    dismissed_reason: str | None = None
    author_handle: str | None = None
    text: str | None = None
    url: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def live_claim(self, now: datetime) -> bool:
        """Claimed and the claim has not expired at `now`."""
        return self.state == CaseState.CLAIMED and self.claim_expires_at is not None and self.claim_expires_at > now


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One row of a case's append-only event log (detail: the action's JSON detail)."""

    case_id: int
    at: datetime
    actor: str
    action: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None
    from_state: CaseState | None = None
    to_state: CaseState | None = None


@dataclass(frozen=True, slots=True)
class CaseLabels:
    """What the classifier said about a case's mention (the feed shows it; the ranking does not need it)."""

    language: str | None = None
    reasons: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()  # the signals that fired


@dataclass(frozen=True, slots=True)
class OpenCaseCounts:
    open: int  # new + claimed
    breached: int  # open and past due
    claimed_by_others: int  # live claims of agents other than the viewer


@dataclass(frozen=True, slots=True)
class Transition:
    """One checked change of a case: decided by monitor.queue.cases (the rules), written by the store.

    The store writes `after`'s state, claim, response, resolution, dismissal and escalation fields (only if the
    case is still in `before`'s state) and appends one event: actor, action, before.state -> after.state, detail.
    """

    before: Case
    after: Case
    actor: str
    action: CaseAction
    at: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)
