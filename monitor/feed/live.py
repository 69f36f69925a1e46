"""The live feed: a FeedApp (state + keys → store actions, no terminal) and a thin rich Live loop around it.

Why rich Live and not Textual: rich is already a dependency, the screen is one read-mostly view plus a
one-line prompt, and a pure `render(state)` is simple to test at fixed widths. The loop reads raw keys
from the tty in cbreak mode with select(), so it sleeps in the kernel between keys and refreshes
(no busy loop), and Ctrl-C still arrives as SIGINT for a clean exit.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import select
import signal
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from types import FrameType
from typing import IO

from rich.console import Console, RenderableType
from rich.live import Live

from monitor.config import Config
from monitor.errors import MonitorError
from monitor.feed.render import ViewState, render
from monitor.feed.state import (
    FairnessView,
    FeedFilter,
    FeedState,
    QueueRow,
    gather,
    gather_case,
    gather_fairness,
    parse_filter,
)
from monitor.queue import cases
from monitor.store import Store
from monitor.text import one_line
from monitor.timeutil import utcnow

REFRESH_SECONDS = 1.5  # how often the view re-reads the store (claims by other agents show within this)
FAIRNESS_EVERY = 15.0  # the audit reads all of today's cases; it changes slowly

_SEQUENCES = {
    "\x1b[A": "up",
    "\x1b[B": "down",
    "\x1bOA": "up",
    "\x1bOB": "down",
    "\x1b[5~": "pageup",
    "\x1b[6~": "pagedown",
    "\x1b[H": "home",
    "\x1b[F": "end",
    "\x1b[1~": "home",
    "\x1b[4~": "end",
    "\x1bOH": "home",
    "\x1bOF": "end",
}


def decode_keys(data: str) -> list[str]:
    """Split what one read() returned into keys: 'up', 'down', 'enter', 'esc', 'backspace', or characters.

    Unknown escape sequences (function keys, mouse) are dropped whole rather than typed into a prompt.
    """
    keys: list[str] = []
    i = 0
    while i < len(data):
        ch = data[i]
        if ch == "\x1b":
            for seq, name in _SEQUENCES.items():
                if data.startswith(seq, i):
                    keys.append(name)
                    i += len(seq)
                    break
            else:
                if i + 1 < len(data) and data[i + 1] in "[O":  # some other CSI/SS3 sequence: skip it
                    j = i + 2
                    while j < len(data) and not ("\x40" <= data[j] <= "\x7e"):
                        j += 1
                    i = j + 1
                else:
                    keys.append("esc")
                    i += 1
            continue
        if ch in "\r\n":
            keys.append("enter")
        elif ch in "\x7f\x08":
            keys.append("backspace")
        elif ch == "\x15":
            keys.append("ctrl-u")
        else:
            keys.append(ch)
        i += 1
    return keys


class FeedApp:
    """Everything the live view does, minus the terminal: gather, keys → actions, frame.

    `clock` is called for the current time (tests pass a fixed one).
    """

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        agent: str,
        clock: Callable[[], datetime] = utcnow,
        queue_limit: int = 40,
        stream_limit: int = 40,
    ) -> None:
        self.store = store
        self.config = config
        self.agent = agent
        self.clock = clock
        self.queue_limit = queue_limit
        self.stream_limit = stream_limit
        self.view = ViewState()
        self.filter = FeedFilter()
        self.filter_text = ""
        self.fairness: FairnessView | None = None
        self._fairness_at = float("-inf")
        self._selected_id: int | None = None
        self._pending: str | None = None  # the action waiting for its prompt: dismiss, escalate, filter
        self._prompt_case: int | None = None
        self.printed_urls: list[str] = []
        self.state = self.refresh()

    # --- data ----------------------------------------------------------------------------------

    def refresh(self) -> FeedState:
        now = self.clock()
        if time.monotonic() - self._fairness_at >= FAIRNESS_EVERY:
            self.fairness = gather_fairness(self.store, self.config, now)
            self._fairness_at = time.monotonic()
        self.state = gather(
            self.store,
            self.config,
            now=now,
            agent=self.agent,
            flt=self.filter,
            fairness=self.fairness,
            queue_limit=self.queue_limit,
            stream_limit=self.stream_limit,
        )
        self._follow_selection()
        if self.view.detail is not None:
            self.view = replace(self.view, detail=gather_case(self.store, self.config, self.view.detail.case_id, now))
        return self.state

    def _follow_selection(self) -> None:
        """Keep the cursor on the same case when rows move; stay at the same place if it left the queue."""
        ids = [row.case_id for row in self.state.queue]
        index = ids.index(self._selected_id) if self._selected_id in ids else self.view.selected
        self._select(index)

    def _select(self, index: int) -> None:
        index = min(max(index, 0), max(len(self.state.queue) - 1, 0))
        self.view = replace(self.view, selected=index)
        self._selected_id = self.state.queue[index].case_id if self.state.queue else None

    def selected_case(self) -> QueueRow | None:
        if self.view.detail is not None:
            return self.view.detail
        if not self.state.queue:
            return None
        return self.state.queue[self.view.selected]

    def frame(self, width: int = 80, height: int | None = None) -> RenderableType:
        return render(self.state, self.view, width=width, height=height)

    # --- keys ----------------------------------------------------------------------------------

    def handle_key(self, key: str) -> bool:
        """Apply one key. Returns False when the feed should quit."""
        if self.view.prompt is not None:
            self._prompt_key(key)
            return True
        if key == "q":
            return False
        if key in ("up", "k"):
            self._select(self.view.selected - 1)
        elif key in ("down", "j"):
            self._select(self.view.selected + 1)
        elif key in ("pageup", "pagedown"):
            self._select(self.view.selected + (10 if key == "pagedown" else -10))
        elif key in ("home", "g"):
            self._select(0)
        elif key in ("end", "G"):
            self._select(len(self.state.queue) - 1)
        elif key == "enter":
            row = self.selected_case()
            if self.view.detail is None and row is not None:
                self.view = replace(self.view, detail=row, message="")
            else:
                self.view = replace(self.view, detail=None)
        elif key in ("esc", "backspace"):
            self.view = replace(self.view, detail=None, message="")
        elif key == "c":
            self._act("claim")
        elif key == "r":
            self._act("respond")
        elif key == "d":
            self._ask("dismiss", "Dismiss reason (spam, not a complaint, duplicate...)")
        elif key == "e":
            self._ask("escalate", "Escalation reason (safety, legal, press...)")
        elif key == "o":
            row = self.selected_case()
            if row is not None:
                url = one_line(row.url)
                self.printed_urls.append(url)
                self.view = self.view.with_message(f"URL: {url}")
        elif key == "/":
            self._pending = "filter"
            label = "Filter (words, brand:X platform:X lang:X; empty clears)"
            self.view = replace(self.view, prompt=label, typed=self.filter_text)
        return True

    def _ask(self, action: str, label: str) -> None:
        row = self.selected_case()
        if row is None:
            self.view = self.view.with_message("no case selected", error=True)
            return
        self._pending = action
        self._prompt_case = row.case_id
        self.view = replace(self.view, prompt=f"{label} for case #{row.case_id}", typed="", message="")

    def _prompt_key(self, key: str) -> None:
        if key == "esc":
            self._pending = None
            self.view = replace(self.view, prompt=None, typed="", message="cancelled", message_is_error=False)
        elif key == "enter":
            action, typed = self._pending, self.view.typed.strip()
            self._pending = None
            self.view = replace(self.view, prompt=None, typed="")
            if action == "filter":
                self.set_filter(typed)
            elif action in ("dismiss", "escalate"):
                if not typed:
                    self.view = self.view.with_message(f"{action} needs a reason; nothing changed", error=True)
                else:
                    self._act(action, reason=typed, case_id=self._prompt_case)
        elif key == "backspace":
            self.view = replace(self.view, typed=self.view.typed[:-1])
        elif key == "ctrl-u":
            self.view = replace(self.view, typed="")
        elif len(key) == 1 and key.isprintable():
            self.view = replace(self.view, typed=(self.view.typed + key)[:200])

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.filter = parse_filter(text)
        self.view = replace(self.view, selected=0, message=f"filter: {text}" if text else "filter cleared")
        self._selected_id = None
        self.refresh()

    def _act(self, action: str, *, reason: str = "", case_id: int | None = None) -> None:
        row = self.selected_case()
        target = case_id if case_id is not None else (row.case_id if row else None)
        if target is None:
            self.view = self.view.with_message("no case selected", error=True)
            return
        now = self.clock()
        try:
            if action == "claim":
                cases.claim(self.store, self.config, target, agent=self.agent, now=now)
                done = f"claimed case #{target}: it stays at the top of your view until you respond or dismiss"
            elif action == "respond":
                cases.respond(self.store, target, agent=self.agent, now=now)
                done = f"case #{target} marked responded"
            elif action == "dismiss":
                cases.dismiss(self.store, target, agent=self.agent, now=now, reason=reason)
                done = f"case #{target} dismissed: {reason}"
            else:
                cases.escalate(self.store, target, agent=self.agent, now=now, reason=reason)
                done = f"case #{target} escalated: {reason}"
        except MonitorError as exc:
            self.view = self.view.with_message(str(exc), error=True)
            self.refresh()
            return
        self.view = self.view.with_message(done)
        if action in ("claim", "escalate"):
            self._selected_id = target  # follow the case to its new place
        self._fairness_at = float("-inf")  # a response or dismissal changes today's figures now
        self.refresh()


# --- the terminal loop -------------------------------------------------------------------------


@contextlib.contextmanager
def cbreak(stream: IO[str]) -> Iterator[int]:
    """Keys arrive one by one without echo; Ctrl-C still raises SIGINT. Restores the tty on exit."""
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run_live(
    app: FeedApp,
    console: Console,
    *,
    stdin: IO[str] | None = None,
    refresh_seconds: float = REFRESH_SECONDS,
    on_tick: Callable[[], None] | None = None,
) -> None:
    """Show the feed until `q` (or Ctrl-C, which propagates as KeyboardInterrupt after the tty is restored)."""
    source = stdin or sys.stdin
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def draw() -> None:
        _track_terminal_size(console)
        live.update(app.frame(console.width, console.height), refresh=True)

    with (
        cbreak(source) as fd,
        _resize_signal() as resized,
        Live(console=console, screen=True, auto_refresh=False, transient=True) as live,
    ):
        next_refresh = time.monotonic() + refresh_seconds
        draw()
        while True:
            timeout = max(next_refresh - time.monotonic(), 0.0)
            ready, _, _ = select.select([fd, *resized], [], [], timeout)
            if resized and resized[0] in ready:  # the window changed size: redraw now, not at the next refresh
                os.read(resized[0], 64)
            if fd in ready:
                data = os.read(fd, 1024)
                if not data:  # the terminal went away
                    return
                for key in decode_keys(decoder.decode(data)):
                    if not app.handle_key(key):
                        return
            if time.monotonic() >= next_refresh:
                if on_tick is not None:
                    on_tick()
                app.refresh()
                next_refresh = time.monotonic() + refresh_seconds
            draw()


@contextlib.contextmanager
def _resize_signal() -> Iterator[list[int]]:
    """A pipe that becomes readable on SIGWINCH, for select(); empty when signals cannot be set here."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGWINCH"):
        yield []
        return
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)

    def _on_resize(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):  # pipe full: a redraw is already pending
            os.write(write_end, b"r")

    previous = signal.signal(signal.SIGWINCH, _on_resize)
    try:
        yield [read_end]
    finally:
        signal.signal(signal.SIGWINCH, previous)
        os.close(read_end)
        os.close(write_end)


def _track_terminal_size(console: Console) -> None:
    """Use the terminal's size now (it may have been resized), not $COLUMNS/$LINES from when the shell began."""
    try:
        size = os.get_terminal_size(console.file.fileno())
    except (OSError, ValueError, AttributeError):
        return
    if (size.columns, size.lines) != (console.width, console.height):
        console.size = (size.columns, size.lines)


def print_once(app: FeedApp, console: Console) -> None:
    """`monitor feed --once`: one snapshot at the console's width, everything gathered shown."""
    console.print(app.frame(console.width, None))
