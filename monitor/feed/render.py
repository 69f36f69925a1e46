"""FeedState + ViewState → one rich renderable. Pure: no store, no clock, no terminal.

Every piece of platform content goes through monitor.feed.safe into Text objects; only our own fixed
strings are ever styled. Colours are the terminal's 16 named colours plus bold/dim/reverse, which both
dark and light themes map to readable values, and nothing depends on colour alone (a breached case
says "late", the selected row has a ▶), so NO_COLOR output reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from monitor import plugins
from monitor.feed.safe import safe_block, safe_text
from monitor.feed.state import ConnectorView, FairnessView, FeedState, QueueRow, StreamRow
from monitor.queue.visibility import reach_visible
from monitor.text import one_line
from monitor.timeutil import format_duration

WIDE = 120  # at and above this width the queue shows full platform names and wider reasons
KEYS = (
    ("↑↓/jk", "move"),
    ("Enter", "open"),
    ("c", "claim"),
    ("r", "responded"),
    ("d", "dismiss"),
    ("e", "escalate"),
    ("o", "url"),
    ("/", "filter"),
    ("q", "quit"),
)
DETAIL_KEYS = (
    ("Esc", "back"),
    ("c", "claim"),
    ("r", "responded"),
    ("d", "dismiss"),
    ("e", "escalate"),
    ("o", "url"),
    ("q", "quit"),
)

_SEVERITY_STYLE = {4: "bold red", 3: "red", 2: "", 1: "dim"}
# No yellow: several light themes draw it nearly invisible on white. Magenta reads on dark and light.
_CONNECTOR_STYLE = {"ok": "green", "idle": "dim", "backoff": "magenta", "quota": "magenta"}


@dataclass(frozen=True, slots=True)
class ViewState:
    """What the person at this terminal is doing: selection, open case, prompt, last message."""

    selected: int = 0  # index into FeedState.queue
    detail: QueueRow | None = None  # the case opened with Enter
    prompt: str | None = None  # e.g. "Dismiss reason"; the line being typed is `typed`
    typed: str = ""
    message: str = ""
    message_is_error: bool = False

    def with_message(self, message: str, *, error: bool = False) -> ViewState:
        return replace(self, message=message, message_is_error=error)


# --- small formatters (pure) -------------------------------------------------------------------


def due_text(due_at: datetime, now: datetime) -> Text:
    """'12m' while time remains; 'late 5m' in bold red once the deadline has passed."""
    left = due_at - now
    if left < timedelta(0):
        return Text(f"late {format_duration(-left)}", style="bold red")
    style = "bold" if left < timedelta(minutes=15) else ""
    return Text(format_duration(left), style=style)


def age_text(created_at: datetime, now: datetime) -> str:
    return format_duration(max(now - created_at, timedelta(0)))


def followers_text(n: int | None) -> str:
    if n is None:
        return "?"
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= limit:
            value = n / limit
            return f"{value:.1f}{suffix}".replace(".0", "") if value < 10 else f"{int(value)}{suffix}"
    return str(n)


def shows_followers(row: QueueRow, blind_triage: bool) -> bool:
    """Blind triage (monitor.queue.visibility): reach is shown only while the case is under a live claim.

    A QueueRow carries claimed_by only for a live claim (monitor.feed.state)."""
    return reach_visible(blind_triage=blind_triage, live_claim=row.claimed_by is not None)


def clock(dt: datetime | None, zone: str) -> str:
    return dt.astimezone(ZoneInfo(zone)).strftime("%H:%M") if dt else "never"


def _platform_label(platform: str, wide: bool) -> Text:
    return safe_text(platform if wide else plugins.label(platform))


# Columns separated by one space drawn as a box border rather than cell padding: rich renders a padded
# cell through an extra Padding layer, which made a full frame about a third slower.
_SPACE_BOX = box.Box("    \n    \n    \n    \n    \n    \n    \n    \n", ascii=True)


def _table() -> Table:
    """A borderless table; the header, if any, is its first row (a header would add a blank rule line)."""
    return Table(box=_SPACE_BOX, show_edge=False, show_header=False, padding=0, expand=True)


# --- sections ----------------------------------------------------------------------------------


def _connector(c: ConnectorView, zone: str) -> Text:
    out = Text()
    out.append_text(safe_text(c.platform, "bold"))
    out.append(" ")
    if c.state == "backoff":
        until = f" until {clock(c.until, zone)}" if c.until else ""
        out.append(f"backing off{until}", style="magenta")
    elif c.state == "quota":
        until = f" until {clock(c.until, zone)}" if c.until else ""
        out.append(f"quota used up{until}", style="magenta")
    elif c.state == "auth_error":
        out.append("AUTH ERROR", style="bold red")
    elif c.state == "error":
        out.append("error", style="bold red")
    elif c.state == "idle":
        out.append("not polled yet", style="dim")
    else:
        out.append("ok", style=_CONNECTOR_STYLE.get(c.state, ""))
    if c.quota_left is not None and c.state != "quota":
        out.append(f" · quota {c.quota_left:,} left")
    out.append(f" · polled {clock(c.last_poll, zone)}", style="dim")
    if c.new_last_hour:
        out.append(f" · +{c.new_last_hour}/h", style="dim")
    return out


def render_header(state: FeedState, width: int) -> tuple[RenderableType, int]:
    """The header and its height: connectors on one line when they fit, else one line each."""
    top = Table.grid(expand=True)
    top.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    top.add_column(justify="right", no_wrap=True)
    title = Text("complaint-monitor ", style="bold")
    title.append_text(safe_text(" · ".join(one_line(b) for b in state.brands)))
    right = Text(f"{state.new_last_hour} new in the last hour · agent ")
    right.append_text(safe_text(state.agent, "bold"))
    right.append(f" · {clock(state.now, state.timezone)}")
    top.add_row(title, right)
    if not state.connectors:
        hint = Text("no platforms enabled: set platforms.<name>.enabled in the config", style="dim", no_wrap=True)
        return Group(top, hint), 2
    parts = [_connector(c, state.timezone) for c in state.connectors]
    line = Text("   ").join(parts)
    if line.cell_len <= width:
        return Group(top, line), 2
    for part in parts:
        part.no_wrap, part.overflow = True, "ellipsis"
    return Group(top, *parts), 1 + len(parts)


def _queue_title(state: FeedState, width: int) -> Text:
    title = Text("FAIR QUEUE", style="bold", no_wrap=True, overflow="ellipsis")
    title.append(f"  {state.open_cases} open")
    if state.breached:
        title.append(f" · {state.breached} past SLA", style="bold red")
    if state.claimed_by_others:
        title.append(f" · {state.claimed_by_others} claimed by others")
    if state.blind_triage:
        title.append(" · followers hidden until claimed" if width >= WIDE else " · blind triage", style="dim")
    if state.filter.active:
        title.append(" · filter ")
        title.append_text(safe_text(state.filter.describe(), "bold"))
    return title


def render_queue(state: FeedState, view: ViewState, width: int, rows: int | None) -> RenderableType:
    wide = width >= WIDE
    show_fol = any(shows_followers(r, state.blind_triage) for r in state.queue)
    show_by = any(r.claimed_by for r in state.queue)
    headers = [" ", "due in", "sev", "platform" if wide else "pl", "lang", "age"]
    table = _table()
    table.add_column(width=1, no_wrap=True)
    table.add_column(no_wrap=True, min_width=6)
    for _ in range(4):
        table.add_column(no_wrap=True)
    if show_fol:
        headers.append("followers" if wide else "fol")
        table.add_column(no_wrap=True, justify="right")
    if show_by:
        headers.append("claimed")
        table.add_column(no_wrap=True, max_width=12 if wide else 7)
    headers += ["text", "why"]
    table.add_column(ratio=3, no_wrap=True, overflow="ellipsis")
    table.add_column(max_width=28 if wide else 12, no_wrap=True, overflow="ellipsis")
    table.add_row(*headers, style="bold")

    selected = min(max(view.selected, 0), max(len(state.queue) - 1, 0))
    start = 0
    if rows is not None and len(state.queue) > rows:  # scroll so the selected row stays in sight
        start = min(max(selected - rows // 2, 0), len(state.queue) - rows)
    shown = state.queue[start : start + rows] if rows is not None else state.queue
    for i, row in enumerate(shown, start):
        is_sel = i == selected
        cells: list[Text | str] = [
            Text("▶", style="bold") if is_sel else "",
            due_text(row.due_at, state.now),
            Text(f"S{row.severity}", style=_SEVERITY_STYLE.get(row.severity, "")),
            _platform_label(row.platform, wide),
            safe_text(row.language or "?"),
            age_text(row.created_at, state.now),
        ]
        if show_fol:
            cells.append(followers_text(row.followers) if shows_followers(row, state.blind_triage) else "")
        if show_by:
            who = "you" if row.claimed_by == state.agent else (row.claimed_by or "")
            cells.append(safe_text(who, "bold" if who == "you" else "italic"))
        text = safe_text(row.text)
        if row.escalated:
            text = Text("ESCALATED ", style="bold red") + text
        cells.append(text)
        cells.append(safe_text(", ".join(row.reasons), "dim"))
        table.add_row(*cells, style="reverse" if is_sel else None)
    if not state.queue:
        empty = "nothing matches the filter" if state.filter.active else "no open complaints: the queue is clear"
        return Group(_queue_title(state, width), Text(f"  {empty}", style="dim"))
    return Group(_queue_title(state, width), table)


def _stream_line(row: StreamRow, state: FeedState, wide: bool) -> list[Text | str]:
    if row.complaint is None:
        mark, style = Text("?", style="dim"), ""
    elif row.complaint:
        mark = Text(f"S{row.severity}" if row.severity else "!", style=_SEVERITY_STYLE.get(row.severity or 0, "bold"))
        style = "bold"
    else:
        mark, style = Text("·", style="dim"), "dim"
    text = safe_text(row.text, style)
    cells: list[Text | str] = [
        Text(clock(row.fetched_at, state.timezone), style="dim"),
        mark,
        _platform_label(row.platform, wide),
        safe_text(row.language or "?", "dim"),
    ]
    if wide:
        cells.append(safe_text("@" + row.author_handle, "dim"))
    cells.append(text)
    return cells


def render_stream(state: FeedState, width: int, rows: int | None) -> RenderableType:
    wide = width >= WIDE
    title = Text("INCOMING", style="bold", no_wrap=True, overflow="ellipsis")
    title.append("  newest first · complaints bold, others dimmed", style="dim")
    if state.filter.active:
        title.append(" · filter ")
        title.append_text(safe_text(state.filter.describe(), "bold"))
    if not state.stream:
        return Group(title, Text("  no mentions yet" if not state.filter.active else "  nothing matches", style="dim"))
    table = _table()
    for _ in range(4):
        table.add_column(no_wrap=True)
    if wide:
        table.add_column(no_wrap=True, max_width=18, overflow="ellipsis")
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    for row in state.stream[:rows] if rows is not None else state.stream:
        table.add_row(*_stream_line(row, state, wide))
    return Group(title, table)


def render_fairness(fairness: FairnessView | None, width: int) -> RenderableType:
    """Today's parity ratio and SLA attainment per follower tier: one line when wide, two when narrow."""
    line = Text("FAIRNESS TODAY  ", style="bold")
    if fairness is None:
        line.append("not computed yet", style="dim")
        return line
    if fairness.parity is None:
        line.append("parity —", style="dim")
    else:
        line.append(f"parity {fairness.parity:.2f} ", style="bold red" if fairness.alert else "green")
        line.append("ALERT" if fairness.alert else "ok", style="bold red" if fairness.alert else "green")
    if fairness.note:
        line.append(f" · {fairness.note}", style="dim")
    tiers = Text("SLA met by followers: ")
    for i, tier in enumerate(fairness.tiers):
        if i:
            tiers.append(" · ", style="dim")
        tiers.append(f"{tier.label} ")
        if tier.attainment is None:
            tiers.append("—", style="dim")
        else:
            pct = round(tier.attainment * 100)
            tiers.append(f"{pct}%", style="red" if pct < 80 else "")
    if not fairness.tiers:
        return line
    one = Text("   ").join([line, tiers])
    if one.cell_len <= width:
        return one
    return Group(line, Text("  ") + tiers)


