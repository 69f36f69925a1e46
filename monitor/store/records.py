"""Plain records that cross the Store boundary (in and out): no backend types, so every backend produces the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.models import Verdict
from monitor.timeutil import to_iso


def _iso(value: datetime | None) -> str | None:
    return to_iso(value) if value is not None else None


# --- ingest and polling ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InsertResult:
    new: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class PollRun:
    """What one poll of one (platform, brand, query) did; written with its mentions and cursor."""

    platform: str
    brand: str
    query: str
    started_at: datetime
    finished_at: datetime
    status: str = "ok"
    calls: int = 0
    skipped: int = 0
    errors: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectorState:
    """What the scheduler last wrote about a connector: ok | backoff | quota | auth_error | error."""

    state: str
    until: datetime | None = None  # resume time for backoff / quota
    detail: str = ""
    updated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "until": _iso(self.until),
            "detail": self.detail,
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class PollActivity:
    """One platform's polls as the feed header shows them."""

    last_poll: datetime | None  # finish time of the newest poll run, None if never polled
    last_status: str | None
    new_since: int  # new mentions written by polls finished at or after the asked-for time


# --- status ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PollSummary:
    last_poll: datetime
    last_status: str
    calls: int
    new: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "last_poll": to_iso(self.last_poll),
            "last_status": self.last_status,
            "calls": self.calls,
            "new": self.new,
        }


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """Counts for `monitor status`."""

    store: str  # where the store is (path or URL without secrets)
    mentions: int
    mentions_by_platform: dict[str, int]
    mentions_by_brand: dict[str, int]  # a mention without brand counts under "(none)"
    unclassified: int
    polls: dict[str, PollSummary]
    connectors: dict[str, ConnectorState]
    cases_by_state: dict[str, int]
    quota_units: dict[str, int]  # "platform:day" -> units, the 10 newest days

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `monitor status --json`."""
        return {
            "store": self.store,
            "mentions": self.mentions,
            "mentions_by_platform": dict(self.mentions_by_platform),
            "mentions_by_brand": dict(self.mentions_by_brand),
            "unclassified": self.unclassified,
            "polls": {k: v.as_dict() for k, v in self.polls.items()},
            "connectors": {k: v.as_dict() for k, v in self.connectors.items()},
            "cases_by_state": dict(self.cases_by_state),
            "quota_units": dict(self.quota_units),
        }


# --- pipeline ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingMention:
    """An unclassified mention, with what classifying it and opening its case needs."""

    platform: str
    id: str
    text: str
    lang: str | None  # the platform's language tag
    brand: str | None
    first_seen: datetime  # the earlier of posted and fetched: the SLA clock starts here
    followers: int | None


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case to open for a complaint (the SLA policy already applied: severity and deadline are final)."""

    severity: int
    first_seen: datetime
    due_at: datetime
    brand: str | None
    followers: int | None


@dataclass(frozen=True, slots=True)
class ClassifiedMention:
    """One verdict to write; `case` is set for complaints."""

    platform: str
    id: str
    verdict: Verdict
    case: NewCase | None = None


@dataclass(frozen=True, slots=True)
class SavedVerdicts:
    classified: int  # verdicts written (a mention classified meanwhile by another process is skipped)
    complaints: int
    cases_opened: int  # a mention that already had a case gets no second one
    case_ids: tuple[int, ...] = ()  # the cases opened, in the order of the items


# --- feed and search ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MentionView:
    """A stored mention as the stream and search show it."""

    platform: str
    id: str
    brand: str | None
    created_at: datetime
    fetched_at: datetime
    language: str | None  # the classifier's, else the platform's tag
    complaint: bool | None  # None: not classified yet
    severity: int | None
    text: str
    author_handle: str
    url: str
    case_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "id": self.id,
            "brand": self.brand,
            "created_at": to_iso(self.created_at),
            "fetched_at": to_iso(self.fetched_at),
            "language": self.language,
            "complaint": self.complaint,
            "severity": self.severity,
            "author_handle": self.author_handle,
            "url": self.url,
            "text": self.text,
            "case_id": self.case_id,
        }


# --- digest ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MentionRow:
    platform: str
    brand: str | None
    language: str | None
    complaint: bool


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    platform: str
    brand: str | None
    severity: int
    state: str
    first_seen: datetime
    due_at: datetime
    responded_at: datetime | None
    followers: int | None
    handle: str
    url: str
    text: str


@dataclass(frozen=True, slots=True)
class DayRows:
    since: datetime  # UTC, inclusive
    until: datetime  # UTC, exclusive
    mentions: list[MentionRow]  # created in the window
    cases: list[CaseRow]  # complaints first seen in the window
    unanswered: list[CaseRow]  # still unanswered, first seen before `until`, oldest first


@dataclass(frozen=True, slots=True)
class DigestSent:
    sent_at: str  # as recorded (UTC ISO-8601)
    message_id: str
