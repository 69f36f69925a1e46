"""platforms.youtube in config.yaml."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from monitor.connector import PlatformSettings
from monitor.settings import Duration


class YouTubeSettings(PlatformSettings):
    poll_interval: Duration = timedelta(minutes=30)
    api_key_env: str = "YOUTUBE_API_KEY"
    daily_quota: int = Field(default=10_000, ge=1)
    search_cost: int = Field(default=100, ge=1)
    # Recently found videos whose comments are re-read each poll (plus the brand's own channels).
    watch_videos: int = Field(default=20, ge=0, le=200)
    # search.list publishedAfter is moved back by this much to allow for index lag (results are deduped).
    search_overlap: Duration = timedelta(hours=1)
    # YouTube's rateLimitExceeded carries no reset time: wait this long before the next poll.
    rate_limit_backoff: Duration = timedelta(seconds=60)
