"""The fake YouTube Data API v3, mounted on the loopback server (connectors/fake/server.py).

search (publishedAfter / publishedBefore), commentThreads (by video or the brand's channel), channels, with
pageToken paging, YouTube's error bodies and its daily quota (100 units a search, 1 otherwise, reset at
Pacific midnight). YouTube has no 429: a rate-limit fault is a 403 rateLimitExceeded from `handle`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from connectors.fake.data import BRAND_VIDEO, OWN, FakeItem
from connectors.fake.routes import FAKE_CREDENTIALS, FakeState, Response, service_unavailable
from connectors.fake.wire import decode_token, encode_token, parse_ts, query_term, ts

PACIFIC = ZoneInfo("America/Los_Angeles")
API_PREFIX = "/youtube/v3/"


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
        below = int(decode_token(params["pageToken"]))
        items = [it for it in items if it.index < below]
    page = items[:limit]
    return page, (encode_token(str(page[-1].index)) if len(items) > limit else None), below


def youtube_api(
    state: FakeState,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    fault: str | None,
    charge: Callable[[int], bool],
) -> Response:
    key = headers.get("x-goog-api-key") or params.get("key")
    if key != FAKE_CREDENTIALS["YOUTUBE_API_KEY"]:
        return _yt_error(400, "badRequest", "API key not valid. Please pass a valid API key.", "global")
    cost = 100 if path == "search" else 1
    if fault == "quota" or not charge(cost):
        return _quota_exceeded()
    if fault == "429":
        return _yt_error(
            403, "rateLimitExceeded", "The request cannot be completed: rate limit exceeded.", "youtube.quota"
        )
    published = state.published("youtube")
    token: str | None = None
    if path == "search":
        term = query_term(params.get("q", ""))
        after = parse_ts(params["publishedAfter"]) if params.get("publishedAfter") else None
        before = parse_ts(params["publishedBefore"]) if params.get("publishedBefore") else None
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
                    "publishedAt": ts(it.created),
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
        "publishedAt": ts(it.created),
        "updatedAt": ts(it.created),
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


class YouTubeFake:
    platform = "youtube"

    def __init__(self, quota: int = 1_000_000_000) -> None:
        self.quota = quota  # units a Pacific day
        self.quota_used: dict[str, int] = defaultdict(int)  # Pacific date -> units (guarded by the state's lock)

    def owns(self, path: str) -> bool:
        return path.startswith(API_PREFIX)

    def exempt(self, path: str) -> bool:
        return False

    def fault_response(self, fault: str, retry_after: int) -> Response | None:
        # YouTube signals rate limits as a 403 in `handle`
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
        def charge(units: int) -> bool:
            return self.charge(state, units)

        return youtube_api(state, path.removeprefix(API_PREFIX).strip("/"), params, headers, fault, charge)

    def charge(self, state: FakeState, units: int) -> bool:
        """Spend quota; False when the day's quota is exhausted."""
        day = state.clock().astimezone(PACIFIC).date().isoformat()
        with state.lock:
            if self.quota_used[day] + units > self.quota:
                return False
            self.quota_used[day] += units
            return True

    def mention_id(self, item: FakeItem) -> str:
        return item.id
