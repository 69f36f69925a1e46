"""One loopback HTTP server that speaks the Twitter v2 recent search, Reddit OAuth and YouTube Data v3 APIs.

Response shapes follow the recorded real bodies in shared/fixtures (see docs/polling.md). Only the
request parameters the connectors use are implemented, with the platforms' semantics: since_id /
until_id / next_token, Reddit listings with `after`, YouTube pageToken and publishedAfter.

Faults (at `fault_rate`, or forced with `inject`) are: 429 storms with reset / retry-after headers, 5xx,
slow responses, malformed JSON, truncated bodies, a malformed item inside a page, an item repeated
from the previous page, and an expired Reddit access token. Credentials are checked, so a wrong one
gives the platform's auth error.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from connectors.fake.data import BRAND_VIDEO, OWN, PLATFORMS, TWEPOCH_MS, FakeAuthor, FakeItem, Generator

# "expired_token": Reddit revokes the access token in use (401 invalid_token); a no-op on the other platforms,
# whose app credentials do not expire.
FAULTS = ("429", "5xx", "slow", "malformed_json", "truncated", "bad_item", "repeat", "expired_token")
PACIFIC = ZoneInfo("America/Los_Angeles")

# Dummy credentials the fake accepts; write_fake_config exports them under these variable names.
FAKE_CREDENTIALS = {
    "TWITTER_BEARER_TOKEN": "fake-twitter-bearer-0b7c1d",
    "REDDIT_CLIENT_ID": "fake-reddit-id-5e2a",
    "REDDIT_CLIENT_SECRET": "fake-reddit-secret-9f41c3",
    "YOUTUBE_API_KEY": "fake-youtube-key-77d2e0",
}
_REDDIT_TOKEN = "fake-reddit-access-token-1a2b"


class Response:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def _ts(dt: datetime, ms: bool = False) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{dt.microsecond // 1000:03d}Z" if ms else "Z")


def _parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _untoken(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


def query_term(query: str) -> str:
    """The search term the fake matches: the first plain word of the query (operators dropped)."""
    for word in query.split():
        if word.startswith("-") or ":" in word:
            continue
        return word.strip("\"'@#").lower()
    return ""


class FakeState:
    """Everything the request handlers share; guarded by one lock."""

    def __init__(
        self,
        gen: Generator,
        *,
        seed: int,
        fault_rate: float,
        clock: Callable[[], datetime],
        youtube_quota: int,
        latency: float,
        retry_after: int = 2,
    ) -> None:
        self.gen = gen
        self.fault_rate = fault_rate
        self.clock = clock
        self.youtube_quota = youtube_quota
        self.latency = latency
        self.retry_after = retry_after  # what a 429 tells the client to wait (s); the storm itself lasts 2 s
        self.lock = threading.Lock()
        self.rng = random.Random(f"faults:{seed}")
        self.forced: dict[str, deque[str]] = defaultdict(deque)
        self.limited_until: dict[str, float] = {}
        self.requests: dict[str, int] = defaultdict(int)
        self.quota_used: dict[str, int] = defaultdict(int)  # Pacific date -> units
        self.authors: dict[tuple[str, str], FakeAuthor] = {}  # (platform, id or handle) -> author
        self.reddit_tokens: set[str] = set()  # access tokens issued and not yet expired
        self.tokens_issued = 0
        self.faults_served: dict[str, int] = defaultdict(int)  # random faults by kind, for test tallies

    def pick_fault(self, platform: str) -> str | None:
        with self.lock:
            self.requests[platform] += 1
            if self.forced[platform]:
                return self.forced[platform].popleft()
            if time.time() < self.limited_until.get(platform, 0.0):
                return "429"
            if self.fault_rate and self.rng.random() < self.fault_rate:
                fault = self.rng.choice(FAULTS)
                self.faults_served[fault] += 1
                return fault
            return None

    def published(self, platform: str) -> list[FakeItem]:
        items = self.gen.published(platform, self.clock())
        with self.lock:
            for it in items:
                if not it.own:
                    self.authors[(platform, it.author.id)] = it.author
                    self.authors[(platform, it.author.handle.lower())] = it.author
        return items

    def charge(self, units: int) -> bool:
        """Spend YouTube quota; False when the day's quota is exhausted."""
        day = self.clock().astimezone(PACIFIC).date().isoformat()
        with self.lock:
            if self.quota_used[day] + units > self.youtube_quota:
                return False
            self.quota_used[day] += units
            return True


