"""YouTube Data API v3 over httpx: new videos (search.list), comments (commentThreads.list), reach (channels.list).

Cursor: {"published_after": ISO, "backfill"?: {"published_before": ISO, "newest": ISO},
         "videos": [[videoId, comment watermark ISO | null], ...]  (most recent first, at most watch_videos),
         "channels": {channelId: comment watermark ISO}}
Each poll may spend at most Query.budget quota units (the engine spreads the daily quota over the polls
left until midnight Pacific): search.list runs only when its cost fits, comment reads use what is left, and
a part that did not fit keeps its watermark so the next poll picks it up. The API key travels in the
x-goog-api-key header, never in a URL, so it cannot leak into logs or error messages.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors._common import as_int, query_words, skip, unexpected
from connectors.youtube.quota import next_pacific_midnight
from connectors.youtube.settings import YouTubeSettings
from monitor.connector import (
    AuthError,
    Batch,
    ConnectorError,
    Query,
    QuotaExhausted,
    RateLimited,
    TransientError,
    protect_secrets,
    retry_transient,
)
from monitor.models import Author, Engagement, Mention

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://www.googleapis.com/youtube/v3"
INITIAL_LOOKBACK = timedelta(days=7)


class _Transient(Exception):
    pass


class _Skip(Exception):
    """A per-target error (e.g. commentsDisabled): drop this target, keep the poll."""


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("time is not a string")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class _Calls:
    def __init__(self, budget: int | None) -> None:
        self.calls = [0]
        self.units = 0
        self.budget = budget

    def fits(self, cost: int) -> bool:
        return self.budget is None or self.units + cost <= self.budget


class YouTubeClient:
    """The walk itself; YouTubeConnector (the plug-in entry point) makes one on first use."""

    def __init__(self, settings: YouTubeSettings) -> None:
        self.settings = settings
        protect_secrets(settings.secret("api_key"))
        self.cfg = settings
        self.http = httpx.Client(
            base_url=(settings.base_url or DEFAULT_BASE) + "/",
            timeout=settings.timeout.total_seconds(),
            headers={"x-goog-api-key": settings.secret("api_key")},
        )

    def fetch(self, query: Query, cursor: dict[str, Any] | None, now: datetime) -> Batch:
        cursor = dict(cursor or {})
        acct = _Calls(query.budget)
        skipped = [0]
        found: dict[str, Mention] = {}
        own = query.own_handles
        new_cursor: dict[str, Any] = {}
        try:
            videos, search_state, search_done = self._search(query, cursor, now, acct, skipped)
            new_cursor.update(search_state)
            for v in videos:
                if v.author.id.lower() not in own:
                    found.setdefault(v.id, v)
            known = {vid: mark for vid, mark in cursor.get("videos") or []}
            # videos found again (search overlap) keep their comment watermark
            watched = [[v.id, known.get(v.id)] for v in videos] + list(cursor.get("videos") or [])
            seen_ids: set[str] = set()
            watch: list[list[Any]] = []
            for vid, mark in watched:
                if vid not in seen_ids:
                    seen_ids.add(vid)
                    watch.append([vid, mark])
            # every newly found video is read once in full; after that only the most recent ones are re-read
            limit = max(len(videos), self.cfg.watch_videos)
            watch = [w for n, w in enumerate(watch) if n < limit or w[1] is None]
            targets: list[tuple[str, str, str | None]] = [("videoId", vid, mark) for vid, mark in watch]
            channels = dict(cursor.get("channels") or {})
            for ch in query.handles:
                if ch.startswith("UC"):  # a channel id: watch comments on all of the brand's videos
                    targets.append(("allThreadsRelatedToChannelId", ch, channels.get(ch)))
            done = search_done
            new_videos: list[list[Any]] = []
            new_channels: dict[str, str] = {}
            stop: ConnectorError | None = None
            for field, target, mark in targets:
                comments: list[Mention] = []
                new_mark, ok = mark, False
                if stop is None:
                    try:
                        comments, new_mark, ok = self._comments(query, field, target, mark, now, acct, skipped)
                    except (RateLimited, QuotaExhausted, _Transient, httpx.TransportError) as exc:
                        stop = _as_error(exc, acct)  # keep what was read; the untouched targets keep their marks
                done = done and ok
                for c in comments:
                    if c.author.id.lower() not in own:
                        found.setdefault(c.id, c)
                if field == "videoId":
                    if new_mark != "disabled":
                        new_videos.append([target, new_mark])
                else:
                    new_channels[target] = new_mark or ""
            # keep the most recent videos, and any video whose comments were never read in full (an interrupted poll)
            keep = self.cfg.watch_videos
            new_cursor["videos"] = [v for n, v in enumerate(new_videos) if n < keep or v[1] is None]
            new_cursor["channels"] = new_channels
            mentions, reach, reach_stop = self._with_reach(list(found.values()), query, acct, now, lookups=stop is None)
            stop = stop or reach_stop
        except httpx.TransportError as exc:
            raise TransientError(f"youtube: {type(exc).__name__} after retries", calls_used=acct.calls[0]) from None
        except _Transient as exc:
            raise TransientError(f"youtube: {exc}", calls_used=acct.calls[0]) from None
        except (QuotaExhausted, AuthError, RateLimited) as exc:
            exc.calls_used, exc.units_used = acct.calls[0], acct.units
            raise
        except Exception as exc:  # a response shape nobody foresaw: a fault of this poll, not a crash
            raise unexpected("youtube", exc, acct.calls[0]) from None
        if stop is not None:
            stop.calls_used, stop.units_used = acct.calls[0], acct.units
        return Batch(
            mentions,
            new_cursor,
            acct.calls[0],
            skipped[0],
            units_used=acct.units,
            reach=reach,
            complete=done,
            interrupted=stop,
        )

    # --- HTTP ---------------------------------------------------------------------------------

    def _call(self, path: str, params: dict[str, Any], cost: int, acct: _Calls, now: datetime) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            acct.units += cost  # every request is charged, failed ones too
            resp = self.http.get(path, params=params)
            if resp.status_code >= 500:
                raise _Transient(f"HTTP {resp.status_code}")
            if resp.status_code != 200:
                self._raise_error(resp, now)
            try:
                body = resp.json()
            except ValueError:
                raise _Transient("malformed JSON body") from None
            if not isinstance(body, dict):
                raise _Transient("unexpected body")
            return body

        return retry_transient(self.settings, once, (_Transient, httpx.TransportError), acct.calls)

    def _raise_error(self, resp: httpx.Response, now: datetime) -> None:
        try:
            err = resp.json().get("error") or {}
        except (ValueError, AttributeError):
            err = {}
        reasons = {e.get("reason") for e in err.get("errors") or [] if isinstance(e, dict)}
        message = str(err.get("message") or "")
        if "quotaExceeded" in reasons or "dailyLimitExceeded" in reasons:
            until = next_pacific_midnight(now)
            raise QuotaExhausted(f"youtube: daily quota exceeded; paused until {_iso(until)}", until=until)
        if reasons & {"rateLimitExceeded", "userRateLimitExceeded"} or resp.status_code == 429:
            raise RateLimited("youtube: rate limited", until=now + self.cfg.rate_limit_backoff)
        if resp.status_code in (401, 403) and reasons & {"commentsDisabled", "forbidden", "videoNotFound"}:
            raise _Skip(next(iter(reasons)))
        if resp.status_code == 404:
            raise _Skip("notFound")
        if resp.status_code in (401, 403) or "API key not valid" in message or "keyInvalid" in reasons:
            raise AuthError(f"youtube: API key rejected ({resp.status_code}); check the key and its API restrictions")
        raise _Transient(f"HTTP {resp.status_code}")

    # --- search.list --------------------------------------------------------------------------

    def _search(
        self, query: Query, cursor: dict[str, Any], now: datetime, acct: _Calls, skipped: list[int]
    ) -> tuple[list[Mention], dict[str, Any], bool]:
        after = _parse(cursor["published_after"]) if cursor.get("published_after") else now - INITIAL_LOOKBACK
        backfill = cursor.get("backfill")
        state: dict[str, Any] = {"published_after": _iso(after)}
        if backfill:
            state["backfill"] = backfill
        if not acct.fits(self.cfg.search_cost):
            return [], state, False
        params: dict[str, Any] = {
            "part": "snippet",
            "q": query.text,
            "type": "video",
            "order": "date",
            "maxResults": 50,
            "publishedAfter": _iso(after - self.cfg.search_overlap),
        }
        if backfill:
            params["publishedBefore"] = backfill["published_before"]
        videos: list[Mention] = []
        newest: datetime | None = _parse(backfill["newest"]) if backfill else None
        oldest: datetime | None = None
        token: str | None = None
        complete = False
        for _ in range(self.settings.max_pages):
            if not acct.fits(self.cfg.search_cost):
                break
            body = self._call(
                "search", {**params, **({"pageToken": token} if token else {})}, self.cfg.search_cost, acct, now
            )
            for item in _items(body):
                m = self._video(item, query, skipped)
                if m is None:
                    continue
                videos.append(m)
                newest = max(newest or m.created_at, m.created_at)
                oldest = min(oldest or m.created_at, m.created_at)
            token = _token(body.get("nextPageToken"))
            if not token:
                complete = True
                break
        if complete:
            return videos, {"published_after": _iso(max(newest or after, after))}, True
        if oldest is None:
            return videos, state, False
        return (
            videos,
            {
                "published_after": _iso(after),
                "backfill": {"published_before": _iso(oldest + timedelta(seconds=1)), "newest": _iso(newest or oldest)},
            },
            False,
        )

    def _video(self, item: Any, query: Query, skipped: list[int]) -> Mention | None:
        try:
            vid = item["id"]["videoId"]
            sn = item["snippet"]
            if not isinstance(vid, str) or not vid:
                raise ValueError("no videoId")
            title, desc = sn["title"], sn.get("description") or ""
            if not isinstance(title, str):
                raise ValueError("title is not a string")
            text = title if not desc or desc == title else f"{title}\n\n{desc}"
            return Mention(
                platform="youtube",
                id=vid,
                url=f"https://www.youtube.com/watch?v={vid}",
                text=text,
                created_at=_parse(sn["publishedAt"]),
                author=Author(id=str(sn["channelId"]), handle=str(sn.get("channelTitle") or sn["channelId"])),
                brand=query.brand,
                query=query.text,
                kind="video",
                raw=item,
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            skip("youtube", item, exc, skipped)
            return None

    # --- commentThreads.list ------------------------------------------------------------------

    def _comments(
        self,
        query: Query,
        field: str,
        target: str,
        mark: str | None,
        now: datetime,
        acct: _Calls,
        skipped: list[int],
    ) -> tuple[list[Mention], str | None, bool]:
        """Comments newer than the target's watermark. Returns them, the new watermark, and whether it finished."""
        watermark = _parse(mark) if mark else None
        params = {
            "part": "snippet",
            field: target,
            "searchTerms": " ".join(query_words(query.text)) or query.text,
            "order": "time",
            "maxResults": 100,
            "textFormat": "plainText",
        }
        out: list[Mention] = []
        newest = watermark
        token: str | None = None
        for _ in range(self.settings.max_pages):
            if not acct.fits(1):
                return out, mark, False
            try:
                body = self._call("commentThreads", {**params, **({"pageToken": token} if token else {})}, 1, acct, now)
            except _Skip as exc:
                log.info("youtube: comments of %s unavailable (%s)", target, exc)
                return out, "disabled" if field == "videoId" else mark, True
            reached = False
            for item in _items(body):
                m = self._comment(item, query, skipped)
                if m is None:
                    continue
                if watermark is not None and m.created_at < watermark:
                    reached = True
                    break
                out.append(m)
                newest = max(newest or m.created_at, m.created_at)
            token = _token(body.get("nextPageToken"))
            if reached or not token:
                return out, _iso(newest) if newest else _iso(now), True
        return out, mark, False

    def _comment(self, item: Any, query: Query, skipped: list[int]) -> Mention | None:
        try:
            top = item["snippet"]["topLevelComment"]
            sn = top["snippet"]
            cid = str(top.get("id") or item["id"])
            text = sn.get("textOriginal") or sn["textDisplay"]
            if not isinstance(text, str) or not text:
                raise ValueError("no text")
            video = str(sn.get("videoId") or item["snippet"].get("videoId") or "")
            author_id = str((sn.get("authorChannelId") or {}).get("value") or "")
            if not author_id:
                raise ValueError("no author channel")
            return Mention(
                platform="youtube",
                id=cid,
                url=f"https://www.youtube.com/watch?v={video}&lc={cid}",
                text=text,
                created_at=_parse(sn["publishedAt"]),
                author=Author(id=author_id, handle=str(sn.get("authorDisplayName") or author_id)),
                brand=query.brand,
                query=query.text,
                engagement=Engagement(
                    likes=as_int(sn.get("likeCount") or 0), replies=as_int(item["snippet"].get("totalReplyCount") or 0)
                ),
                kind="comment",
                raw=item,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            skip("youtube", item, exc, skipped)
            return None

    # --- channels.list ------------------------------------------------------------------------

    def _with_reach(
        self, mentions: list[Mention], query: Query, acct: _Calls, now: datetime, *, lookups: bool = True
    ) -> tuple[list[Mention], dict[str, int | None], ConnectorError | None]:
        """Subscriber counts, 50 channels per call; a fault or quota stop leaves the rest unknown this time."""
        ids = sorted({m.author.id for m in mentions})
        cached = query.reach_lookup(ids) if query.reach_lookup else {}
        todo = [i for i in ids if i not in cached] if lookups else []
        fetched: dict[str, int | None] = {}
        stop: ConnectorError | None = None
        for start in range(0, len(todo), 50):
            if not acct.fits(1):
                break  # no units left: followers stay unknown for now
            chunk = todo[start : start + 50]
            try:
                body = self._call(
                    "channels", {"part": "statistics", "id": ",".join(chunk), "maxResults": 50}, 1, acct, now
                )
            except (RateLimited, QuotaExhausted, _Transient, httpx.TransportError) as exc:
                stop = _as_error(exc, acct)
                break
            for item in _items(body):
                try:
                    stats = item["statistics"]
                    hidden = bool(stats.get("hiddenSubscriberCount"))
                    count = stats.get("subscriberCount")
                    fetched[str(item["id"])] = None if hidden or count is None else as_int(count)
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue
            for cid in chunk:
                fetched.setdefault(cid, None)
        reach = cached | fetched
        out = [replace(m, author=replace(m.author, followers=reach.get(m.author.id))) for m in mentions]
        return out, fetched, stop


def _token(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _items(body: dict[str, Any]) -> list[Any]:
    items = body.get("items")
    return items if isinstance(items, list) else []


def _as_error(exc: Exception, acct: _Calls) -> ConnectorError:
    if isinstance(exc, ConnectorError):
        return exc
    return TransientError(
        f"youtube: {exc if isinstance(exc, _Transient) else type(exc).__name__} after retries", calls_used=acct.calls[0]
    )
