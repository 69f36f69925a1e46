"""Make user text inert for any reader of the digest: mail clients, terminals, screen readers.

HTML escaping is Jinja2's job (autoescape); this removes what escaping does not: terminal escape sequences,
control characters and bidirectional overrides that could reorder the surrounding text (U+202E "Trojan
Source"), for both the HTML and the plain-text part.
"""

from __future__ import annotations

import re

# ESC [ ... final byte (CSI), ESC ] ... BEL/ST (OSC), and lone two-byte ESC sequences.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
# C0/C1 controls (tabs and newlines are handled as whitespace), bidi embeddings/overrides/isolates, BOM.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACE = re.compile(r"\s+")


def inert(text: str | None, *, limit: int | None = None) -> str:
    """One line of display text: no escape sequences, controls or bidi overrides; whitespace collapsed."""
    if not text:
        return ""
    out = _SPACE.sub(" ", _CONTROLS.sub("", _ANSI.sub("", text))).strip()
    if limit is not None and len(out) > limit:
        out = out[: limit - 1].rstrip() + "…"
    return out


def safe_link(url: str | None) -> str | None:
    """Only http(s) links are clickable; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    url = inert(url)
    if not url.lower().startswith(("https://", "http://")) or " " in url:
        return None
    return url
