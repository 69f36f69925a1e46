"""The fake Reddit OAuth API, mounted on the loopback server (connectors/fake/server.py).

The client-credentials token endpoint, subreddit search / comment listings with `after`, user about pages,
the x-ratelimit-* headers and Reddit's own 401 (invalid_token) / 429 bodies. Access tokens are issued per
server and revoked by the "expired_token" fault.
"""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from typing import Any

from connectors.fake.data import FakeItem
from connectors.fake.routes import FAKE_CREDENTIALS, FakeState, Response, service_unavailable
from connectors.fake.wire import query_term

_REDDIT_TOKEN = "fake-reddit-access-token-1a2b"
TOKEN_PATH = "/api/v1/access_token"


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


class RedditFake:
    platform = "reddit"

    def __init__(self) -> None:
        self.tokens: set[str] = set()  # access tokens issued and not yet expired (guarded by the state's lock)
        self.tokens_issued = 0

    def owns(self, path: str) -> bool:
        return path.startswith(("/r/", "/user/", "/api/"))

    def exempt(self, path: str) -> bool:
        return path == TOKEN_PATH

    def fault_response(self, fault: str, retry_after: int) -> Response | None:
        if fault == "429":
            return Response(429, {"message": "Too Many Requests", "error": 429}, {"retry-after": str(retry_after)})
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
        if path == TOKEN_PATH:
            return self._issue_token(state, headers, form)
        token = headers.get("authorization", "").removeprefix("bearer ").removeprefix("Bearer ")
        with state.lock:
            valid = token in self.tokens
            if valid and fault == "expired_token":
                self.tokens.discard(token)
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

    def _issue_token(self, state: FakeState, headers: dict[str, str], form: dict[str, list[str]]) -> Response:
        expected = base64.b64encode(
            f"{FAKE_CREDENTIALS['REDDIT_CLIENT_ID']}:{FAKE_CREDENTIALS['REDDIT_CLIENT_SECRET']}".encode()
        ).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return Response(401, {"message": "Unauthorized", "error": 401})
        if form.get("grant_type") != ["client_credentials"]:
            return Response(400, {"error": "unsupported_grant_type"})
        with state.lock:
            self.tokens_issued += 1
            token = f"{_REDDIT_TOKEN}-{self.tokens_issued}"
            self.tokens.add(token)
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"})

    def mention_id(self, item: FakeItem) -> str:
        """Reddit stores fullnames: t3_ for posts, t1_ for comments."""
        return f"t{'1' if item.kind == 'comment' else '3'}_{item.id}"
