"""Reddit through praw, read-only (client credentials).

Search has no since-cursor, so each stream (posts from search, comments from /r/{subs}/comments) walks
newest-first until it reaches the watermark (the newest created_utc stored so far) and then moves the
watermark. A walk cut short by max_pages leaves a "backfill" (the listing's `after` fullname) that the next
poll finishes first. Reach is the author's karma from /user/{name}/about, looked up at most once per
author per day: the engine passes the cached values in (Query.reach_lookup) and stores the new ones.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import praw
import prawcore

from connectors._common import as_int, query_words, skip, unexpected
from connectors.reddit.settings import RedditSettings
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

INITIAL_LOOKBACK = timedelta(days=1)


class _BadBody(Exception):
    """praw could not turn a response into objects (valid JSON of the wrong shape): a broken body."""


_TRANSIENT = (prawcore.ServerError, prawcore.RequestException, prawcore.BadJSON, _BadBody)
# A 401 on an API call means the access token expired: prawcore has dropped it, and the retry fetches a new one.
_RETRY = (*_TRANSIENT, prawcore.InvalidToken)


class _NoRetry:
    """prawcore retries 5xx itself after sleeping 0-4 s; we retry with tenacity instead (base.retry_transient)."""

    def sleep(self) -> None:
        return None

    def should_retry_on_failure(self) -> bool:
        return False

    def consume_available_retry(self) -> _NoRetry:
        return self


def _time_filter(age: timedelta) -> str:
    for name, span in (
        ("hour", timedelta(minutes=55)),
        ("day", timedelta(hours=23)),
        ("week", timedelta(days=6.5)),
        ("month", timedelta(days=29)),
        ("year", timedelta(days=360)),
    ):
        if age < span:
            return name
    return "all"


class RedditClient:
    """The walk itself; RedditConnector (the plug-in entry point) makes one on first use."""

    def __init__(self, settings: RedditSettings) -> None:
        self.settings = settings
        protect_secrets(settings.secret("client_id"), settings.secret("client_secret"))
        base = settings.base_url or None
        urls: dict[str, Any] = {"oauth_url": base, "reddit_url": base} if base else {}
        self.reddit = praw.Reddit(
            client_id=settings.secret("client_id"),
            client_secret=settings.secret("client_secret"),
            user_agent=settings.user_agent,
            check_for_updates=False,
            check_for_async=False,
            timeout=max(1, int(settings.timeout.total_seconds())),
            **urls,
        )
        for core in (getattr(self.reddit, "_read_only_core", None), getattr(self.reddit, "_core", None)):
            if core is not None and hasattr(core, "_retry_strategy_class"):
                core._retry_strategy_class = _NoRetry

    @property
    def subreddits(self) -> str:
        subs = self.settings.subreddits
        return "+".join(subs)

    @property
    def include_comments(self) -> bool:
        return self.settings.include_comments

    def fetch(self, query: Query, cursor: dict[str, Any] | None, now: datetime) -> Batch:
        cursor = dict(cursor or {})
        calls, skipped = [0], [0]
        found: dict[str, Mention] = {}
        new_cursor: dict[str, Any] = {}
        complete = True
        stop: Exception | None = None
        streams: list[tuple[str, str, dict[str, Any]]] = [
            (
                "posts",
                f"r/{self.subreddits}/search/",
                {"q": query.text, "sort": "new", "restrict_sr": True, "syntax": "lucene"},
            ),
        ]
        if self.include_comments:
            streams.append(("comments", f"r/{self.subreddits}/comments/", {}))
        words = query_words(query.text)
        try:
            for key, path, params in streams:
                state = cursor.get(key) or {}
                if stop is not None:  # an earlier stream was cut short: leave this one for the next poll
                    new_cursor[key], complete = state, False
                    continue
                items, state, done, stop = self._walk(path, params, state, now, calls)
                new_cursor[key] = state
                complete = complete and done
                for item in items:
                    m = self._parse(item, query, skipped)
                    if m is None or m.author.handle.lower() in query.own_handles:
                        continue
                    if key == "comments" and not any(w in m.text.lower() for w in words):
                        continue  # the comments listing is not a search: keep only those that mention the query
                    found.setdefault(m.id, m)
            # after a rate limit or fault, make no more calls: cached karma only, the rest stays unknown this time
            mentions, reach, reach_stop = self._with_reach(list(found.values()), query, calls, lookups=stop is None)
            stop = stop or reach_stop
        except Exception as exc:
            raise _translate(exc, now, calls[0]) from None
        err = _translate(stop, now, calls[0]) if stop is not None else None
        changed = new_cursor != {k: cursor.get(k) for k in new_cursor}
        return Batch(
            mentions,
            new_cursor if changed else None,
            calls[0],
            skipped[0],
            reach=reach,
            complete=complete,
            interrupted=err,
        )

    def _get(self, path: str, params: dict[str, Any], calls: list[int]) -> Any:
        def get() -> Any:
            try:
                return self.reddit.get(path, params=params)
            except (TypeError, KeyError, AttributeError, ValueError, IndexError) as exc:
                raise _BadBody(f"{type(exc).__name__} reading {path}") from exc

        return retry_transient(self.settings, get, _RETRY, calls)

    def _walk(
        self, path: str, params: dict[str, Any], state: dict[str, Any], now: datetime, calls: list[int]
    ) -> tuple[list[Any], dict[str, Any], bool, Exception | None]:
        """Newest-first walk of one listing down to the watermark.

        Returns the items, the stream's new state, whether the walk finished, and the error that cut it short
        after some pages (a failure before any page is raised).
        """
        watermark = float(state.get("after_utc") or (now - INITIAL_LOOKBACK).timestamp())
        backfill = state.get("backfill")
        after = backfill["after"] if backfill else None
        newest = float(backfill["newest_utc"]) if backfill else None
        age = now - datetime.fromtimestamp(watermark, UTC)
        base = {**params, "limit": 100, "t": _time_filter(age)}
        items: list[Any] = []
        reached = False
        stop: Exception | None = None
        for _ in range(self.settings.max_pages):
            try:
                listing = self._get(path, {**base, **({"after": after} if after else {})}, calls)
            except (prawcore.TooManyRequests, *_TRANSIENT) as exc:
                if not items:
                    raise
                stop = exc
                break
            children = list(getattr(listing, "children", []) or [])
            for child in children:
                created = _fields(child).get("created_utc")
                if isinstance(created, int | float) and math.isfinite(created):
                    if created < watermark:
                        reached = True
                        break
                    newest = max(newest or created, created)
                items.append(child)
            after = getattr(listing, "after", None)
            if reached or not after or not children:
                reached = True
                break
        if reached:
            return items, {"after_utc": newest if newest is not None else watermark}, True, None
        backfill = {"after": after, "newest_utc": newest or watermark}
        return items, {"after_utc": watermark, "backfill": backfill}, False, stop

    def _parse(self, item: Any, query: Query, skipped: list[int]) -> Mention | None:
        data = _fields(item)
        try:
            kind = "comment" if isinstance(item, praw.models.Comment) else "post"
            if not isinstance(item, praw.models.Submission | praw.models.Comment):
                raise ValueError(f"unexpected listing child {type(item).__name__}")
            ident = str(data["id"])
            created = data["created_utc"]
            if not isinstance(created, int | float) or not math.isfinite(created):
                raise ValueError("created_utc is not a number")
            text = (
                data["body"]
                if kind == "comment"
                else "\n\n".join(t for t in (data["title"], data.get("selftext") or "") if t)
            )
            if not isinstance(text, str) or not text:
                raise ValueError("no text")
            author_name = str(data.get("author") or "[deleted]")
            author_id = str(data.get("author_fullname") or f"name:{author_name}")
            score = as_int(data.get("score") or 0)
            return Mention(
                platform="reddit",
                id=f"{'t1' if kind == 'comment' else 't3'}_{ident}",
                url=f"https://www.reddit.com{data.get('permalink', '')}",
                text=text,
                created_at=datetime.fromtimestamp(float(created), UTC),
                author=Author(id=author_id, handle=author_name),
                brand=query.brand,
                query=query.text,
                engagement=Engagement(likes=max(score, 0), replies=as_int(data.get("num_comments") or 0)),
                kind=kind,
                raw=_raw(data),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            skip("reddit", data, exc, skipped)
            return None

    def _with_reach(
        self, mentions: list[Mention], query: Query, calls: list[int], *, lookups: bool = True
    ) -> tuple[list[Mention], dict[str, int | None], Exception | None]:
        """Fill author karma: from the engine's cache when fresh, else one /user/{name}/about call per author.

        A rate limit or persistent fault stops the lookups; those authors keep unknown reach this time.
        """
        ids = sorted({m.author.id for m in mentions})
        cached = query.reach_lookup(ids) if query.reach_lookup else {}
        fetched: dict[str, int | None] = {}
        stop: Exception | None = None
        for m in mentions:
            aid = m.author.id
            if not lookups or aid in cached or aid in fetched or m.author.handle == "[deleted]":
                continue
            try:
                fetched[aid] = self._karma(m.author.handle, calls)
            except (prawcore.TooManyRequests, *_TRANSIENT) as exc:
                stop = exc
                break
        reach = cached | fetched
        out = [replace(m, author=replace(m.author, followers=reach.get(m.author.id))) for m in mentions]
        return out, fetched, stop

    def _karma(self, name: str, calls: list[int]) -> int | None:
        try:
            user = self._get(f"user/{name}/about/", {}, calls)
        except (prawcore.NotFound, prawcore.Forbidden):
            return None  # suspended or deleted accounts have no public karma
        data = _fields(user)
        total = data.get("total_karma")
        if not isinstance(total, int):
            parts = [data.get("link_karma"), data.get("comment_karma")]
            total = sum(p for p in parts if isinstance(p, int)) if any(isinstance(p, int) for p in parts) else None
        try:
            return as_int(total) if total is not None else None
        except ValueError:
            return None


def _fields(thing: Any) -> dict[str, Any]:
    """The attributes of a praw object; a listing child that is not one (a junk payload) has none."""
    if isinstance(thing, dict):
        return thing
    attrs = getattr(thing, "__dict__", None)
    return attrs if isinstance(attrs, dict) else {}


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    """The item's JSON fields (praw turns author/subreddit into objects: keep their names)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k.startswith("_"):
            continue
        out[k] = v if isinstance(v, str | int | float | bool | type(None) | list | dict) else str(v)
    return out


def _translate(exc: Exception, now: datetime, calls: int) -> ConnectorError:
    """praw / prawcore errors -> connector errors (messages never include credentials)."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, prawcore.TooManyRequests):
        wait = float(exc.retry_after) if exc.retry_after else 60.0
        return RateLimited(
            f"reddit: rate limited, retry after {wait:.0f}s", until=now + timedelta(seconds=wait), calls_used=calls
        )
    auth = (prawcore.OAuthException, prawcore.InvalidToken, prawcore.Forbidden, prawcore.InsufficientScope)
    if isinstance(exc, auth) or (isinstance(exc, prawcore.ResponseException) and exc.response.status_code == 401):
        return AuthError(
            f"reddit: credentials rejected ({type(exc).__name__}); check client id and secret", calls_used=calls
        )
    if isinstance(exc, _TRANSIENT):
        return TransientError(f"reddit: {type(exc).__name__} after retries", calls_used=calls)
    if isinstance(exc, prawcore.ResponseException):
        return TransientError(f"reddit: HTTP {exc.response.status_code}", calls_used=calls)
    return unexpected("reddit", exc, calls)
