"""Twitter/X recent search through tweepy.Client.

Cursor: {"since_id": S, "backfill"?: {"until_id": U, "newest_id": N}}. A walk goes newest-first from the
present down to S; the cursor moves to page 1's newest_id only after the whole walk. When max_pages stops
a walk early, "backfill" records where it stopped, and the next poll finishes (since_id=S, until_id=U)
before moving on to N, so nothing between S and N is ever skipped.
Recent search only reaches 7 days back: a since_id older than that is replaced by start_time.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy

from connectors._common import as_int, as_opt_int, skip, unexpected
from connectors.twitter.ids import snowflake_time
from connectors.twitter.settings import TwitterSettings
from monitor.connector import (
    AuthError,
    Batch,
    ConnectorError,
    Query,
    RateLimited,
    TransientError,
    protect_secrets,
    retry_transient,
)
from monitor.models import Author, Engagement, Mention

log = logging.getLogger(__name__)

TWITTER_HOST = "https://api.twitter.com"
WINDOW = timedelta(days=7)
WINDOW_MARGIN = timedelta(minutes=5)  # stay clear of the window's edge (clock skew, request latency)
TWEET_FIELDS = ["created_at", "lang", "public_metrics", "conversation_id", "referenced_tweets", "author_id"]
USER_FIELDS = ["public_metrics", "username", "verified"]


class _BadBody(Exception):
    """Valid JSON of the wrong shape (not an object, or `meta` not an object): a broken body."""


_TRANSIENT = (
    _BadBody,
    tweepy.TwitterServerError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    requests.JSONDecodeError,
)


class _RebasedSession(requests.Session):
    """tweepy hard-codes https://api.twitter.com; this session sends its requests to base_url instead."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        method = method.decode() if isinstance(method, bytes) else method
        url = url.decode() if isinstance(url, bytes) else url
        if self.base_url:
            url = url.replace(TWITTER_HOST, self.base_url, 1)
        return super().request(method, url, *args, **kwargs)


def _since_id_too_old(exc: tweepy.BadRequest) -> bool:
    return any("since_id" in str(m) for m in exc.api_messages) or "since_id" in str(exc)


