"""platforms.twitter in config.yaml."""

from __future__ import annotations

from datetime import timedelta

from monitor.connector import PlatformSettings
from monitor.settings import Duration


class TwitterSettings(PlatformSettings):
    poll_interval: Duration = timedelta(minutes=2)
    bearer_token_env: str = "TWITTER_BEARER_TOKEN"
