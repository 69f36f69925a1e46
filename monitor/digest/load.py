"""Read one day's rows from the store: the only part of the digest that reads the store for figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.store.protocol import Store
from monitor.store.records import CaseRow, DayRows, MentionRow

__all__ = ["CaseRow", "DayRows", "MentionRow", "day_window", "load_day"]


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to local midnight in `tz`, as UTC (23 or 25 hours long on DST change days)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def load_day(store: Store, since: datetime, until: datetime, *, unanswered_limit: int = 0) -> DayRows:
    """Mentions and complaints of [since, until), and the oldest complaints still waiting for a first response."""
    return store.day_rows(since, until, unanswered_limit=unanswered_limit)
