"""Loopback fake platforms: one real HTTP server speaking the Twitter, Reddit and YouTube APIs.

with start_fake_platforms(seed=1, mentions=500) as fake:
    env = fake_env()                      # dummy credentials the fake accepts
    write_fake_config(tmp / "config.yaml", fake.base_url, tmp / "store.db")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from connectors.fake.server import FAKE_CREDENTIALS, FAULTS, FakePlatforms, start_fake_platforms

__all__ = ["FAKE_CREDENTIALS", "FAULTS", "FakePlatforms", "fake_env", "start_fake_platforms", "write_fake_config"]


def fake_env() -> dict[str, str]:
    """Environment variables (dummy credentials) that a config from write_fake_config needs."""
    return dict(FAKE_CREDENTIALS)


def fake_config_data(
    base_url: str,
    store_path: str | Path,
    *,
    brand: str = "Acme",
    max_pages: int = 100,
    poll_interval: str | None = None,
) -> dict[str, Any]:
    """The config mapping that points all three platforms at a fake server."""
    base = base_url.rstrip("/")
    extra: dict[str, Any] = {"poll_interval": poll_interval} if poll_interval else {}
    common = {"enabled": True, "max_pages": max_pages, "timeout": "5s", "retry_wait_max": "0.5s", **extra}
    return {
        "store": str(store_path),
        "timezone": "UTC",
        "brands": [
            {
                "name": brand,
                "queries": {
                    "twitter": [f"{brand.lower()} -is:retweet"],
                    "reddit": [brand.lower()],
                    "youtube": [brand.lower()],
                },
                "handles": {
                    "twitter": [brand],
                    "reddit": [f"{brand.lower()}_official"],
                    "youtube": ["UCacmeOfficialChannel0001"],
                },
            }
        ],
        "platforms": {
            "twitter": {**common, "base_url": base},
            "reddit": {**common, "base_url": base, "include_comments": True, "subreddits": ["all"]},
            "youtube": {
                **common,
                "base_url": f"{base}/youtube/v3",
                "rate_limit_backoff": "2s",
                "daily_quota": 1_000_000_000,  # the fake has no real quota: short demo intervals still search
            },
        },
    }


def write_fake_config(path: str | Path, base_url: str, store_path: str | Path, **kwargs: Any) -> Path:
    """Write a config.yaml that points every platform at the fake; export fake_env() before loading it."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "# complaint-monitor config for the loopback fake platforms (dummy credentials: see fake_env())\n"
    out.write_text(text + yaml.safe_dump(fake_config_data(base_url, store_path, **kwargs), sort_keys=False))
    return out