def render_footer(view: ViewState, width: int, in_detail: bool) -> RenderableType:
    lines: list[RenderableType] = []
    if view.prompt is not None:
        prompt = Text(f"{view.prompt}: ", style="bold")
        prompt.append_text(safe_text(view.typed))
        prompt.append("▏", style="blink")
        prompt.append("   Enter ok · Esc cancel", style="dim")
        lines.append(prompt)
    elif view.message:
        lines.append(safe_text(view.message, "bold red" if view.message_is_error else "bold"))
    lines.append(keys_text(DETAIL_KEYS if in_detail else KEYS, width))
    return Group(*lines)


def keys_text(keys: tuple[tuple[str, str], ...], width: int) -> Text:
    """Key help on one line: keys bold, labels dim; tighter spacing (and ⏎ for Enter) when narrow."""
    for sep, enter in (("  ", "Enter"), ("  ", "⏎"), (" ", "⏎")):
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, label) in enumerate(keys):
            if i:
                out.append(sep)
            out.append(enter if key == "Enter" else key.replace("↑↓/jk", "↑↓" if sep == " " else key), "bold")
            out.append(f" {label}", style="dim")
        if out.cell_len <= width:
            break
    return out


def render_detail(row: QueueRow, state: FeedState, max_chars: int | None = None) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    case = Text(f"#{row.case_id} · {row.state}")
    if row.escalated:
        case.append(" · ESCALATED ", style="bold red")
        case.append_text(safe_text(row.escalation_reason or ""))
    grid.add_row("case", case)
    grid.add_row("due in", due_text(row.due_at, state.now))
    grid.add_row("severity", Text(f"S{row.severity}", style=_SEVERITY_STYLE.get(row.severity, "")))
    where = safe_text(f"{row.platform} · {row.brand or 'no brand'} · {row.language or '?'}")
    grid.add_row("where", where)
    posted = f"{age_text(row.created_at, state.now)} ago · first seen {clock(row.first_seen, state.timezone)}"
    grid.add_row("posted", posted)
    author = safe_text("@" + row.author_handle)
    if shows_followers(row, state.blind_triage):
        author.append(f" · {followers_text(row.followers)} followers" + (" · verified" if row.verified else ""))
    else:
        author.append(" · followers hidden until claimed (blind triage)", style="dim")
    grid.add_row("author", author)
    if row.claimed_by:
        grid.add_row("claimed by", safe_text(row.claimed_by))
    grid.add_row("classifier", safe_text(", ".join(row.reasons) or "—"))
    if row.why:
        grid.add_row("order", safe_text(row.why))
    if row.signals:
        grid.add_row("signals", safe_text(", ".join(row.signals)))
    grid.add_row("url", safe_text(row.url))
    return Group(
        Rule(Text(f"Case #{row.case_id}", style="bold"), align="left", style="dim"),
        grid,
        Text(""),
        Padding(_cut(safe_block(row.text), max_chars), (0, 2)),
    )


