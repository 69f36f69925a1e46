"""Hostile text as rich Text for the feed: never parsed as console markup, :emoji: codes or controls.

What is removed and how lines are cut is decided by monitor.text (for_terminal); this only wraps the result.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from monitor.text import for_terminal


def safe_text(value: str | None, style: str | Style = "", *, max_cells: int | None = None) -> Text:
    """A one-line rich Text of untrusted content, cut to `max_cells` cells."""
    line = for_terminal(value, oneline=True, max_cells=max_cells)
    return Text(line, style=style, no_wrap=True, overflow="ellipsis")


def safe_block(value: str | None, style: str | Style = "") -> Text:
    """A multi-line rich Text of untrusted content (the full mention view); paragraphs kept, lines wrap."""
    return Text(for_terminal(value), style=style)
