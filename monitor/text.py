"""Text hygiene shared by ingest and display."""

from __future__ import annotations

import re

_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Make any str storable as UTF-8: lone surrogates (from JSON "\\ud800" escapes) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", value)
