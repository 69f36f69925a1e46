"""monitor.text: one definition of the dangerous characters, one function per output, each with its guarantees."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from monitor import text
from monitor.logs import JsonLogFormatter, PlainLogFormatter, use_plain_logs
from monitor.text import (
    for_html,
    for_json,
    for_log,
    for_model,
    for_storage,
    for_terminal,
    one_line,
    safe_url,
    truncate,
)

# every class, as one regex: nothing of it may reach a terminal or a log line
ANY_DANGEROUS = re.compile(
    f"[{text.CONTROLS}{text.LINE_BREAKS}{text.BIDI}{text.TAGS}{text.OTHER_FORMAT}{text.SURROGATES}{text.INVISIBLE}]"
)
C0_C1 = re.compile(f"[{text.CONTROLS}]")
FLAG_TAGS = re.compile(f"\U0001f3f4[{text.TAGS}]+")  # the one place tag characters may stay

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
        "\u061c",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\x00",
        "\x08",
        "\r",
        "\n",
        "\t",
        "\x0b",
        "\x85",
        "\u2028",
        "\u2029",
        "a",
        " ",
        "漢",
        "😀",
        "👩",
        "🏴",
        "\U0001f3fd",
        "\ufe0f",
        "\U000e0041",
        "\U000e0067",
        "\U000e007f",
        "\U000e0100",
        "\u3164",
        "\u0301",
        "\ud800",
        "\udfff",
        "[bold]",
        ":smile:",
        "\x7f",
        "https://",
        "javascript:",
    ]
)
ANY_CHAR = st.characters(exclude_categories=())  # surrogates included
HOSTILE = st.one_of(st.text(), st.text(ANY_CHAR), st.lists(ATOMS, max_size=40).map("".join))


def _without_flags(value: str) -> str:
    return FLAG_TAGS.sub("\U0001f3f4", value)


# --- the classes -------------------------------------------------------------------------------------------


def test_every_format_character_is_classified() -> None:
    """Every Cf character of this Python's Unicode is bidi, a joiner, a tag or another format character."""
    classes = re.compile(f"[{text.BIDI}{text.JOINERS}{text.TAGS}{text.OTHER_FORMAT}]")
    missing = [f"U+{c:04X}" for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    missing = [c for c in missing if not classes.match(chr(int(c[2:], 16)))]
    assert not missing, f"new format characters in Unicode {unicodedata.unidata_version}: {missing}"


def test_combining_marks_end_before_the_scanned_range() -> None:
    beyond = [c for c in range(text._COMBINING_SCAN_END, sys.maxunicode + 1) if unicodedata.combining(chr(c))]
    assert not beyond


# --- terminal ----------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(HOSTILE, st.booleans(), st.none() | st.integers(min_value=0, max_value=60))
def test_for_terminal_output_is_inert_bounded_and_idempotent(value: str, oneline: bool, cells: int | None) -> None:
    out = for_terminal(value, oneline=oneline, max_cells=cells)
    allowed_controls = "" if oneline else "\n"
    assert all(ch in allowed_controls for ch in C0_C1.findall(out)), repr(out)
    assert not ANY_DANGEROUS.search(_without_flags(out).replace("\n", "")), repr(out)
    assert not text.BIDI_CONTROLS & set(out)
    lines = out.split("\n")
    if oneline:
        assert len(lines) == 1
    if cells is not None:
        assert all(cell_len(line) <= cells for line in lines)
    assert for_terminal(out, oneline=oneline, max_cells=cells) == out


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x9b31mc1\x9d0;t\x9cok", "c1ok"),
        ("a\u202eb\u2066c\u061cd", "abcd"),
        ("in\u200bvis\u00adible\ufeff\u2060", "invisible"),
        ("smug\U000e0100\U000e0041gled", "smuggled"),
        ("one\ntwo\r\nthree\u2028four", "one two three four"),
        ("lone \ud800 surrogate", "lone surrogate"),
    ],
)
def test_for_terminal_known_attacks(attack: str, expected: str) -> None:
    assert for_terminal(attack, oneline=True) == expected


def test_for_terminal_keeps_paragraphs_and_scripts() -> None:
    assert for_terminal("first\n\n\n\nsecond \t here\nthird") == "first\n\nsecond here\nthird"
    assert for_terminal("می‌خواهم 配送が遅い") == "می‌خواهم 配送が遅い"
    assert for_terminal("abcdef\nxy", max_cells=4) == "abc…\nxy"
    assert one_line("  a\n b  ", 10) == "a b" == for_terminal("  a\n b  ", oneline=True, max_cells=10)
    assert truncate("漢字漢字", 5) == "漢字…"


@given(st.text(st.characters(max_codepoint=0x7F)))
def test_ascii_fast_path_matches_the_full_path(value: str) -> None:
    # a leading "é" forces the general path and cannot combine with what follows
    assert text._clean("é" + value, split_emoji=True) == "é" + text._clean(value, split_emoji=True)


