"""The one text-safety module: user content made harmless for each place it goes.

Everything a platform or an import hands us (texts, handles, URLs, reasons) is data, never markup or control.
The dangerous character classes are defined once, below; each output has its function:

    for_storage   what the store keeps: any str made storable as UTF-8 (nothing else is changed)
    for_terminal  shown on a terminal: escape sequences and invisible/control characters removed
    for_log       one log line: dangerous characters shown as visible \\uXXXX escapes, never obeyed
    for_json      JSON text for stdout: what json.dumps leaves raw (DEL, C1, bidi...) escaped, losslessly
    for_html      digest text (HTML part before Jinja2's autoescape, and the plain part): one clean line
    for_model     what the classifier reads: invisible characters become spaces, the length is kept
    safe_url      links that may be clickable (http and https only)
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"

# --- the dangerous classes (regex character-class bodies, one definition) ----------------------------------

# C0 controls, DEL and C1 controls (category Cc). ESC and the 8-bit C1 forms (CSI 0x9b, OSC 0x9d...) start
# terminal sequences that move the cursor, recolour, set the window title or make hidden links.
# Tab and newline are listed on their own, so a class can leave them out: CONTROLS.replace("\n", "").
CONTROLS = "\x00-\x08\t\n\x0b-\x1f\x7f-\x9f"
# Characters that end a line for some reader: a log line or an output line could be forged with them.
LINE_BREAKS = "\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029"
# Bidi embeddings, overrides, isolates and marks: they reorder or hide what follows ("Trojan Source").
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_CONTROLS = frozenset(BIDI)
# Zero-width joiners: format characters that real scripts (Persian, Indic) and emoji sequences need.
JOINERS = "\u200c\u200d"
# Tag characters: invisible ("ASCII smuggling"), valid only inside subdivision flags (England, Scotland, Wales).
TAGS = "\U000e0020-\U000e007f"
# Every other format character (category Cf, Unicode 15): zero-width space, word joiner, invisible operators,
# BOM, soft hyphen, interlinear annotation, prepended marks... they hide text or change how neighbours render.
OTHER_FORMAT = (
    "\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u2060-\u2065\u206a-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
)
# Lone surrogates (from JSON "\\ud800" escapes): not encodable as UTF-8.
SURROGATES = "\ud800-\udfff"
# Variation selectors 17-256 (invisible, used to smuggle data; VS1-16 choose emoji style and stay) and the
# Hangul fillers that print blank.
INVISIBLE = "\U000e0100-\U000e01ef\u115f\u1160\u3164\uffa0"

# Escape sequences, in 7-bit (ESC x) and 8-bit (C1) forms. String-type sequences (OSC, DCS, SOS, PM, APC)
# run to BEL or ST; an unterminated one swallows the rest of the text, as a terminal would.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?          # CSI ... final byte
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?   # OSC/DCS/SOS/PM/APC
  | \x1b[\x20-\x2f]*[\x30-\x7e]?                                  # other ESC sequences (charset, keypad...)
    """,
    re.VERBOSE,
)
_SURROGATE = re.compile(f"[{SURROGATES}]")
# shown as one space: tabs, carriage returns, vertical tab, form feed, NEL, line/paragraph separators
_SPACE_LIKE = re.compile("[\t\r\x0b\x0c\x85\u2028\u2029]")
# removed from display text (newline is the one control kept; the space-like ones are mapped first)
_CONTROLS_BUT_NEWLINE = CONTROLS.replace("\n", "")
_CONTROLS_BUT_TAB_NEWLINE = _CONTROLS_BUT_NEWLINE.replace("\t", "")
_DROPPED = re.compile(f"[{_CONTROLS_BUT_NEWLINE}{BIDI}{OTHER_FORMAT}{SURROGATES}{INVISIBLE}]")
_TAG = re.compile(f"[{TAGS}]")
# anything the passes above would change (ESC and the C1 introducers are controls): most text skips them
_UNCLEAN = re.compile(f"[{_CONTROLS_BUT_NEWLINE}\u2028\u2029{BIDI}{TAGS}{OTHER_FORMAT}{SURROGATES}{INVISIBLE}]")
# escaped in log lines: every dangerous class (joiners are harmless there)
_LOG_UNSAFE = re.compile(f"[{CONTROLS}{LINE_BREAKS}{BIDI}{TAGS}{OTHER_FORMAT}{SURROGATES}{INVISIBLE}]")
# escaped in JSON text: what json.dumps(ensure_ascii=False) leaves raw. C0 controls are already escaped by
# json.dumps, and the newlines left are its own indentation, so C0 is not in this class.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\u2028\u2029{BIDI}{TAGS}{OTHER_FORMAT}{SURROGATES}{INVISIBLE}]")
# blanked for the classifier: controls (not tab or newline), separators, every format character (joiners too)
_MODEL_BLANK = re.compile(f"[{_CONTROLS_BUT_TAB_NEWLINE}\u2028\u2029{BIDI}{JOINERS}{TAGS}{OTHER_FORMAT}{INVISIBLE}]")

