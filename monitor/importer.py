"""`monitor import`: bulk-load mentions from JSON Lines, idempotently, in batched transactions.

Format (one object per line):
  {"platform": "twitter", "id": "123", "url": "https://...", "text": "...",
   "created_at": "2026-11-28T09:15:00Z", "author": {"id": "42", "handle": "ana", "followers": 40},
   "brand": "Acme", "lang": "es", "engagement": {"likes": 3, "reposts": 0, "replies": 1, "views": 90}}
`brand`, `lang`, `engagement`, `author.followers` and `author.verified` are optional.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from monitor.models import Author, Engagement, Mention
from monitor.store import Store
from monitor.text import clean_text
from monitor.timeutil import parse_time

BATCH_SIZE = 5_000
MAX_REPORTED = 1_000  # rejected lines kept in the result; the count is always exact


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
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"field '{where}{key}' must be a string, got {type(value).__name__}")
    text = clean_text(str(value))
    if not allow_empty and not text.strip():
        raise RecordError(f"field '{where}{key}' is empty")
    return text


def _count(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"field '{where}{key}' must be a whole number >= 0, got {value!r}")
    return value


def parse_record(obj: Any) -> Mention:
    """Validate one decoded JSON object and build a Mention. Raises RecordError."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    platform = _str_field(obj, "platform").strip().lower()
    author = obj.get("author")
    if not isinstance(author, dict):
        raise RecordError("missing field 'author' (an object with id, handle, followers)")
    try:
        created = parse_time(obj.get("created_at") or "")
    except ValueError as exc:
        raise RecordError(f"bad 'created_at': {exc}") from None
    engagement = obj.get("engagement") or {}
    if not isinstance(engagement, dict):
        raise RecordError("field 'engagement' must be an object")
    lang = obj.get("lang")
    brand = obj.get("brand")
    for key, value in (("lang", lang), ("brand", brand)):
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
        kind=str(obj.get("kind") or "post"),
        raw=obj,
    )


def parse_line(raw: bytes) -> Mention:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise RecordError("not JSON: nested too deeply") from None
    return parse_record(obj)


def _records(lines: Iterable[bytes], result: ImportResult) -> Iterator[tuple[int, Mention | RecordError]]:
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped:
            continue  # blank lines are not records
        result.lines += 1
        try:
            yield number, parse_line(stripped)
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

    def flush() -> None:
        res = store.add_mentions(batch, fetched_at=now, source="import")
        result.inserted += res.new
        result.duplicates += res.duplicates
        batch.clear()

    for number, item in _records(lines, result):
        if isinstance(item, RecordError):
            rejected = Rejected(number, str(item))
            result.rejected += 1
            if len(result.rejections) < MAX_REPORTED:
                result.rejections.append(rejected)
            if on_reject:
                on_reject(rejected)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return result


def import_file(store: Store, stream: IO[bytes], *, now: datetime, **kwargs: Any) -> ImportResult:
    return import_lines(store, stream, now=now, **kwargs)