# --- Twitter ------------------------------------------------------------------------------------


def _snowflake_time(tweet_id: int) -> datetime:
    return datetime.fromtimestamp(((tweet_id >> 22) + TWEPOCH_MS) / 1000, UTC)


def _twitter_user(a: FakeAuthor) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.handle.replace("_", " ").title(),
        "username": a.handle,
        "verified": a.verified,
        "public_metrics": {
            "followers_count": a.followers,
            "following_count": a.followers // 7 + 3,
            "tweet_count": a.karma + 10,
            "listed_count": a.followers // 1000,
        },
    }


def _tweet(it: FakeItem) -> dict[str, Any]:
    return {
        "id": it.id,
        "text": it.text,
        "author_id": it.author.id,
        "created_at": _ts(it.created, ms=True),
        "edit_history_tweet_ids": [it.id],
        "lang": it.lang,
        "conversation_id": it.id,
        "public_metrics": {
            "retweet_count": it.reposts,
            "reply_count": it.replies,
            "like_count": it.likes,
            "quote_count": 0,
            "impression_count": it.likes * 40 + 17,
        },
    }


def twitter_search(state: FakeState, params: dict[str, str], headers: dict[str, str], fault: str | None) -> Response:
    if headers.get("authorization") != f"Bearer {FAKE_CREDENTIALS['TWITTER_BEARER_TOKEN']}":
        return Response(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
    now = state.clock()
    window_start = now - timedelta(days=7)
    if "since_id" in params:
        since = int(params["since_id"])
        if _snowflake_time(since) < window_start:
            smallest = ((int(window_start.timestamp() * 1000) - TWEPOCH_MS) << 22) + 1
            msg = (
                f"'since_id' must be a tweet id created after {window_start:%Y-%m-%dT%H:%MZ}. "
                f"Please use a 'since_id' that is larger than {smallest}"
            )
            return Response(
                400,
                {
                    "errors": [{"parameters": {"since_id": [params["since_id"]]}, "message": msg}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/problems/invalid-request",
                },
            )
    else:
        since = 0
    until = int(params.get("until_id", "0")) or None
    start_time = _parse_ts(params["start_time"]) if "start_time" in params else window_start
    start_time = max(start_time, window_start)
    max_results = max(10, min(100, int(params.get("max_results", "10"))))
    term = query_term(params.get("query", ""))
    if "next_token" in params:
        below = int(_untoken(params["next_token"]))
        until = min(until, below) if until else below
    items = [
        it
        for it in state.published("twitter")
        if int(it.id) > since
        and (until is None or int(it.id) < until)
        and it.created >= start_time
        and term
        and term in it.text.lower()
    ]
    items.sort(key=lambda it: int(it.id), reverse=True)
    page, rest = items[:max_results], items[max_results:]
    data = [_tweet(it) for it in page]
    if fault == "repeat" and "next_token" in params:
        above = [it for it in state.published("twitter") if int(it.id) == below]
        data[:0] = [_tweet(it) for it in above]
    if fault == "bad_item" and data:
        data.insert(len(data) // 2, {"id": "not-a-number", "text": None, "created_at": "yesterday"})
    if not data:
        return Response(200, {"meta": {"result_count": 0}})
    users = {it.author.id: _twitter_user(it.author) for it in page}
    meta: dict[str, Any] = {
        "newest_id": page[0].id if page else data[0]["id"],
        "oldest_id": page[-1].id if page else data[-1]["id"],
        "result_count": len(data),
    }
    if rest:
        meta["next_token"] = _token(page[-1].id)
    return Response(200, {"data": data, "includes": {"users": list(users.values())}, "meta": meta})


def _twitter_rate_headers(state: FakeState) -> dict[str, str]:
    reset = (int(time.time()) // 900 + 1) * 900
    used = state.requests["twitter"] % 450
    return {"x-rate-limit-limit": "450", "x-rate-limit-remaining": str(450 - used), "x-rate-limit-reset": str(reset)}


# --- Reddit -------------------------------------------------------------------------------------


def _reddit_thing(it: FakeItem, subscribers: int) -> dict[str, Any]:
    a = it.author
    common = {
        "id": it.id,
        "author": a.handle,
        "author_fullname": a.id,
        "subreddit": it.subreddit,
        "subreddit_name_prefixed": f"r/{it.subreddit}",
        "subreddit_id": f"t5_{it.subreddit.lower()}",
        "score": it.likes,
        "ups": it.likes,
        "downs": 0,
        "created_utc": it.created.timestamp(),
        "created": it.created.timestamp(),
        "archived": False,
        "locked": False,
        "stickied": False,
    }
    if it.kind == "comment":
        link = f"t3_{it.id[::-1]}"
        return {
            "kind": "t1",
            "data": common
            | {
                "name": f"t1_{it.id}",
                "body": it.text,
                "link_id": link,
                "parent_id": link,
                "permalink": f"/r/{it.subreddit}/comments/{it.id[::-1]}/x/{it.id}/",
            },
        }
    title, _, rest = it.text.partition(". ")
    return {
        "kind": "t3",
        "data": common
        | {
            "name": f"t3_{it.id}",
            "title": title,
            "selftext": rest,
            "num_comments": it.replies,
            "subreddit_subscribers": subscribers,
            "is_self": True,
            "over_18": False,
            "domain": f"self.{it.subreddit}",
            "permalink": f"/r/{it.subreddit}/comments/{it.id}/post/",
            "url": f"https://www.reddit.com/r/{it.subreddit}/comments/{it.id}/post/",
        },
    }


def _listing(children: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(children),
            "modhash": "",
            "geo_filter": "",
            "children": children,
            "before": None,
        },
    }


_TIME_FILTER = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=31),
    "year": timedelta(days=366),
}


def reddit_listing(state: FakeState, sub: str, kind: str, params: dict[str, str], fault: str | None) -> Response:
    subs = {s.lower() for s in sub.split("+")}
    now = state.clock()
    oldest = now - _TIME_FILTER.get(params.get("t", "all"), timedelta(days=3650))
    term = query_term(params.get("q", "")) if kind == "post" else ""
    items = [
        it
        for it in state.published("reddit")
        if it.kind == kind
        and ("all" in subs or it.subreddit.lower() in subs)
        and it.created >= oldest
        and (not term or term in it.text.lower())
    ]
    items.sort(key=lambda it: it.index, reverse=True)
    after = params.get("after")
    if after:
        cut = next((n for n, it in enumerate(items) if after.endswith("_" + it.id)), None)
        items = items[cut + 1 :] if cut is not None else []
    limit = max(1, min(100, int(params.get("limit", "25"))))
    page = items[:limit]
    subscribers = 1_000_000 if "all" in subs else 50_000
    children = [_reddit_thing(it, subscribers) for it in page]
    if fault == "repeat" and after:
        prev = [it for it in state.published("reddit") if after.endswith("_" + it.id)]
        children[:0] = [_reddit_thing(it, subscribers) for it in prev]
    if fault == "bad_item" and children:
        children.insert(
            len(children) // 2,
            {"kind": "t3", "data": {"id": "zzbad", "name": "t3_zzbad", "created_utc": "soon", "title": None}},
        )
    next_after = f"t{'1' if kind == 'comment' else '3'}_{page[-1].id}" if len(items) > limit else None
    return Response(200, _listing(children, next_after))


def reddit_about(state: FakeState, name: str) -> Response:
    state.published("reddit")
    a = state.authors.get(("reddit", name.lower()))
    if a is None:
        return Response(404, {"message": "Not Found", "error": 404})
    return Response(
        200,
        {
            "kind": "t2",
            "data": {
                "name": a.handle,
                "id": a.id.removeprefix("t2_"),
                "link_karma": a.karma // 3,
                "comment_karma": a.karma - a.karma // 3,
                "total_karma": a.karma,
                "awardee_karma": 0,
                "awarder_karma": 0,
                "created_utc": 1_500_000_000.0,
                "is_gold": False,
                "is_mod": False,
                "verified": a.verified,
                "has_verified_email": True,
            },
        },
    )


def _reddit_rate_headers() -> dict[str, str]:
    # used=1 keeps prawcore's pacing formula at zero sleep (see docs/polling.md); reset stays below 600.
    return {
        "x-ratelimit-remaining": "599.0",
        "x-ratelimit-used": "1",
        "x-ratelimit-reset": str(599 - int(time.time()) % 599),
    }


# --- YouTube ------------------------------------------------------------------------------------


def _yt_error(code: int, reason: str, message: str, domain: str = "youtube.quota") -> Response:
    return Response(
        code,
        {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
    )


def _quota_exceeded() -> Response:
    return _yt_error(
        403,
        "quotaExceeded",
        "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    )


def _page(items: list[FakeItem], params: dict[str, str], limit: int) -> tuple[list[FakeItem], str | None, int | None]:
    below: int | None = None
    if params.get("pageToken"):
        below = int(_untoken(params["pageToken"]))
        items = [it for it in items if it.index < below]
    page = items[:limit]
    return page, (_token(str(page[-1].index)) if len(items) > limit else None), below


def youtube_api(
    state: FakeState, path: str, params: dict[str, str], headers: dict[str, str], fault: str | None
) -> Response:
    key = headers.get("x-goog-api-key") or params.get("key")
    if key != FAKE_CREDENTIALS["YOUTUBE_API_KEY"]:
        return _yt_error(400, "badRequest", "API key not valid. Please pass a valid API key.", "global")
    cost = 100 if path == "search" else 1
    if fault == "quota" or not state.charge(cost):
        return _quota_exceeded()
    if fault == "429":
        return _yt_error(
            403, "rateLimitExceeded", "The request cannot be completed: rate limit exceeded.", "youtube.quota"
        )
    published = state.published("youtube")
    token: str | None = None
    if path == "search":
        term = query_term(params.get("q", ""))
        after = _parse_ts(params["publishedAfter"]) if params.get("publishedAfter") else None
        before = _parse_ts(params["publishedBefore"]) if params.get("publishedBefore") else None
        items = [
            it
            for it in published
            if it.kind == "video"
            and term
            and term in it.text.lower()
            and (after is None or it.created > after)
            and (before is None or it.created < before)
        ]
        items.sort(key=lambda it: it.index, reverse=True)
        page, token, _ = _page(items, params, max(0, min(50, int(params.get("maxResults", "5")))))
        out = [
            {
                "kind": "youtube#searchResult",
                "etag": f"e{it.index}",
                "id": {"kind": "youtube#video", "videoId": it.id},
                "snippet": {
                    "publishedAt": _ts(it.created),
                    "channelId": it.author.id,
                    "title": it.text,
                    "description": it.text,
                    "channelTitle": it.author.handle,
                    "liveBroadcastContent": "none",
                },
            }
            for it in page
        ]
        body: dict[str, Any] = {
            "kind": "youtube#searchListResponse",
            "etag": "fake",
            "regionCode": "US",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(page)},
            "items": out,
        }
    elif path == "commentThreads":
        if params.get("videoId"):
            video = params["videoId"]
        elif params.get("allThreadsRelatedToChannelId") == OWN["youtube"][1]:
            video = BRAND_VIDEO
        else:
            video = "-"
        term = (params.get("searchTerms") or "").lower()
        items = [
            it
            for it in published
            if it.kind == "comment" and it.video_id == video and (not term or term in it.text.lower())
        ]
        items.sort(key=lambda it: it.index, reverse=True)
        page, token, _ = _page(items, params, max(1, min(100, int(params.get("maxResults", "20")))))
        out = [_comment_thread(it) for it in page]
        if fault == "bad_item":
            out.insert(len(out) // 2, {"kind": "youtube#commentThread", "id": "UgBAD", "snippet": {"videoId": video}})
        body = {
            "kind": "youtube#commentThreadListResponse",
            "etag": "fake",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(page)},
            "items": out,
        }
    elif path == "channels":
        ids = [i for i in params.get("id", "").split(",") if i][:50]
        chans = []
        for cid in ids:
            a = state.authors.get(("youtube", cid))
            if a is None:
                continue
            stats: dict[str, Any] = {
                "viewCount": str(a.karma * 10),
                "hiddenSubscriberCount": a.hidden,
                "videoCount": str(a.karma % 300),
            }
            if not a.hidden:
                stats["subscriberCount"] = str(a.followers)
            chans.append({"kind": "youtube#channel", "etag": f"c{cid}", "id": cid, "statistics": stats})
        body = {
            "kind": "youtube#channelListResponse",
            "etag": "fake",
            "pageInfo": {"totalResults": len(chans), "resultsPerPage": 50},
            "items": chans,
        }
    else:
        return _yt_error(404, "notFound", "Not Found", "global")
    if token:
        body["nextPageToken"] = token
    return Response(200, body)


def _comment_thread(it: FakeItem) -> dict[str, Any]:
    a = it.author
    snippet = {
        "authorDisplayName": a.handle,
        "authorChannelUrl": f"http://www.youtube.com/channel/{a.id}",
        "authorChannelId": {"value": a.id},
        "videoId": it.video_id,
        "textDisplay": it.text,
        "textOriginal": it.text,
        "canRate": True,
        "viewerRating": "none",
        "likeCount": it.likes,
        "publishedAt": _ts(it.created),
        "updatedAt": _ts(it.created),
    }
    return {
        "kind": "youtube#commentThread",
        "etag": f"t{it.index}",
        "id": it.id,
        "snippet": {
            "videoId": it.video_id,
            "channelId": OWN["youtube"][1] if it.video_id == BRAND_VIDEO else "",
            "topLevelComment": {"kind": "youtube#comment", "etag": f"c{it.index}", "id": it.id, "snippet": snippet},
            "canReply": True,
            "totalReplyCount": it.replies,
            "isPublic": True,
        },
    }


# --- HTTP plumbing ------------------------------------------------------------------------------


def _platform_of(path: str) -> str | None:
    if path.startswith("/2/"):
        return "twitter"
    if path.startswith(("/r/", "/user/", "/api/")):
        return "reddit"
    if path.startswith("/youtube/v3/"):
        return "youtube"
    return None


def _fault_response(platform: str, fault: str, retry_after: int = 2) -> Response | None:
    if fault == "429":
        reset = int(time.time()) + retry_after
        if platform == "twitter":
            return Response(
                429,
                {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
                {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
            )
        if platform == "reddit":
            return Response(429, {"message": "Too Many Requests", "error": 429}, {"retry-after": str(retry_after)})
        return None  # YouTube signals rate limits as a 403 in the handler
    if fault == "5xx":
        return Response(503, {"title": "Service Unavailable", "status": 503, "detail": "Service Unavailable"})
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: request lines would carry query strings

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        path = unquote(url.path)
        platform = _platform_of(path)
        if state.latency:
            time.sleep(state.latency)
        if platform is None:
            self._send(Response(404, {"error": "not found"}), None)
            return
        if path == "/api/v1/access_token":
            self._send(self._reddit_token(headers, form), None)
            return
        fault = state.pick_fault(platform)
        if fault == "429" and platform != "youtube":
            with state.lock:
                # the requests a storm rejects don't prolong it
                if time.time() >= state.limited_until.get(platform, 0.0):
                    state.limited_until[platform] = time.time() + 2
        early = _fault_response(platform, fault, state.retry_after) if fault else None
        if early is not None:
            self._send(early, None)
            return
        if fault == "slow":
            time.sleep(state.rng.uniform(0.2, 1.0))
        self._send(self._route(platform, path, params, headers, fault), fault, platform)

    def _reddit_token(self, headers: dict[str, str], form: dict[str, list[str]]) -> Response:
        expected = base64.b64encode(
            f"{FAKE_CREDENTIALS['REDDIT_CLIENT_ID']}:{FAKE_CREDENTIALS['REDDIT_CLIENT_SECRET']}".encode()
        ).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return Response(401, {"message": "Unauthorized", "error": 401})
        if form.get("grant_type") != ["client_credentials"]:
            return Response(400, {"error": "unsupported_grant_type"})
        state = self.server.state
        with state.lock:
            state.tokens_issued += 1
            token = f"{_REDDIT_TOKEN}-{state.tokens_issued}"
            state.reddit_tokens.add(token)
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"})

    def _route(
        self, platform: str, path: str, params: dict[str, str], headers: dict[str, str], fault: str | None
    ) -> Response:
        state = self.server.state
        if platform == "twitter":
            if path != "/2/tweets/search/recent":
                return Response(404, {"title": "Not Found Error", "status": 404})
            resp = twitter_search(state, params, headers, fault)
            resp.headers.update(_twitter_rate_headers(state))
            return resp
        if platform == "youtube":
            return youtube_api(state, path.removeprefix("/youtube/v3/").strip("/"), params, headers, fault)
        token = headers.get("authorization", "").removeprefix("bearer ").removeprefix("Bearer ")
        with state.lock:
            valid = token in state.reddit_tokens
            if valid and fault == "expired_token":
                state.reddit_tokens.discard(token)
                valid = False
        if not valid:
            return Response(
                401,
                {"message": "Unauthorized", "error": 401},
                {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
            )
        parts = [p for p in path.split("/") if p]
        if len(parts) == 3 and parts[0] == "r" and parts[2] in ("search", "comments"):
            kind = "post" if parts[2] == "search" else "comment"
            resp = reddit_listing(state, parts[1], kind, params, fault)
        elif len(parts) == 3 and parts[0] == "user" and parts[2] == "about":
            resp = reddit_about(state, parts[1])
        else:
            resp = Response(404, {"message": "Not Found", "error": 404})
        resp.headers.update(_reddit_rate_headers())
        return resp

    def _send(self, resp: Response, fault: str | None, platform: str | None = None) -> None:
        body = json.dumps(resp.body, ensure_ascii=False).encode()
        status = resp.status
        if status == 200 and fault == "malformed_json":
            body = body[: len(body) // 3] + b'",,}{'
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=UTF-8")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if status == 200 and fault == "truncated":
            self.send_header("content-length", str(len(body)))
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeState

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that timed out and hung up is normal
            super().handle_error(request, client_address)


def mention_id(it: FakeItem) -> str:
    """The id a connector stores: Reddit uses fullnames (t3_ posts, t1_ comments), the others the plain id."""
    if it.platform == "reddit":
        return f"t{'1' if it.kind == 'comment' else '3'}_{it.id}"
    return it.id


class FakePlatforms:
    """A running fake server (background thread). Use as a context manager or call stop()."""

    def __init__(
        self,
        *,
        port: int = 0,
        seed: int = 0,
        mentions: int = 300,
        fault_rate: float = 0.0,
        rate_per_minute: float = 30.0,
        brand: str = "Acme",
        youtube_quota: int = 1_000_000_000,
        latency: float = 0.0,
        retry_after: int = 2,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.generator = Generator(
            seed=seed, mentions=mentions, rate_per_minute=rate_per_minute, start=self.clock(), brand=brand
        )
        self.state = FakeState(
            self.generator,
            seed=seed,
            fault_rate=fault_rate,
            clock=self.clock,
            youtube_quota=youtube_quota,
            latency=latency,
            retry_after=retry_after,
        )
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.05), name="fake-platforms", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def truth(self, platforms: tuple[str, ...] = PLATFORMS) -> set[tuple[str, str]]:
        """(platform, id) of every customer mention published so far (the brand's own posts excluded)."""
        now = self.clock()
        return {(p, mention_id(it)) for p in platforms for it in self.generator.published(p, now) if not it.own}

    def inject(self, platform: str, fault: str, times: int = 1) -> None:
        """Force the next `times` API requests to `platform` to fail with `fault` (one of FAULTS, or "quota")."""
        with self.state.lock:
            self.state.forced[platform].extend([fault] * times)

    def requests(self, platform: str) -> int:
        return self.state.requests[platform]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePlatforms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def faults(self, rate: float) -> Iterator[None]:
        """Temporarily change the random fault rate."""
        old, self.state.fault_rate = self.state.fault_rate, rate
        try:
            yield
        finally:
            self.state.fault_rate = old


def start_fake_platforms(
    *,
    port: int = 0,
    seed: int = 0,
    mentions: int = 300,
    fault_rate: float = 0.0,
    rate_per_minute: float = 30.0,
    **kwargs: Any,
) -> FakePlatforms:
    """Start the fake platforms on 127.0.0.1 (port 0 = an ephemeral port) in a background thread."""
    return FakePlatforms(
        port=port, seed=seed, mentions=mentions, fault_rate=fault_rate, rate_per_minute=rate_per_minute, **kwargs
    )
