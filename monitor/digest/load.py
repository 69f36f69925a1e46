"""Read one day's rows from the store: the only part of the digest that touches SQLite for figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.store import Store
from monitor.timeutil import parse_time, to_iso

OPEN_STATES = ("new", "claimed")


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


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to local midnight in `tz`, as UTC (23 or 25 hours long on DST change days)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


_CASE_COLUMNS = """
    c.id, c.platform, c.brand, c.severity, c.state, c.first_seen, c.due_at, c.responded_at,
    c.author_followers, m.author_handle, m.url, m.text
"""


def _case(row: tuple[object, ...]) -> CaseRow:
    (cid, platform, brand, severity, state, first_seen, due_at, responded_at, followers, handle, url, text) = row
    return CaseRow(
        id=int(str(cid)), platform=str(platform), brand=None if brand is None else str(brand),
        severity=int(str(severity)), state=str(state), first_seen=parse_time(str(first_seen)),
        due_at=parse_time(str(due_at)), responded_at=parse_time(str(responded_at)) if responded_at else None,
        followers=None if followers is None else int(str(followers)), handle=str(handle or ""),
        url=str(url or ""), text=str(text or ""),
    )  # fmt: skip


def load_day(store: Store, since: datetime, until: datetime, *, unanswered_limit: int = 0) -> DayRows:
    """Mentions and complaints of [since, until), and the oldest complaints still waiting for a first response."""
    lo, hi = to_iso(since), to_iso(until)
    q = store.conn.execute
    with store.errors():
        mentions = [
            MentionRow(platform, brand, language, bool(complaint))
            for platform, brand, language, complaint in q(
                "SELECT platform, brand, coalesce(language, lang), complaint FROM mentions "
                "WHERE created_at >= ? AND created_at < ?",
                (lo, hi),
            )
        ]
        cases = [
            _case(r)
            for r in q(
                f"SELECT {_CASE_COLUMNS} FROM cases c JOIN mentions m ON m.platform = c.platform "
                "AND m.id = c.mention_id WHERE c.first_seen >= ? AND c.first_seen < ? ORDER BY c.first_seen, c.id",
                (lo, hi),
            )
        ]
        unanswered = [
            _case(r)
            for r in q(
                f"SELECT {_CASE_COLUMNS} FROM cases c JOIN mentions m ON m.platform = c.platform "
                "AND m.id = c.mention_id WHERE c.state IN (?, ?) AND c.responded_at IS NULL "
                "AND c.first_seen < ? ORDER BY c.first_seen, c.id LIMIT ?",
                (*OPEN_STATES, hi, unanswered_limit),
            )
        ]
    return DayRows(since=since, until=until, mentions=mentions, cases=cases, unanswered=unanswered)
