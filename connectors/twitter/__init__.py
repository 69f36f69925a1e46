"""Twitter/X recent search (tweepy). Registered as the `twitter` connector (entry point in pyproject.toml).

This module is what the entry point loads: it stays light (no client library), so reading the config and
listing connectors does not import the platform"s client; `connector.py` holds the walk.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from connectors.twitter.ids import TWEPOCH_MS, snowflake_time
from connectors.twitter.settings import TwitterSettings
from monitor.connector import Batch, Cursor, DailyQuota, Query

if TYPE_CHECKING:
    from connectors.twitter.connector import TwitterClient

__all__ = ["TWEPOCH_MS", "TwitterConnector", "TwitterSettings", "snowflake_time"]


class TwitterConnector:
    name: ClassVar[str] = "twitter"
    label: ClassVar[str] = "X"
    Settings: ClassVar[type[TwitterSettings]] = TwitterSettings
    quota: ClassVar[DailyQuota | None] = None
    fake: ClassVar[str | None] = "connectors.twitter.fake:TwitterFake"  # loopback fake API (tests, demo)

    def __init__(self, settings: TwitterSettings) -> None:
        from connectors.twitter.connector import TwitterClient

        self.settings = settings
        self.client: TwitterClient = TwitterClient(settings)

    def fetch(self, query: Query, cursor: Cursor | None, now: datetime) -> Batch:
        return self.client.fetch(query, cursor, now)