_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
# Emoji sequences whose width terminals disagree on (ZWJ families, skin tones, VS15/VS16 presentation) are
# split into their parts: every terminal then draws the same number of cells that rich computes, so
# columns stay aligned. A family becomes its people, 👍🏽 becomes 👍, ❤️ becomes ❤.
_SKIN_TONE_OR_PRESENTATION = re.compile("[\U0001f3fb-\U0001f3ff\ufe0e\ufe0f]")
_PICTOGRAPH = "\U0001f000-\U0001faff\u2190-\u2bff\u00a9\u00ae\u3030\u303d"
_PICTOGRAPH_ZWJ = re.compile(f"(?<=[{_PICTOGRAPH}])\u200d+")
MAX_COMBINING = 4  # "zalgo" stacks beyond this spill into neighbouring lines in many terminals
_COMBINING_SCAN_END = 0x20000  # no combining mark (canonical class > 0) lies beyond plane 1
_BLANK_LINES = re.compile(r"\n{3,}")


# --- storage -------------------------------------------------------------------------------------------------


def for_storage(value: str) -> str:
    """Make any str storable as UTF-8: lone surrogates become U+FFFD. Hostile text is data: kept otherwise."""
    if value.isascii():  # O(1) in CPython; the common case skips the regex
        return value
    return _SURROGATE.sub("\ufffd", value)


clean_text = for_storage  # the name the store and the importer use


# --- display ---------------------------------------------------------------------------------------------------