def _cut(text: Text, max_chars: int | None) -> Text:
    """A very long post is cut so the key help stays on screen; the URL in the grid leads to the rest."""
    if max_chars is None or len(text) <= max_chars:
        return text
    text.truncate(max_chars)
    text.append(" … (cut; the full post is at the url)", style="dim")
    return text


# --- the frame ---------------------------------------------------------------------------------


def render(
    state: FeedState, view: ViewState | None = None, *, width: int = 80, height: int | None = None
) -> RenderableType:
    """The whole screen. With `height`, the queue and stream are cut to fit (the queue scrolls with the
    selection); without it (`--once`), everything gathered is shown."""
    view = view or ViewState()
    header, header_lines = render_header(state, width)
    fairness = render_fairness(state.fairness, width)
    footer = render_footer(view, width, view.detail is not None)
    rule = Rule(style="dim")
    footer_lines = 1 + (1 if view.prompt is not None or view.message else 0)
    if view.detail is not None:
        # header, 2 rules, title rule, about 12 grid rows, a blank line: the rest is for the text
        max_chars = None if height is None else max(height - header_lines - 16 - footer_lines, 3) * (width - 4)
        return Group(header, rule, render_detail(view.detail, state, max_chars), rule, footer)
    queue_rows = stream_rows = None
    if height is not None:
        fairness_lines = len(fairness.renderables) if isinstance(fairness, Group) else 1
        # 3 rules, 2 section titles, the queue's column header
        free = max(height - (header_lines + 3 + 2 + 1 + fairness_lines + footer_lines), 4)
        # the queue comes first, but the stream keeps up to 2/5 of the room when it has rows to show
        stream_need = max(min(len(state.stream), free * 2 // 5), 1)
        queue_rows = max(min(len(state.queue), free - stream_need), min(len(state.queue), 3))
        stream_rows = max(free - max(queue_rows, 1), 1)
    return Group(
        header,
        rule,
        render_queue(state, view, width, queue_rows),
        rule,
        render_stream(state, width, stream_rows),
        rule,
        fairness,
        footer,
    )
