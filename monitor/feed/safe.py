"""Make hostile text inert for the terminal.

Everything a platform hands us (text, handles, URLs, reasons) is content, never markup or control: it is
shown through `rich.text.Text` objects (never parsed as console markup or :emoji: codes) after `clean()`
removes what a terminal would obey instead of print: escape sequences (CSI/OSC incl. OSC 8 links and
window titles, DCS, 8-bit C1 forms), C0/C1 controls, bidi overrides and isolates, and invisible format
characters that can hide text. Joiners that real scripts and emoji need (ZWJ, ZWNJ) stay.
"""

from __future__ import annotations

import re
import unicodedata

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

ELLIPSIS = "…"

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

# Bidi controls: embeddings/overrides, isolates, marks. They can reorder or hide what follows.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Format characters (category Cf) we keep: joiners that scripts (Persian, Indic) and emoji sequences need.
_KEEP_FORMAT = frozenset("\u200c\u200d")
_TAG_RANGE = range(0xE0020, 0xE0080)  # tag characters: only valid inside subdivision flags
_BLACK_FLAG = "\U0001f3f4"
# Emoji sequences whose width terminals disagree on (ZWJ families, skin tones, VS15/VS16 presentation) are
# split into their parts: every terminal then draws the same number of cells that rich computes, so
# columns stay aligned. A family becomes its people, 👍🏽 becomes 👍, ❤️ becomes ❤.
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_PRESENTATION = frozenset("\ufe0e\ufe0f")
_MAX_COMBINING = 4  # "zalgo" stacks beyond this spill into neighbouring lines in many terminals
_WHITESPACE_RUN = re.compile(r"\s+")


def _is_pictograph(ch: str) -> bool:
    code = ord(ch)
    return 0x1F000 <= code <= 0x1FAFF or 0x2190 <= code <= 0x2BFF or code in (0x00A9, 0x00AE, 0x3030, 0x303D)


def _is_dropped(ch: str) -> bool:
    cat = unicodedata.category(ch)
    if cat == "Cc" or cat == "Cs":
        return True
    if cat == "Cf":
        return ch not in _KEEP_FORMAT
    # variation selectors 17-256 are invisible and used to smuggle data; VS1-16 (emoji style) are fine
    return 0xE0100 <= ord(ch) <= 0xE01EF or ch in "\u115f\u1160\u3164\uffa0"  # Hangul fillers print blank


def clean(value: str) -> str:
    """`value` with every terminal control removed. Newlines and tabs stay (as \\n and a space)."""
    text = _ESCAPES.sub("", value)
    out: list[str] = []
    combining = 0
    in_flag = False
    for ch in text:
        code = ord(ch)
        if ch == "\n":
            out.append(ch)
            combining = 0
            in_flag = False
            continue
        if ch in "\t\r\u2028\u2029\x0b\x0c\x85":
            out.append(" ")
            combining = 0
            continue
        if code in _TAG_RANGE or code == 0xE007F:
            if in_flag:  # England/Scotland/Wales flags: black flag + tag letters + cancel tag
                out.append(ch)
                in_flag = code != 0xE007F
            continue
        in_flag = ch == _BLACK_FLAG
        if _is_dropped(ch) or code in _SKIN_TONES or ch in _PRESENTATION:
            continue
        if ch == "\u200d" and out and _is_pictograph(out[-1]):  # emoji ZWJ sequence: keep the parts
            continue
        if unicodedata.combining(ch):
            combining += 1
            if combining > _MAX_COMBINING:
                continue
        else:
            combining = 0
        out.append(ch)
    return "".join(out)


def one_line(value: str | None, max_cells: int | None = None) -> str:
    """Cleaned, whitespace collapsed to single spaces, cut to `max_cells` terminal cells with an ellipsis."""
    text = _WHITESPACE_RUN.sub(" ", clean(value or "")).strip()
    if max_cells is not None:
        text = truncate(text, max_cells)
    return text


def truncate(text: str, max_cells: int) -> str:
    """Cut to at most `max_cells` cells (CJK and emoji count 2), ending with an ellipsis when cut."""
    if max_cells <= 0:
        return ""
    if cell_len(text) <= max_cells:
        return text
    # set_cell_size pads a split double-width character with a space, so the result is exactly max_cells
    return set_cell_size(text, max_cells - 1).rstrip() + ELLIPSIS


def safe_text(value: str | None, style: str | Style = "", *, max_cells: int | None = None) -> Text:
    """A one-line rich Text of untrusted content: never parsed as markup, emoji codes or controls."""
    return Text(one_line(value, max_cells), style=style, no_wrap=True, overflow="ellipsis")


def safe_block(value: str | None, style: str | Style = "") -> Text:
    """A multi-line rich Text of untrusted content (the full mention view); lines wrap."""
    lines = [_WHITESPACE_RUN.sub(" ", line).strip() for line in clean(value or "").split("\n")]
    # keep paragraph breaks but not a screenful of blank lines
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return Text(text, style=style)