class TwitterClient:
    """The walk itself; TwitterConnector (the plug-in entry point) makes one on first use."""

    def __init__(self, settings: TwitterSettings) -> None:
        self.settings = settings
        protect_secrets(settings.secret("bearer_token"))
        self.client = tweepy.Client(
            bearer_token=settings.secret("bearer_token"), return_type=dict, wait_on_rate_limit=False
        )
        self.client.session = _RebasedSession(settings.base_url, settings.timeout.total_seconds())

    def fetch(self, query: Query, cursor: dict[str, Any] | None, now: datetime) -> Batch:
        cursor = dict(cursor or {})
        since_id: str | None = cursor.get("since_id")
        backfill: dict[str, str] | None = cursor.get("backfill")
        until_id = backfill["until_id"] if backfill else None
        calls = [0]
        skipped = [0]
        pages: list[dict[str, Any]] = []
        try:
            complete = self._walk(query, since_id, until_id, now, calls, pages)
            stop: ConnectorError | None = None
        except Exception as exc:
            stop = _translate(exc, now, calls[0])
            if not pages or isinstance(stop, AuthError):
                raise stop from None
            complete = False  # keep the pages already read; the cursor's backfill resumes below them

        mentions: dict[str, Mention] = {}
        newest: str | None = None
        oldest: str | None = None
        for page in pages:
            meta = page.get("meta") or {}
            if newest is None and _is_id(meta.get("newest_id")):
                newest = str(meta["newest_id"])
            if _is_id(meta.get("oldest_id")):
                oldest = str(meta["oldest_id"])
            includes = page.get("includes")
            listed = includes.get("users") if isinstance(includes, dict) else None
            users = {str(u.get("id")): u for u in listed if isinstance(u, dict)} if isinstance(listed, list) else {}
            data = page.get("data")
            for item in data if isinstance(data, list) else []:
                mention = self._parse(item, users, query, skipped)
                if mention is not None and mention.author.handle.lower() not in query.own_handles:
                    mentions.setdefault(mention.id, mention)

        new_cursor = _next_cursor(since_id, backfill, newest, oldest, complete)
        return Batch(
            list(mentions.values()),
            new_cursor,
            calls[0],
            skipped[0],
            complete=complete,
            interrupted=stop,
        )

    def _walk(
        self,
        query: Query,
        since_id: str | None,
        until_id: str | None,
        now: datetime,
        calls: list[int],
        pages: list[dict[str, Any]],
    ) -> bool:
        """Append every page of the walk to `pages` (so a failure keeps those read); True if the walk finished."""
        window_start = {"start_time": now - WINDOW + WINDOW_MARGIN}
        until = {"until_id": until_id} if until_id else {}
        if since_id and snowflake_time(since_id) < now - WINDOW + WINDOW_MARGIN:
            log.info("twitter: stored since_id is older than the 7-day window; using start_time instead")
            since_id = None
        try:
            self._pages(query, ({"since_id": since_id} if since_id else window_start) | until, calls, pages)
        except tweepy.BadRequest as exc:
            if since_id is None or pages or not _since_id_too_old(exc):
                raise
            log.info("twitter: since_id rejected as too old; falling back to start_time")
            self._pages(query, window_start | until, calls, pages)
        return not pages or not (pages[-1].get("meta") or {}).get("next_token")

    def _pages(self, query: Query, bounds: dict[str, Any], calls: list[int], pages: list[dict[str, Any]]) -> None:
        """One paginated search within `bounds` (since_id or start_time, until_id), each page appended as read."""
        search = self._with_retries(self.client.search_recent_tweets, calls)
        kwargs: dict[str, Any] = {
            "max_results": 100,
            "expansions": ["author_id"],
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            **bounds,
        }
        for page in tweepy.Paginator(search, query.text, limit=self.settings.max_pages, **kwargs):
            pages.append(page)

    def _with_retries(self, method: Callable[..., Any], calls: list[int]) -> Callable[..., Any]:
        @functools.wraps(method)  # Paginator picks the token name from method.__name__
        def call(*args: Any, **kwargs: Any) -> Any:
            return retry_transient(self.settings, lambda: _checked(method(*args, **kwargs)), _TRANSIENT, calls)

        return call

    def _parse(self, item: Any, users: dict[str, Any], query: Query, skipped: list[int]) -> Mention | None:
        try:
            tweet_id = str(int(item["id"]))
            text = item["text"]
            if not isinstance(text, str):
                raise ValueError("text is not a string")
            created = datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00")).astimezone(UTC)
            author_id = str(item["author_id"])
            user = users.get(author_id) or {}
            metrics = item.get("public_metrics") or {}
            followers = (user.get("public_metrics") or {}).get("followers_count")
            handle = str(user.get("username") or author_id)
            return Mention(
                platform="twitter",
                id=tweet_id,
                url=f"https://x.com/{handle}/status/{tweet_id}",
                text=text,
                created_at=created,
                author=Author(
                    id=author_id,
                    handle=handle,
                    followers=as_opt_int(followers),
                    verified=bool(user.get("verified", False)),
                ),
                brand=query.brand,
                query=query.text,
                lang=item.get("lang"),
                engagement=Engagement(
                    likes=as_int(metrics.get("like_count", 0)),
                    reposts=as_int(metrics.get("retweet_count", 0)) + as_int(metrics.get("quote_count", 0)),
                    replies=as_int(metrics.get("reply_count", 0)),
                    views=as_opt_int(metrics.get("impression_count")),
                ),
                kind="post",
                raw=item,
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            skip("twitter", item, exc, skipped)
            return None


def _checked(response: Any) -> Any:
    """tweepy's Paginator needs a JSON object whose `meta` (if any) is an object; anything else is a broken body."""
    if not isinstance(response, dict) or not isinstance(response.get("meta", {}), dict):
        raise _BadBody(f"twitter: response is not a search result ({type(response).__name__})")
    return response


def _is_id(value: Any) -> bool:
    """A tweet id as the cursor needs it (junk here would poison every later poll)."""
    return isinstance(value, str | int) and not isinstance(value, bool) and str(value).isdigit()


def _translate(exc: Exception, now: datetime, calls: int) -> ConnectorError:
    """tweepy / requests errors -> connector errors (messages carry status codes, never credentials)."""
    if isinstance(exc, tweepy.TooManyRequests):
        reset = exc.reset_time or int(now.timestamp()) + 60
        return RateLimited(
            f"twitter: rate limited until reset {reset}", until=datetime.fromtimestamp(reset, UTC), calls_used=calls
        )
    if isinstance(exc, tweepy.Unauthorized | tweepy.Forbidden):
        return AuthError(
            f"twitter: credentials rejected ({exc.response.status_code}); check the bearer token", calls_used=calls
        )
    if isinstance(exc, tweepy.HTTPException):
        return TransientError(f"twitter: HTTP {exc.response.status_code}", calls_used=calls)
    if isinstance(exc, _TRANSIENT):
        return TransientError(f"twitter: {type(exc).__name__} after retries", calls_used=calls)
    return unexpected("twitter", exc, calls)


def _next_cursor(
    since_id: str | None, backfill: dict[str, str] | None, newest: str | None, oldest: str | None, complete: bool
) -> dict[str, Any] | None:
    if backfill:
        if complete:
            return {"since_id": backfill["newest_id"]}
        return {
            "since_id": since_id,
            "backfill": {"until_id": oldest or backfill["until_id"], "newest_id": backfill["newest_id"]},
        }
    if newest is None:
        return None  # nothing new: keep the stored cursor
    if complete:
        return {"since_id": newest}
    return {"since_id": since_id, "backfill": {"until_id": oldest or newest, "newest_id": newest}}
