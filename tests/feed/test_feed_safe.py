"""Hostile text made inert: escape sequences, controls, bidi and invisible characters removed; widths kept."""

from __future__ import annotations

import io
import re

import pytest
from cm_testing.feed import HOSTILE
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from monitor.feed.safe import safe_block, safe_text
from monitor.text import BIDI_CONTROLS, for_terminal, one_line, truncate

FORBIDDEN = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b\u2060\ufeff]")

# pieces an attacker would combine: escape introducers, C1, bidi, invisibles, markup, wide characters
ATOMS = st.sampled_from(
    [
        "\x1b",
        "[",
        "]",
        "\x07",
        "\\",
        "\x9b",
        "\x9d",
        "\x90",
        "\x9c",
        "0;",
        "8;;",
        "31m",
        "2J",
        "H",
        "\u202e",
        "\u2066",
        "\u2069",
        "\u200b",
        "\u200d",
        "\ufeff",
        "\u061c",
        "\x00",
        "\x08",
        "\r",
        "\n",
        "\t",
        "a",
        " ",
        "漢",
        "😀",
        "👩",
        "\U0001f3fd",
        "\ufe0f",
        "\U000e0041",
        "\u0301",
        "[bold]",
        ":smile:",
        "\x7f",
        "\x85",
    ]
)
HOSTILE_TEXT = st.one_of(st.text(), st.lists(ATOMS, max_size=40).map("".join))


@settings(max_examples=400, deadline=None)
@given(HOSTILE_TEXT)
def test_clean_output_has_no_controls(value: str) -> None:
    out = for_terminal(value)
    assert not FORBIDDEN.search(out), repr(out)
    assert "\x1b" not in out and not BIDI_CONTROLS & set(out)
    assert for_terminal(out) == out  # idempotent: nothing left to strip


@settings(max_examples=200, deadline=None)
@given(HOSTILE_TEXT, st.integers(min_value=1, max_value=60))
def test_one_line_fits_and_renders_inert(value: str, cells: int) -> None:
    line = one_line(value, cells)
    assert "\n" not in line and cell_len(line) <= cells
    console = Console(width=80, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print(safe_text(value, "bold"))
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    assert not re.sub(r"\x1b\[[0-9;]*m", "", raw).count("\x1b")  # only rich's own SGR styling


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # colour change
        ("a\x1b[2J\x1b[Hb", "ab"),  # clear screen, cursor home
        ("\x1b]0;pwned\x07ok", "ok"),  # window title (BEL)
        ("\x1b]2;pwned\x1b\\ok", "ok"),  # window title (ST)
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink: the text stays, the link goes
        ("\x9b31mc1\x9d0;t\x9cok", "c1ok"),  # 8-bit CSI and OSC
        ("\x1bP1$r\x1b\\dcs", "dcs"),  # DCS
        ("a\x1b7b\x1b8c", "abc"),  # save/restore cursor
        ("abc\x1b[", "abc"),  # truncated sequence
        ("x\x08\x08y\rz\x00", "xy z"),  # backspace, carriage return, NUL
        ("\u202egnp.exe", "gnp.exe"),  # right-to-left override
        ("a\u2066b\u2069c\u200ed\u200fe\u061cf", "abcdef"),  # isolates and marks
        ("hid\u200bden\u2060\ufeff", "hidden"),  # zero-width space, word joiner, BOM
        ("tag\U000e0041\U000e0042", "tag"),  # invisible tag characters ("ASCII smuggling")
        ("e" + "\u0301" * 30, "e" + "\u0301" * 4),  # zalgo stack capped
        ("\u3164\u115f", ""),  # Hangul fillers that print blank
    ],
)
def test_known_attacks(attack: str, expected: str) -> None:
    assert for_terminal(attack) == expected


def test_markup_and_emoji_codes_stay_literal() -> None:
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    console.print(safe_text("[bold red]not bold[/] :smile: [link=http://x]y[/link]"))
    assert console.export_text().strip() == "[bold red]not bold[/] :smile: [link=http://x]y[/link]"


def test_scripts_and_emoji_survive() -> None:
    assert for_terminal("配送が遅い") == "配送が遅い"
    assert for_terminal("می‌خواهم") == "می‌خواهم"  # Persian ZWNJ kept
    assert for_terminal("क्‍ष") == "क्‍ष"  # Devanagari ZWJ kept
    assert for_terminal("🇬🇧 ok") == "🇬🇧 ok"
    assert for_terminal("🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f") == (
        "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
    )  # Wales flag keeps its tags


def test_emoji_sequences_split_so_every_terminal_agrees_on_width() -> None:
    assert for_terminal("👩\u200d👩\u200d👧") == "👩👩👧"
    assert for_terminal("👍🏽") == "👍"
    assert for_terminal("❤️") == "❤"
    assert cell_len(for_terminal("👩\u200d👩\u200d👧 👍🏽 ❤️")) == 6 + 1 + 2 + 1 + 1


def test_truncate_counts_cells() -> None:
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("漢字漢字", 5) == "漢字…"
    assert cell_len(truncate("漢字漢字", 4)) <= 4
    assert truncate("short", 10) == "short"
    assert truncate("x", 0) == ""
    assert one_line("  many\n\nlines\t here  ") == "many lines here"


def test_safe_block_keeps_paragraphs() -> None:
    text = safe_block("first\n\n\n\n\nsecond\x1b[2J\nthird")
    assert text.plain == "first\n\nsecond\nthird"


def test_fixture_hostile_is_cleaned() -> None:
    out = one_line(HOSTILE)
    assert "\x1b" not in out and "pwned" not in out and "[bold red]markup[/]" in out
