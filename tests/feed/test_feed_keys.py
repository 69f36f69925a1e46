"""FeedApp: keys change the store through monitor.queue.cases; views of several agents stay in step."""

from __future__ import annotations

import io
from datetime import timedelta

from cm_testing.feed import NOW, add
from rich.console import Console

from monitor.config import Config
from monitor.feed.live import FeedApp, decode_keys, print_once
from monitor.queue.cases import case_events, get_case
from monitor.store import Store, open_store


def seed(store: Store, config: Config) -> None:
    add(store, config, "1", "parcel never arrived", severity=4, age=timedelta(hours=2))
    add(store, config, "2", "billing doubled", severity=3, platform="reddit")
    add(store, config, "3", "app crashes", severity=2, platform="youtube")


def app_for(store: Store, config: Config, agent: str = "ana") -> FeedApp:
    return FeedApp(store, config, agent=agent, clock=lambda: NOW)


def press(app: FeedApp, *keys: str) -> None:
    for key in keys:
        assert app.handle_key(key)


def test_decode_keys() -> None:
    assert decode_keys("jk\x1b[A\x1b[B\x1bOA\r\n") == ["j", "k", "up", "down", "up", "enter", "enter"]
    assert decode_keys("\x1b") == ["esc"]
    assert decode_keys("\x1bd") == ["esc", "d"]
    assert decode_keys("\x1b[15~x") == ["x"]  # F5 dropped whole, not typed
    assert decode_keys("a\x7fb\x08\x15") == ["a", "backspace", "b", "backspace", "ctrl-u"]
    assert decode_keys("日本") == ["日", "本"]


def test_move_open_close(store: Store, config: Config) -> None:
    seed(store, config)
    app = app_for(store, config)
    assert [r.case_id for r in app.state.queue] == [1, 2, 3]
    press(app, "j", "j", "j")
    assert app.view.selected == 2
    press(app, "k", "up")
    assert app.view.selected == 0
    press(app, "down", "enter")
    assert app.view.detail is not None and app.view.detail.case_id == 2
    press(app, "esc")
    assert app.view.detail is None
    assert not app.handle_key("q")


def test_claim_respond_dismiss_escalate(store: Store, config: Config) -> None:
    seed(store, config)
    app = app_for(store, config)
    press(app, "c")
    assert get_case(store, 1).state == "claimed" and get_case(store, 1).claimed_by == "ana"
    assert app.state.queue[0].state == "claimed" and "claimed case #1" in app.view.message
    press(app, "r")
    assert get_case(store, 1).state == "responded"
    assert [r.case_id for r in app.state.queue] == [2, 3]
    # dismiss asks for a reason; Esc cancels, an empty reason changes nothing
    press(app, "d", "esc")
    assert get_case(store, 2).state == "new" and app.view.prompt is None
    press(app, "d", "enter")
    assert get_case(store, 2).state == "new" and app.view.message_is_error
    press(app, "d", *"spamx", "backspace", "enter")
    assert get_case(store, 2).state == "dismissed" and get_case(store, 2).dismissed_reason == "spam"
    press(app, "e", *"legal threat", "enter")
    assert get_case(store, 3).escalated == 1 and get_case(store, 3).escalation_reason == "legal threat"
    actions = [(e.actor, e.action) for c in (1, 2, 3) for e in case_events(store, c)]
    assert actions == [
        ("system", "open"),
        ("ana", "claim"),
        ("ana", "respond"),
        ("system", "open"),
        ("ana", "dismiss"),
        ("system", "open"),
        ("ana", "escalate"),
    ]


def test_detail_view_actions_and_url(store: Store, config: Config) -> None:
    seed(store, config)
    app = app_for(store, config)
    press(app, "j", "enter", "c")
    assert get_case(store, 2).claimed_by == "ana"
    assert app.view.detail is not None and app.view.detail.state == "claimed"  # re-read after the action
    press(app, "o")
    assert app.printed_urls == ["https://example.com/reddit/2"]
    assert "URL: https://example.com/reddit/2" in app.view.message


def test_filter_prompt(store: Store, config: Config) -> None:
    seed(store, config)
    app = app_for(store, config)
    press(app, "/", *"platform:reddit", "enter")
    assert [r.case_id for r in app.state.queue] == [2]
    press(app, "/", "ctrl-u", "enter")
    assert [r.case_id for r in app.state.queue] == [1, 2, 3] and app.view.message == "filter cleared"


def test_two_agents_see_each_others_claims_after_a_refresh(store: Store, config: Config) -> None:
    seed(store, config)
    with open_store(config.store) as other:
        ana, bob = app_for(store, config, "ana"), app_for(other, config, "bob")
        press(ana, "c")
        assert [r.case_id for r in bob.state.queue] == [1, 2, 3]  # bob has not refreshed yet
        press(bob, "c")  # stale view: the claim is refused, not stolen
        assert bob.view.message_is_error and "claimed by ana" in bob.view.message
        assert get_case(store, 1).claimed_by == "ana"
        bob.refresh()
        assert [r.case_id for r in bob.state.queue] == [2, 3] and bob.state.claimed_by_others == 1
        press(bob, "c")
        ana.refresh()
        assert [r.case_id for r in ana.state.queue] == [1, 3] and ana.state.claimed_by_others == 1


def test_selection_follows_the_case(store: Store, config: Config) -> None:
    seed(store, config)
    app = app_for(store, config)
    press(app, "j", "j")  # case 3
    add(store, config, "0", "very urgent", severity=4, age=timedelta(hours=3))
    app.refresh()
    assert app.state.queue[0].mention_id == "0"
    assert app.selected_case() is not None and app.selected_case().case_id == 3  # type: ignore[union-attr]


def test_print_once(store: Store, config: Config) -> None:
    seed(store, config)
    out = io.StringIO()
    print_once(app_for(store, config), Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert "FAIR QUEUE  3 open" in text and "parcel never arrived" in text and "\x1b" not in text
