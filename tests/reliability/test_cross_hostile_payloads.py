"""Hostile API payloads: the real connectors against a loopback server serving hypothesis-made mutations of the
real response shapes (missing fields, wrong types, nulls, huge strings, nested junk, broken envelopes).

fetch() returns a Batch (bad items skipped and counted, the untouched items of the page kept) or raises one of
the documented ConnectorError classes (connectors/base.py); never any other exception.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from cm_testing.cross import FULL, fake_credentials, tally
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.fake import fake_config_data
from connectors.fake.data import Generator
from connectors.fake.wire import ts
from connectors.reddit.fake import _reddit_thing
from connectors.twitter.fake import _tweet, _twitter_user
from connectors.youtube.fake import _comment_thread
from monitor.config import parse_config
from monitor.connector import Batch, ConnectorError, Query
from monitor.plugins import make_connector as get_connector

pytestmark = pytest.mark.reliability

EXAMPLES = 300 if FULL else 20
START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GEN = Generator(seed=5, mentions=120, rate_per_minute=0, start=START, brand="Acme")


class _Payloads(ThreadingHTTPServer):
    daemon_threads = True
    bodies: dict[str, bytes]


class _Handler(BaseHTTPRequestHandler):
    server: _Payloads
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._reply()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self._reply()

    def _reply(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/api/v1/access_token":
            body = json.dumps({"access_token": "tok", "token_type": "bearer", "expires_in": 3600, "scope": "*"})
            data = body.encode()
        elif path.startswith("/user/"):
            data = self.server.bodies.get("about", b"{}")
        else:
            data = self.server.bodies.get(path.rsplit("/", 1)[-1], b"{}")
        self.send_response(200)
        self.send_header("content-type", "application/json; charset=UTF-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server() -> Iterator[_Payloads]:
    srv = _Payloads(("127.0.0.1", 0), _Handler)
    srv.bodies = {}
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


# --- the real shapes (as the fake serves them) --------------------------------------------------------------


def _items(platform: str, kind: str, n: int = 5) -> list[Any]:
    return [it for it in GEN.published(platform, START) if it.kind == kind and not it.own][:n]


def twitter_pages() -> dict[str, Any]:
    items = _items("twitter", "post")
    return {
        "recent": {
            "data": [_tweet(it) for it in items],
            "includes": {"users": [_twitter_user(it.author) for it in items]},
            "meta": {"newest_id": items[0].id, "oldest_id": items[-1].id, "result_count": len(items)},
        }
    }


def reddit_pages() -> dict[str, Any]:
    def listing(things: list[Any]) -> dict[str, Any]:
        return {"kind": "Listing", "data": {"after": None, "dist": len(things), "children": things, "before": None}}

    posts = [_reddit_thing(it, 1_000_000) for it in _items("reddit", "post")]
    comments = [_reddit_thing(it, 1_000_000) for it in _items("reddit", "comment")]
    about = {"kind": "t2", "data": {"name": "x", "id": "x", "link_karma": 3, "comment_karma": 4, "total_karma": 7}}
    return {"search": listing(posts), "comments": listing(comments), "about": about}


def youtube_pages() -> dict[str, Any]:
    videos = _items("youtube", "video")
    comments = _items("youtube", "comment")
    search = [
        {
            "kind": "youtube#searchResult",
            "id": {"kind": "youtube#video", "videoId": it.id},
            "snippet": {
                "publishedAt": ts(it.created),
                "channelId": it.author.id,
                "title": it.text,
                "description": it.text,
                "channelTitle": it.author.handle,
            },
        }
        for it in videos
    ]
    channels = [
        {
            "kind": "youtube#channel",
            "id": it.author.id,
            "statistics": {"subscriberCount": "12", "hiddenSubscriberCount": False},
        }
        for it in videos + comments
    ]
    return {
        "search": {"kind": "youtube#searchListResponse", "pageInfo": {"totalResults": len(search)}, "items": search},
        "commentThreads": {
            "kind": "youtube#commentThreadListResponse",
            "items": [_comment_thread(c) for c in comments],
        },
        "channels": {"kind": "youtube#channelListResponse", "items": channels},
    }


PAGES = {"twitter": twitter_pages, "reddit": reddit_pages, "youtube": youtube_pages}
ITEMS_KEY = {
    "recent": ("data",),
    "search": ("data", "children"),
    "comments": ("data", "children"),
    "commentThreads": ("items",),
}


def _item_list(platform: str, name: str, page: Any) -> list[Any] | None:
    if platform == "youtube" and name == "search":
        path: tuple[str, ...] = ("items",)
    else:
        path = ITEMS_KEY.get(name, ())
    node = page
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if path and isinstance(node, list) else None


# --- mutations ----------------------------------------------------------------------------------------------

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
replacement = st.one_of(
    st.just("<delete>"),
    st.none(),
    junk,
    st.text(min_size=1, max_size=20).map(lambda s: s * 2000),
    st.sampled_from(["", "0", "-1", "1e400", "NaN", "2026-13-45T99:99:99Z", "t3_", "[deleted]"]),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _apply(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    if isinstance(value, str) and value == "<delete>":
        del node[path[-1]]
    else:
        node[path[-1]] = value


def _mutate(data: st.DataObject, node: Any, count: int) -> None:
    for _ in range(count):
        paths = _paths(node)
        if not paths:
            return
        _apply(node, data.draw(st.sampled_from(paths)), data.draw(replacement))


def _connector(platform: str, base_url: str) -> tuple[Any, Query]:
    cfg_data = fake_config_data(base_url, "unused.db", max_pages=2)
    for p in cfg_data["platforms"].values():
        p.update(retries=0, timeout="5s")
    config = parse_config(cfg_data, environ=fake_credentials())
    settings_ = getattr(config.platforms, platform)
    brand = config.brands[0]
    query = Query(
        brand=brand.name,
        text=brand.queries_for(platform)[0],
        own_handles=frozenset(brand.own_handles(platform)),
        settings=settings_,
        handles=tuple(brand.handles.get(platform, [])),
    )
    return get_connector(platform, settings_), query


def _ids(batch: Batch) -> set[str]:
    return {m.id for m in batch.mentions}


TALLY: dict[str, list[int]] = {}


@pytest.mark.parametrize("platform", ["twitter", "reddit", "youtube"])
def test_mutated_payloads_never_crash_and_keep_good_items(server: _Payloads, platform: str) -> None:
    connector, query = _connector(platform, f"http://127.0.0.1:{server.server_address[1]}")
    if platform == "youtube":
        connector, query = _connector(platform, f"http://127.0.0.1:{server.server_address[1]}/youtube/v3")
    clean = PAGES[platform]()
    server.bodies = {k: json.dumps(v).encode() for k, v in clean.items()}
    baseline = connector.fetch(query, None, START)
    assert baseline.mentions and baseline.skipped == 0
    # which stored mention ids each clean item yields (an item is matched by its platform id inside the mention id)
    seen = {"tried": 0, "batches": 0, "errors": 0}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        pages = copy.deepcopy(clean)
        kept: set[str] = set(_ids(baseline))
        envelope_intact = True
        for name, page in pages.items():
            items = _item_list(platform, name, page)
            if items and data.draw(st.booleans()):
                hit = data.draw(st.sets(st.integers(0, len(items) - 1), max_size=len(items) - 1))
                for i in hit:
                    raw = json.dumps(items[i])
                    kept = {m for m in kept if m not in raw}
                    _mutate(data, items[i], data.draw(st.integers(1, 3)))
            elif data.draw(st.integers(0, 4)) == 0:
                envelope_intact = False
                _mutate(data, page, 1)
        bodies = {k: json.dumps(v).encode() for k, v in pages.items()}
        if data.draw(st.integers(0, 9)) == 0:  # not even JSON, or cut short
            name = data.draw(st.sampled_from(sorted(bodies)))
            bodies[name] = data.draw(
                st.sampled_from(
                    [
                        b"",
                        b"<html>502</html>",
                        bodies[name][: len(bodies[name]) // 2],
                        b"\xff\xfe\x00garbage",
                        b"null",
                        b"[]",
                        b"42",
                    ]
                )
            )
            envelope_intact = False
        server.bodies = bodies
        seen["tried"] += 1
        try:
            batch = connector.fetch(query, None, START)
        except ConnectorError:
            seen["errors"] += 1
            return
        seen["batches"] += 1
        assert isinstance(batch, Batch)
        if envelope_intact and batch.interrupted is None:
            assert kept <= _ids(batch), kept - _ids(batch)
        # whatever cursor the junk produced must not poison the next poll of clean pages
        server.bodies = {k: json.dumps(v).encode() for k, v in clean.items()}
        try:
            assert isinstance(connector.fetch(query, batch.new_cursor, START), Batch)
        except ConnectorError:
            seen["errors"] += 1

    check()
    TALLY[platform] = [seen["tried"], seen["tried"], 0]
    tally(
        f"hostile-payloads[{platform}]",
        seen["tried"],
        seen["tried"],
        0,
        batches=seen["batches"],
        documented_errors=seen["errors"],
    )
