"""render(state) is pure: hand-built FeedStates rendered on recording consoles at fixed widths."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cm_testing.feed import HOSTILE, NOW
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.segment import Segment

from monitor.feed.render import ViewState, due_text, followers_text, render
from monitor.feed.state import (
    ConnectorView,
    FairnessView,
    FeedFilter,
    FeedState,
    QueueRow,
    StreamRow,
    TierView,
)

WIDTHS = (80, 160)
SGR_ONLY = re.compile(r"\x1b\[[0-9;]*m")


def row(case_id: int, text: str, **kw: object) -> QueueRow:
    base = QueueRow(
        case_id=case_id,
        platform="twitter",
        mention_id=str(case_id),
        brand="Acme",
        severity=3,
        state="new",
        due_at=NOW + timedelta(minutes=40),
        first_seen=NOW - timedelta(minutes=80),
        created_at=NOW - timedelta(minutes=81),
        language="en",
        text=text,
        url=f"https://x.com/u/status/{case_id}",
        author_handle=f"user{case_id}",
        followers=123_456,
        verified=False,
        reasons=("blame", "refund"),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def stream_row(mid: str, text: str, complaint: bool | None, severity: int | None = None, **kw: object) -> StreamRow:
    base = StreamRow(
        platform="reddit",
        mention_id=mid,
        brand="Acme",
        created_at=NOW - timedelta(minutes=3),
        fetched_at=NOW - timedelta(minutes=2),
        language="en",
        complaint=complaint,
        severity=severity,
        text=text,
        author_handle="someone",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def state(**kw: object) -> FeedState:
    base = FeedState(
        now=NOW,
        agent="ana",
        brands=("Acme", "Globex"),
        blind_triage=True,
        timezone="UTC",
        connectors=(
            ConnectorView("twitter", "ok", last_poll=NOW - timedelta(minutes=1), new_last_hour=12),
            ConnectorView("reddit", "backoff", until=NOW + timedelta(minutes=7), last_poll=NOW - timedelta(minutes=3)),
            ConnectorView("youtube", "ok", last_poll=NOW - timedelta(minutes=20), quota_left=9_400),
        ),
        new_last_hour=12,
        open_cases=3,
        breached=1,
        queue=(
            row(1, "Late delivery, nobody answers", due_at=NOW - timedelta(minutes=5), severity=4),
            row(2, "配送が遅すぎる。サポートに連絡しても返事がない。最悪です", language="ja"),
            row(3, "Billing 💸 doubled 🙄 fix it", platform="youtube"),
        ),
        stream=(
            stream_row("s1", "The app crashed again and I lost my order", True, 3),
            stream_row("s2", "Nice new logo!", False),
            stream_row("s3", "is it down?", None),
        ),
        fairness=FairnessView(
            parity=1.12,
            alert=False,
            tiers=(TierView("<100", 10, 9, 0.9), TierView("100-1k", 5, 4, 0.75), TierView(">=100k", 0, 0, None)),
        ),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def console(width: int, color: bool = False) -> Console:
    return Console(
        width=width,
        record=True,
        file=io.StringIO(),
        force_terminal=color,
        color_system="truecolor" if color else None,
        legacy_windows=False,
    )


def text_of(renderable: RenderableType, width: int = 80) -> str:
    c = console(width)
    c.print(renderable)
    return c.export_text()


def segments(renderable: RenderableType, width: int = 80) -> list[Segment]:
    c = console(width, color=True)
    return list(c.render(renderable, c.options))


@pytest.mark.parametrize("width", WIDTHS)
def test_frame_shows_every_section(width: int) -> None:
    out = text_of(render(state(), width=width), width)
    assert "complaint-monitor Acme · Globex" in out
    assert "12 new in the last hour" in out and "agent ana" in out
    assert "twitter ok" in out and "reddit backing off until 12:07" in out and "quota 9,400 left" in out
    assert "FAIR QUEUE  3 open · 1 past SLA" in out
    assert "late 5m" in out and "40m" in out
    assert "INCOMING" in out and "The app crashed again" in out and "Nice new logo!" in out
    assert "parity 1.12 ok" in out and "<100 90%" in out and "100-1k 75%" in out and ">=100k —" in out
    assert "c claim" in out and "q quit" in out
    for line in out.splitlines():
        assert cell_len(line) <= width


def test_breached_due_is_red_and_says_late() -> None:
    late = due_text(NOW - timedelta(minutes=5), NOW)
    assert late.plain == "late 5m" and late.style == "bold red"
    assert due_text(NOW + timedelta(minutes=40), NOW).plain == "40m"
    segs = segments(render(state(), width=80))
    red = [s for s in segs if "late 5m" in s.text]
    assert red and all(s.style is not None and s.style.color is not None and s.style.color.name == "red" for s in red)
    not_late = [s for s in segs if s.text.strip() == "40m"]
    assert not_late and all(s.style is None or s.style.color is None for s in not_late)


@pytest.mark.parametrize("width", WIDTHS)
def test_blind_triage_hides_followers_until_claimed(width: int) -> None:
    out = text_of(render(state(), width=width), width)
    assert "123k" not in out and "followers" not in out.split("FAIR QUEUE")[1].split("\n")[1]
    claimed = state(queue=(row(9, "mine now", state="claimed", claimed_by="ana"), row(1, "still blind")))
    out = text_of(render(claimed, width=width), width)
    lines = out.splitlines()
    mine = next(line for line in lines if "mine now" in line)
    blind = next(line for line in lines if "still blind" in line)
    assert "123k" in mine and "you" in mine
    assert "123k" not in blind
    off = state(blind_triage=False)
    assert "123k" in text_of(render(off, width=width), width)


def test_detail_view_respects_blind_triage() -> None:
    hidden = text_of(render(state(), ViewState(detail=row(1, "full text here")), width=80))
    assert "followers hidden until claimed" in hidden and "123k" not in hidden and "full text here" in hidden
    shown = text_of(render(state(), ViewState(detail=row(1, "x", state="claimed", claimed_by="bo")), width=80))
    assert "123k followers" in shown and "claimed by  bo" in shown
    assert "https://x.com/u/status/1" in shown


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("color", [False, True])
def test_hostile_text_is_inert(width: int, color: bool) -> None:
    hostile = state(
        brands=("Acme\x1b]0;title\x07",),
        queue=(row(1, HOSTILE, reasons=("\x1b[5mblink", "[link=http://x]y[/link]"), author_handle="\x1b[2Jx"),),
        stream=(stream_row("h", HOSTILE, True, 4),),
    )
    c = console(width, color)
    c.print(render(hostile, width=width))
    c.print(render(hostile, ViewState(detail=hostile.queue[0]), width=width))
    raw = c.export_text(styles=color, clear=False)
    plain = c.export_text() if not color else SGR_ONLY.sub("", raw)
    # only our own SGR colour codes: no OSC (title, hyperlink), no cursor movement, no clear screen
    assert SGR_ONLY.sub("", raw).count("\x1b") == 0
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b]", plain)
    assert "[bold red]markup[/]" in plain and ":smile:" in plain  # shown literally, not interpreted
    assert "pwned title" not in plain and "evil.example" not in plain
    assert "evil" in plain and "hidden" in plain  # bidi/zero-width tricks removed, the words still shown


@pytest.mark.parametrize("width", WIDTHS)
def test_cjk_and_emoji_rows_stay_aligned(width: int) -> None:
    out = text_of(render(state(), width=width), width)
    lines = [line for line in out.splitlines() if "blame, refund" in line or "blame, r" in line]
    assert len(lines) == 3
    starts = {cell_len(line[: line.index("blame")]) for line in lines}
    assert len(starts) == 1, lines  # the "why" column begins at the same cell on every row
    assert all(cell_len(line.rstrip()) <= width for line in lines)


def test_long_text_is_cut_with_an_ellipsis() -> None:
    long = "word " * 200
    out = text_of(render(state(queue=(row(1, long),), stream=(stream_row("l", long, True, 2),)), width=80))
    queue_line = next(line for line in out.splitlines() if "word word" in line)
    assert "…" in queue_line and cell_len(queue_line) <= 80


def test_no_color_keeps_meaning_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    c = Console(width=100, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    c.print(render(state(), ViewState(selected=0), width=100))
    out = c.file.getvalue()  # type: ignore[attr-defined]
    codes = set(re.findall(r"\x1b\[([0-9;]*)m", out))
    assert codes and all(not re.search(r"(^|;)(3[0-9]|4[0-9]|9[0-7])(;|$)", code) for code in codes), codes
    plain = SGR_ONLY.sub("", out)
    assert "late 5m" in plain and "▶" in plain  # breach and selection are words/marks, not only colour


def test_selection_marker_follows_view_and_scrolls() -> None:
    many = state(queue=tuple(row(i, f"case text {i}") for i in range(1, 31)), open_cases=30)
    out = text_of(render(many, ViewState(selected=25), width=80, height=24))
    selected = next(line for line in out.splitlines() if line.startswith("▶"))
    assert "case text 26" in selected
    assert len(out.splitlines()) <= 24


def test_prompt_message_and_filter_shown() -> None:
    flt = FeedFilter(words=("refund",), lang="de")
    out = text_of(render(state(filter=flt), ViewState(prompt="Dismiss reason", typed="spam\x1b[2J"), width=80))
    assert "Dismiss reason: spam" in out and "\x1b" not in out
    assert 'filter "refund" lang:de' in out
    out = text_of(render(state(queue=(), filter=flt), ViewState(message="case #1 dismissed: spam"), width=80))
    assert "nothing matches the filter" in out and "case #1 dismissed: spam" in out


def test_connector_states_and_empty_store() -> None:
    conns = (
        ConnectorView("twitter", "auth_error", detail="401"),
        ConnectorView("youtube", "quota", until=datetime(2026, 11, 30, 8, 0, tzinfo=UTC), quota_left=0),
        ConnectorView("reddit", "idle"),
    )
    out = text_of(render(state(connectors=conns, queue=(), stream=(), open_cases=0, breached=0), width=160), 160)
    assert "twitter AUTH ERROR" in out and "youtube quota used up until 08:00" in out
    assert "reddit not polled yet" in out
    assert "no open complaints" in out and "no mentions yet" in out


def test_followers_text() -> None:
    assert [followers_text(n) for n in (None, 7, 1_000, 1_250, 12_345, 123_456, 2_500_000)] == [
        "?",
        "7",
        "1k",
        "1.2k",
        "12k",
        "123k",
        "2.5M",
    ]


def test_timezone_is_the_configs() -> None:
    out = text_of(render(state(timezone="Asia/Tokyo"), width=160), 160)
    assert "· 21:00" in out  # 12:00 UTC in Tokyo


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("height", [24, 50])
@pytest.mark.parametrize("message", ["", "case #3 dismissed: spam"])
def test_frame_fits_the_terminal_height(width: int, height: int, message: str) -> None:
    busy = state(
        queue=tuple(row(i, f"case text {i}") for i in range(1, 41)),
        stream=tuple(stream_row(str(i), f"mention {i}", i % 2 == 0, 2) for i in range(40)),
        open_cases=40,
    )
    out = text_of(render(busy, ViewState(message=message), width=width, height=height), width)
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= height
    assert lines[-1].startswith("↑↓")  # the key help is never pushed off the screen
    assert height - len(lines) <= 2  # and the space is used


def test_detail_of_a_very_long_post_keeps_the_key_help_on_screen() -> None:
    long = row(1, "paragraph " * 2_000)
    out = text_of(render(state(), ViewState(detail=long), width=80, height=24))
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= 24 and lines[-1].startswith("Esc back") and "full post is at the url" in out
