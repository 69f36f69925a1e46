"""Text hygiene shared by ingest and display."""

from __future__ import annotations

import re

_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Make any str storable as UTF-8: lone surrogates (from JSON "\\ud800" escapes) become U+FFFD."""
    if value.isascii():  # O(1) in CPython; the common case skips the regex
        return value
    return _SURROGATES.sub("\ufffd", value)


# C0/C1 controls, DEL, and bidi embedding/override/isolate marks: they can move the cursor, recolour
# the terminal, set its title (OSC) or reorder what an agent reads.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_LINE_BREAKS = re.compile(r"[\n\r\u2028\u2029]")


def printable(value: str, *, oneline: bool = False) -> str:
    """User text made safe for plain terminal output: unsafe characters shown as visible escapes.

    With oneline=True, line breaks are escaped too, so one value cannot forge extra output lines.
    """
    out = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return _LINE_BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", out) if oneline else out
