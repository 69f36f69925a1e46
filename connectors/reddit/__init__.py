"""Reddit search (praw, read-only). Registered as the `reddit` connector (entry point in pyproject.toml).

This module is what the entry point loads: it stays light (no client library), so reading the config and
listing connectors does not import the platform"s client; `connector.py` holds the walk.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from connectors.reddit.settings import RedditSettings
from monitor.connector import Batch, Cursor, DailyQuota, Query

if TYPE_CHECKING:
    from connectors.reddit.connector import RedditClient

__all__ = ["RedditConnector", "RedditSettings"]


class RedditConnector:
    name: ClassVar[str] = "reddit"
    label: ClassVar[str] = "rd"
    Settings: ClassVar[type[RedditSettings]] = RedditSettings
    quota: ClassVar[DailyQuota | None] = None
    fake: ClassVar[str | None] = "connectors.reddit.fake:RedditFake"  # loopback fake API (tests, demo)

    def __init__(self, settings: RedditSettings) -> None:
        from connectors.reddit.connector import RedditClient

        self.settings = settings
        self.client: RedditClient = RedditClient(settings)

    def fetch(self, query: Query, cursor: Cursor | None, now: datetime) -> Batch:
        return self.client.fetch(query, cursor, now)