def _ranges(codes: list[int]) -> str:
    """A regex class body for sorted code points, as ranges (a long list of single characters is slow)."""
    out: list[str] = []
    start = prev = codes[0]
    for code in [*codes[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        out.append(re.escape(chr(start)) + (f"-{re.escape(chr(prev))}" if prev != start else ""))
        start = prev = code
    return "".join(out)


@cache
def _combining_runs() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(quick test, exact pattern) for runs of more than MAX_COMBINING combining marks.

    Built on first use (a scan of planes 0-1, ~20 ms). The exact pattern is slow on every text (its astral
    ranges are tested one by one); the quick test, BMP marks or any astral character, is cheap and rarely hits.
    """
    marks = [c for c in range(0x300, _COMBINING_SCAN_END) if unicodedata.combining(chr(c))]
    run = f"{{{MAX_COMBINING + 1},}}"
    quick = re.compile(f"[{_ranges([c for c in marks if c <= 0xFFFF])}\U00010000-\U0010ffff]{run}")
    return quick, re.compile(f"[{_ranges(marks)}]{run}")


def _keep_flag_tags(text: str) -> str:
    """Tag characters survive only as the tail of a black flag (England/Scotland/Wales), up to the cancel tag."""
    out: list[str] = []
    in_flag = False
    for ch in text:
        if _TAG.match(ch):
            if in_flag:
                out.append(ch)
                in_flag = ch != _CANCEL_TAG
            continue
        in_flag = ch == _BLACK_FLAG
        out.append(ch)
    return "".join(out)


def _clean(value: str, *, split_emoji: bool) -> str:
    """`value` with every escape sequence and dangerous character removed; newlines kept, other breaks a space."""
    text = value
    if _UNCLEAN.search(text):
        text = _DROPPED.sub("", _SPACE_LIKE.sub(" ", _ESCAPES.sub("", text)))
        if _TAG.search(text):
            text = _keep_flag_tags(text)
    if text.isascii():  # no emoji, no combining marks
        return text
    if split_emoji:
        text = _PICTOGRAPH_ZWJ.sub("", _SKIN_TONE_OR_PRESENTATION.sub("", text))
    quick, exact = _combining_runs()
    return exact.sub(lambda m: m.group()[:MAX_COMBINING], text) if quick.search(text) else text


def truncate(text: str, max_cells: int) -> str:
    """Cut to at most `max_cells` terminal cells (CJK and emoji count 2), ending with an ellipsis when cut."""
    if max_cells <= 0:
        return ""
    if cell_len(text) <= max_cells:
        return text
    # set_cell_size pads a split double-width character with a space, so the result is exactly max_cells
    return set_cell_size(text, max_cells - 1).rstrip() + ELLIPSIS


def _single_line(text: str) -> str:
    return " ".join(text.split())  # str.split() and regex \s agree on what whitespace is


def for_terminal(value: str | None, *, oneline: bool = False, max_cells: int | None = None) -> str:
    """Untrusted text for a terminal: nothing a terminal would obey instead of print.

    Escape sequences (CSI/OSC incl. OSC 8 links and window titles, DCS, 8-bit C1 forms), C0/C1 controls, bidi
    controls, invisible format characters and lone surrogates are removed, zalgo stacks capped, and emoji
    sequences that terminals draw at different widths split into their parts. Joiners that scripts need stay.
    oneline=True collapses all whitespace to single spaces; otherwise lines are kept (whitespace collapsed within
    each, at most one blank line in a row). `max_cells` cuts the line (each line) with an ellipsis.
    """
    text = _clean(value or "", split_emoji=True)
    if oneline:
        text = _single_line(text)
        return text if max_cells is None else truncate(text, max_cells)
    lines = [_single_line(line) for line in text.split("\n")]
    if max_cells is not None:
        lines = [truncate(line, max_cells) for line in lines]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(value: str | None, max_cells: int | None = None) -> str:
    """for_terminal(value, oneline=True, max_cells=max_cells): one line, cut to `max_cells` cells."""
    return for_terminal(value, oneline=True, max_cells=max_cells)


# --- logs and JSON: escape, never drop (the reader sees exactly what was sent) ------------------------------------


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def for_log(value: str, *, max_chars: int | None = None) -> str:
    """One log line: every control, line break, bidi and invisible character shown as a visible escape.

    A newline or ESC in user content then cannot start a forged log line or recolour a terminal tailing the log.
    """
    text = _LOG_UNSAFE.sub(lambda m: _escape(m.group()), value)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + ELLIPSIS if max_chars > 0 else ""
    return text


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells astral characters as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def for_json(json_text: str) -> str:
    """JSON text (from json.dumps(..., ensure_ascii=False)) safe to print: what JSON leaves raw is escaped.

    json.dumps escapes C0 controls (ESC too) but not DEL, C1 controls, bidi controls, invisible format characters
    or lone surrogates, which a terminal showing the JSON would act on (or fail to encode). They can only occur
    inside strings, where \\uXXXX decodes to the same text: the data is unchanged.
    """
    return _JSON_UNSAFE.sub(lambda m: _json_escape(m.group()), json_text)


# --- HTML and mail -----------------------------------------------------------------------------------------------


def for_html(value: str | None, *, max_chars: int | None = None) -> str:
    """One line of digest text, for the HTML part and the plain-text part of a mail.

    HTML escaping is Jinja2's autoescape (the digest's HTML environment); this removes what escaping does not:
    escape sequences, controls, bidi controls (U+202E "Trojan Source") and invisible characters. Whitespace is
    collapsed, so a subject line cannot carry a header break. `max_chars` cuts with an ellipsis.
    """
    if not value:
        return ""
    out = _single_line(_clean(value, split_emoji=False))
    if max_chars is not None and len(out) > max_chars:
        out = out[: max_chars - 1].rstrip() + ELLIPSIS if max_chars > 0 else ""
    return out


def safe_url(url: str | None) -> str | None:
    """The URL when it may be a link (http or https, no spaces once cleaned); None for javascript:, data: etc."""
    if not url:
        return None
    url = for_html(url)
    if not url.lower().startswith(("https://", "http://")) or " " in url:
        return None
    return url


# --- the classifier ----------------------------------------------------------------------------------------------


def for_model(value: str) -> str:
    """Text as the classifier reads it: lone surrogates U+FFFD, controls (but tab and newline), separators and
    every format character (joiners too) one space each, so tokens split where a reader sees a break."""
    return _MODEL_BLANK.sub(" ", for_storage(value))


__all__ = [
    "BIDI",
    "BIDI_CONTROLS",
    "CONTROLS",
    "ELLIPSIS",
    "INVISIBLE",
    "JOINERS",
    "LINE_BREAKS",
    "OTHER_FORMAT",
    "SURROGATES",
    "TAGS",
    "clean_text",
    "for_html",
    "for_json",
    "for_log",
    "for_model",
    "for_storage",
    "for_terminal",
    "one_line",
    "safe_url",
    "truncate",
]