# --- logs -----------------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(HOSTILE, st.none() | st.integers(min_value=0, max_value=80))
def test_for_log_is_one_visible_line(value: str, limit: int | None) -> None:
    out = for_log(value, max_chars=limit)
    assert not ANY_DANGEROUS.search(out), repr(out)
    assert len(out.splitlines()) <= 1
    if limit is not None:
        assert len(out) <= limit
    else:
        assert for_log(out) == out  # idempotent: nothing left to escape
    out.encode("utf-8")  # lone surrogates are escaped too


def test_for_log_escapes_instead_of_dropping() -> None:
    assert for_log("a\nb\x1b[31m\u202e\U000e0041") == "a\\u000ab\\u001b[31m\\u202e\\U000e0041"
    assert for_log("x" * 10, max_chars=5) == "xxxx…"


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord("connectors.x", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_plain_log_formatter_cannot_be_forged() -> None:
    formatter = PlainLogFormatter("%(levelname)s %(message)s")
    line = formatter.format(_record("skipped %s", "id\nERROR forged line\x1b[2J"))
    assert line == "WARNING skipped id\\u000aERROR forged line\\u001b[2J"
    with_exc = formatter.format(_record("failed", exc=ValueError("bad\x1b]0;title\x07")))
    assert "\x1b" not in with_exc and "\x07" not in with_exc


def test_json_log_formatter_escapes_what_json_leaves_raw() -> None:
    line = JsonLogFormatter().format(_record("msg %s", "\x9b31m\u202e\n", exc=None))
    assert "\n" not in line and "\x9b" not in line and "\u202e" not in line
    assert json.loads(line)["msg"] == "msg \x9b31m\u202e\n"  # the data is intact


def test_plain_logs_are_escaped_and_leave_a_configured_root_alone() -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    root.handlers[:] = []
    try:
        stream = io.StringIO()
        use_plain_logs(logging.INFO, stream)
        logging.getLogger("connectors.x").warning("skipped %s", "a\nWARNING forged\x9b2J")
        assert stream.getvalue().count("\n") == 1 and "\x9b" not in stream.getvalue()
        assert stream.getvalue().rstrip("\n").endswith("skipped a\\u000aWARNING forged\\u009b2J")
        handlers = list(root.handlers)
        use_plain_logs(logging.DEBUG, io.StringIO())  # like logging.basicConfig: a configured root stays
        assert root.handlers == handlers and root.level == logging.INFO
    finally:
        root.handlers[:] = saved
        root.setLevel(level)


# --- JSON --------------------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | HOSTILE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_for_json_is_lossless_and_inert(value: object, indent: bool) -> None:
    raw = json.dumps(value, ensure_ascii=False, indent=2 if indent else None)
    out = for_json(raw)
    # the same data as ASCII-escaped JSON (two lone surrogates in a row read back as one pair in both)
    assert json.loads(out) == json.loads(json.dumps(value))
    assert not ANY_DANGEROUS.search(out.replace("\n", "")), repr(out)
    out.encode("utf-8")


# --- HTML / mail, URLs ------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.none() | st.integers(min_value=1, max_value=80))
def test_for_html_is_one_clean_line(value: str, limit: int | None) -> None:
    out = for_html(value, max_chars=limit)
    assert not ANY_DANGEROUS.search(_without_flags(out)), repr(out)
    assert "\n" not in out and out == out.strip()
    if limit is not None:
        assert len(out) <= limit
    assert for_html(out, max_chars=limit) == out


def test_for_html_keeps_emoji_sequences_whole() -> None:
    # mail clients draw ZWJ sequences and skin tones fine: only terminals need them split
    assert for_html("👩\u200d👩\u200d👧 👍🏽 ❤️") == "👩\u200d👩\u200d👧 👍🏽 ❤️"
    assert for_html("<b>&amp;</b>") == "<b>&amp;</b>"  # HTML escaping is Jinja2's autoescape


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("HTTP://example.com", "HTTP://example.com"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("vbscript:x", None),
        ("//example.com", None),
        ("https://exa mple.com", None),
        ("https://exa\nmple.com", None),
        ("\x1b[31mhttps://example.com", "https://example.com"),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


# --- storage and the model --------------------------------------------------------------------------------------


@given(st.text(ANY_CHAR))
def test_for_storage_only_replaces_lone_surrogates(value: str) -> None:
    out = for_storage(value)
    out.encode("utf-8")
    assert len(out) == len(value)
    assert all(a == b or (0xD800 <= ord(a) <= 0xDFFF and b == "\ufffd") for a, b in zip(value, out, strict=True))


@given(HOSTILE)
def test_for_model_blanks_invisibles_and_keeps_the_length(value: str) -> None:
    out = for_model(value)
    assert len(out) == len(value)
    assert not ANY_DANGEROUS.search(re.sub("[\t\n\ufffd]", "", out))
    assert not re.search(f"[{text.JOINERS}]", out)  # the model never saw joiners: emoji sequences split


def test_for_model_keeps_what_the_model_was_trained_on() -> None:
    # the blanked set before this module existed, as the shipped model's features were computed with it
    old = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f]")
    for code in range(0x3000):
        ch = chr(code)
        if old.match(ch):
            assert for_model(ch) == " ", f"U+{code:04X}"
    assert for_model("tab\tnew\nline é 😀\ufe0f") == "tab\tnew\nline é 😀\ufe0f"
