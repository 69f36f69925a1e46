"""`monitor import`: bulk-load mentions from JSON Lines, idempotently, in batched transactions.

Format (one object per line):
  {"platform": "twitter", "id": "123", "url": "https://...", "text": "...",
   "created_at": "2026-11-28T09:15:00Z", "author": {"id": "42", "handle": "ana", "followers": 40},
   "brand": "Acme", "lang": "es", "engagement": {"likes": 3, "reposts": 0, "replies": 1, "views": 90}}
`brand`, `lang`, `engagement`, `author.followers` and `author.verified` are optional.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from monitor.models import Author, Engagement, Mention
from monitor.store.protocol import Store
from monitor.text import clean_text
from monitor.timeutil import parse_time

BATCH_SIZE = 5_000
MAX_REPORTED = 1_000  # rejected lines kept in the result; the count is always exact
MAX_COUNT = 2**63 - 1  # SQLite INTEGER range; a larger number would fail the whole batch
_PLATFORM = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]", re.ASCII)


def _show(value: Any, limit: int = 60) -> str:
    """A short, escaped rendering of user input for error messages (repr escapes control characters)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RecordError(ValueError):
    """One import record is unusable; the message says why."""


@dataclass(slots=True)
class Rejected:
    line: int
    reason: str


@dataclass(slots=True)
class ImportResult:
    lines: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[Rejected] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejections": [{"line": r.line, "reason": r.reason} for r in self.rejections],
        }


def _str_field(obj: dict[str, Any], key: str, where: str = "", *, allow_empty: bool = False) -> str:
    if key not in obj or obj[key] is None:
        raise RecordError(f"missing field '{where}{key}'")
    value = obj[key]
    if type(value) is str:  # the common case, checked first: this runs six times per line
        text = clean_text(value)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"field '{where}{key}' must be a string, got {type(value).__name__}")
    else:
        text = str(value)
    if not allow_empty and not text.strip():
        raise RecordError(f"field '{where}{key}' is empty")
    return text


def _count(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise RecordError(f"field '{where}{key}' must be a whole number >= 0, got {_show(value)}")
    return value


def parse_record(obj: Any) -> Mention:
    """Validate one decoded JSON object and build a Mention. Raises RecordError."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    platform = _str_field(obj, "platform").strip().lower()
    if not _PLATFORM.fullmatch(platform):
        raise RecordError(f"field 'platform' must be a short name like 'twitter', got {_show(platform)}")
    author = obj.get("author")
    if not isinstance(author, dict):
        raise RecordError("missing field 'author' (an object with id, handle, followers)")
    if obj.get("created_at") is None:
        raise RecordError("missing field 'created_at'")
    try:
        created = parse_time(obj["created_at"])
    except ValueError as exc:
        raise RecordError(f"bad 'created_at': {str(exc)[:160]}") from None
    engagement = obj.get("engagement") or {}
    if not isinstance(engagement, dict):
        raise RecordError("field 'engagement' must be an object")
    lang = obj.get("lang")
    brand = obj.get("brand")
    kind = obj.get("kind")
    for key, value in (("lang", lang), ("brand", brand), ("kind", kind)):
        if value is not None and not isinstance(value, str):
            raise RecordError(f"field '{key}' must be a string")
    return Mention(
        platform=platform,
        id=_str_field(obj, "id"),
        url=_str_field(obj, "url", allow_empty=True),
        text=_str_field(obj, "text", allow_empty=True),
        created_at=created,
        author=Author(
            id=_str_field(author, "id", "author."),
            handle=_str_field(author, "handle", "author.", allow_empty=True),
            followers=_count(author, "followers", "author."),
            verified=bool(author.get("verified", False)),
        ),
        brand=clean_text(brand) if brand else None,
        lang=clean_text(lang).lower() if lang else None,
        engagement=Engagement(
            likes=_count(engagement, "likes", "engagement.") or 0,
            reposts=_count(engagement, "reposts", "engagement.") or 0,
            replies=_count(engagement, "replies", "engagement.") or 0,
            views=_count(engagement, "views", "engagement."),
        ),
        kind=clean_text(kind) if kind else "post",
        raw=obj,
    )


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not, and they would poison the stored raw payload
    raise RecordError(f"not JSON: {name} is not a JSON value")


def _decode(raw: bytes) -> tuple[Mention, str]:
    """The Mention and the line's JSON text (stored as the raw payload, as received)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise RecordError("not JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise RecordError(f"not JSON: {str(exc)[:80]}") from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        # keep the stored payload free of lone surrogates: re-serialise; the store turns them into U+FFFD
        text = json.dumps(obj, ensure_ascii=False)
    return parse_record(obj), text


def parse_line(raw: bytes) -> Mention:
    return _decode(raw)[0]


def _records(lines: Iterable[bytes], result: ImportResult) -> Iterator[tuple[int, tuple[Mention, str] | RecordError]]:
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped:
            continue  # blank lines are not records
        result.lines += 1
        try:
            yield number, _decode(stripped)
        except RecordError as exc:
            yield number, exc


def import_lines(
    store: Store,
    lines: Iterable[bytes],
    *,
    now: datetime,
    on_reject: Callable[[Rejected], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Stream records into the store in batches; one transaction per batch. Memory stays flat.

    A crash between batches keeps every committed batch; rerunning the import adds only the rest.
    """
    result = ImportResult()
    batch: list[Mention] = []
    payloads: list[str] = []

    def flush() -> None:
        res = store.add_mentions(batch, fetched_at=now, source="import", raw_json=payloads)
        result.inserted += res.new
        result.duplicates += res.duplicates
        batch.clear()
        payloads.clear()

    for number, item in _records(lines, result):
        if isinstance(item, RecordError):
            rejected = Rejected(number, str(item))
            result.rejected += 1
            if len(result.rejections) < MAX_REPORTED:
                result.rejections.append(rejected)
            if on_reject:
                on_reject(rejected)
            continue
        batch.append(item[0])
        payloads.append(item[1])
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return result


def import_file(store: Store, stream: IO[bytes], *, now: datetime, **kwargs: Any) -> ImportResult:
    return import_lines(store, stream, now=now, **kwargs)
