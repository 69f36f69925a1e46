"""YouTube Data API v3 search and comments (httpx). Registered as the `youtube` connector (pyproject.toml).

This module is what the entry point loads: it stays light (no client library), so reading the config and
listing connectors does not import the platform"s client; `connector.py` holds the walk.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from connectors.youtube.quota import YOUTUBE_QUOTA, next_pacific_midnight, pacific_day
from connectors.youtube.settings import YouTubeSettings
from monitor.connector import Batch, Cursor, DailyQuota, Query

if TYPE_CHECKING:
    from connectors.youtube.connector import YouTubeClient

__all__ = ["YOUTUBE_QUOTA", "YouTubeConnector", "YouTubeSettings", "next_pacific_midnight", "pacific_day"]


class YouTubeConnector:
    name: ClassVar[str] = "youtube"
    label: ClassVar[str] = "yt"
    Settings: ClassVar[type[YouTubeSettings]] = YouTubeSettings
    quota: ClassVar[DailyQuota | None] = YOUTUBE_QUOTA
    fake: ClassVar[str | None] = "connectors.youtube.fake:YouTubeFake"  # loopback fake API (tests, demo)

    def __init__(self, settings: YouTubeSettings) -> None:
        from connectors.youtube.connector import YouTubeClient

        self.settings = settings
        self.client: YouTubeClient = YouTubeClient(settings)

    def fetch(self, query: Query, cursor: Cursor | None, now: datetime) -> Batch:
        return self.client.fetch(query, cursor, now)
