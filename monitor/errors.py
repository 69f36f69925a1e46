"""A small error hierarchy; each class carries the process exit code the CLI uses.

Exit codes (documented in the README):
  0 ok · 1 unexpected bug · 2 config or usage error · 3 partial input (some lines rejected)
  4 input unreadable · 5 store error · 6 platform error · 7 not found · 8 conflict
  9 delivery failed · 10 quality guard failed · 130 interrupted
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base for expected errors: printed as one clear message, no traceback."""

    exit_code = 1


class ConfigError(MonitorError):
    """config.yaml is missing, malformed or invalid. The message names the key path and the fix."""

    exit_code = 2


class UsageError(MonitorError):
    """A command was called with a value it cannot use (e.g. --limit 0, a blank agent name or reason)."""

    exit_code = 2


class PartialInputError(MonitorError):
    """Some input records were rejected; the good ones were kept."""

    exit_code = 3


class InputError(MonitorError):
    """An input file cannot be read at all."""

    exit_code = 4


class StoreError(MonitorError):
    """The SQLite store cannot be opened or written (corrupt, read-only, disk full)."""

    exit_code = 5


class PlatformError(MonitorError):
    """A platform failed in a way polling cannot recover from by itself."""

    exit_code = 6


class NotFoundError(MonitorError):
    exit_code = 7


class ConflictError(MonitorError):
    """The requested state change is not allowed (e.g. the case is claimed by someone else)."""

    exit_code = 8


class DeliveryError(MonitorError):
    """Sending mail failed; nothing was recorded as sent."""

    exit_code = 9


class QualityError(MonitorError):
    """A model-quality guard failed (e.g. macro-F1 below the committed figure)."""

    exit_code = 10
