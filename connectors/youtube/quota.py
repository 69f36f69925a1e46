"""YouTube's daily unit quota: 10,000 units by default, reset at midnight Pacific time.

The engine meters it through this object (monitor.connector.DailyQuota); nothing in the core names YouTube.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.connector import PlatformSettings

PACIFIC = ZoneInfo("America/Los_Angeles")


def next_pacific_midnight(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    midnight = datetime(local.year, local.month, local.day, tzinfo=PACIFIC) + timedelta(days=1)
    return midnight.astimezone(UTC)


def pacific_day(now: datetime) -> str:
    return now.astimezone(PACIFIC).date().isoformat()


class PacificDayQuota:
    """Units per Pacific day (`daily_quota` in the settings), spread evenly over the polls left today."""

    def day(self, now: datetime) -> str:
        return pacific_day(now)

    def resets_at(self, now: datetime) -> datetime:
        return next_pacific_midnight(now)

    def limit(self, settings: PlatformSettings) -> int:
        return int(getattr(settings, "daily_quota", 10_000))

    def budget(self, settings: PlatformSettings, used_today: int, now: datetime, queries: int) -> int:
        """Units one poll of one query may spend so the daily quota lasts until midnight Pacific."""
        seconds_left = (next_pacific_midnight(now) - now).total_seconds()
        interval = max(1.0, settings.poll_interval.total_seconds())
        polls_left = max(1, math.ceil(seconds_left / interval)) * max(1, queries)
        return max(0, (self.limit(settings) - used_today) // polls_left)


YOUTUBE_QUOTA = PacificDayQuota()
