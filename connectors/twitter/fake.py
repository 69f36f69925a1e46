"""The fake Twitter v2 recent search, mounted on the loopback server (connectors/fake/server.py).

Response shapes follow the recorded real bodies in shared/fixtures (see docs/polling.md): since_id / until_id /
next_token paging over the last 7 days, the x-rate-limit-* headers, Twitter's own 401 / 400 / 429 bodies.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.fake.data import TWEPOCH_MS, FakeAuthor, FakeItem
from connectors.fake.routes import FAKE_CREDENTIALS, FakeState, Response, service_unavailable
from connectors.fake.wire import decode_token, encode_token, parse_ts, query_term, ts

SEARCH_PATH = "/2/tweets/search/recent"


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
        "created_at": ts(it.created, ms=True),
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
    start_time = parse_ts(params["start_time"]) if "start_time" in params else window_start
    start_time = max(start_time, window_start)
    max_results = max(10, min(100, int(params.get("max_results", "10"))))
    term = query_term(params.get("query", ""))
    if "next_token" in params:
        below = int(decode_token(params["next_token"]))
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
        meta["next_token"] = encode_token(page[-1].id)
    return Response(200, {"data": data, "includes": {"users": list(users.values())}, "meta": meta})


def _twitter_rate_headers(state: FakeState) -> dict[str, str]:
    reset = (int(time.time()) // 900 + 1) * 900
    used = state.requests["twitter"] % 450
    return {"x-rate-limit-limit": "450", "x-rate-limit-remaining": str(450 - used), "x-rate-limit-reset": str(reset)}


class TwitterFake:
    platform = "twitter"

    def owns(self, path: str) -> bool:
        return path.startswith("/2/")

    def exempt(self, path: str) -> bool:
        return False

    def fault_response(self, fault: str, retry_after: int) -> Response | None:
        if fault == "429":
            reset = int(time.time()) + retry_after
            return Response(
                429,
                {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
                {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
            )
        return service_unavailable() if fault == "5xx" else None

    def handle(
        self,
        state: FakeState,
        method: str,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        form: dict[str, list[str]],
        fault: str | None,
    ) -> Response:
        if path != SEARCH_PATH:
            return Response(404, {"title": "Not Found Error", "status": 404})
        resp = twitter_search(state, params, headers, fault)
        resp.headers.update(_twitter_rate_headers(state))
        return resp

    def mention_id(self, item: FakeItem) -> str:
        return item.id
