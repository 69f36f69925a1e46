"""platforms.reddit in config.yaml."""

from __future__ import annotations

from pydantic import Field

from monitor.connector import PlatformSettings


class RedditSettings(PlatformSettings):
    client_id_env: str = "REDDIT_CLIENT_ID"
    client_secret_env: str = "REDDIT_CLIENT_SECRET"
    user_agent: str = Field(default="complaint-monitor/0.1 (social care)", min_length=7)
    subreddits: list[str] = Field(default_factory=lambda: ["all"], min_length=1)
    include_comments: bool = False
