"""Log output: plain lines for the CLI, JSON lines for services, a file (or nothing) while the feed owns the screen.

Log messages carry user content (connector errors quote payloads, ids, reasons), so both formatters make it
inert: the plain one escapes each line with text.for_log (a newline or ESC in a message cannot forge a log line
or recolour the terminal), the JSON one relies on json.dumps for C0 and escapes the rest with text.for_json.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import IO, Any

from monitor.text import for_json, for_log

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PlainLogFormatter(logging.Formatter):
    """logging.Formatter whose message is one escaped line; tracebacks keep their lines, each escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return for_log(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return "\n".join(for_log(line) for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(for_log(line) for line in super().formatStack(stack_info).splitlines())


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, plus any `extra={...}` fields."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return for_json(json.dumps(out, ensure_ascii=False, default=str))


def use_plain_logs(level: int, stream: IO[str] | None = None) -> None:
    """The CLI's default: plain escaped lines on stderr at `level`.

    Like logging.basicConfig, this does nothing when the root logger already has handlers (a host such as
    pytest, or use_json_logs, chose already).
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(PlainLogFormatter(PLAIN_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)


def use_json_logs(stream: IO[str] | None = None, level: int = logging.INFO) -> None:
    """Route all logging to `stream` (stderr) as JSON lines, replacing existing handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(min(root.level, level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def quiet_logs_for_screen(path: Path | None = None) -> None:
    """While the full-screen feed owns the terminal, log lines would tear it: send them to a file or drop them."""
    root = logging.getLogger()
    handler: logging.Handler = logging.FileHandler(path) if path else logging.NullHandler()
    handler.setFormatter(JsonLogFormatter())
    root.handlers[:] = [handler]
    if path:
        root.setLevel(min(root.level, logging.INFO))
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
