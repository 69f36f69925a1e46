"""The Store boundary: every operation the rest of the code needs from a store, and nothing backend-specific.

SQLite (monitor.store.sqlite) implements it today; a PostgreSQL backend implements the same protocol.
No SQL, connection or cursor object crosses this boundary: only the plain records of monitor.store.records.
Every backend fault comes out as monitor.errors.StoreError (exit code 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol, Self

from monitor.models import Mention, MentionFilter
from monitor.store.protocol_cases import CaseStore
from monitor.store.records import (
    ClassifiedMention,
    ConnectorState,
    DayRows,
    DigestSent,
    InsertResult,
    MentionView,
    PendingMention,
    PollActivity,
    PollRun,
    SavedVerdicts,
    StoreStatus,
)


class Store(CaseStore, Protocol):
    """A connection to one store. Not shared across threads: open one per thread."""

    # --- the connection ----------------------------------------------------------------------

    @property
    def location(self) -> str:
        """Where the store is, for messages: a file path or a URL without credentials."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def snapshot(self) -> AbstractContextManager[None]:
        """One read transaction: every read inside sees the same state while others write."""
        ...

    def check(self, *, quick: bool = False) -> list[str]:
        """The backend's own consistency check; [] when healthy, else one line per problem."""
        ...

    def status(self) -> StoreStatus: ...

    # --- ingest and polling --------------------------------------------------------------------

    def add_mentions(
        self, mentions: Sequence[Mention], *, fetched_at: datetime, source: str, raw_json: Sequence[str] | None = None
    ) -> InsertResult:
        """Insert a batch in one transaction; a (platform, id) already stored is left as it was.

        raw_json: the payloads as received, parallel to `mentions`; by default each Mention.raw is serialised.
        """
        ...

    def record_poll(self, run: PollRun, mentions: Sequence[Mention], cursor: dict[str, Any] | None) -> InsertResult:
        """One transaction: mentions, authors, the new cursor (None keeps the stored one) and the run record."""
        ...

    def record_failed_poll(self, run: PollRun) -> None:
        """Only the run record of a poll that did not complete; mentions and cursor stay."""
        ...

    def get_cursor(self, platform: str, brand: str, query: str) -> dict[str, Any] | None: ...

    def set_connector_state(
        self, platform: str, state: str, *, now: datetime, until: datetime | None = None, detail: str = ""
    ) -> None: ...

    def connector_states(self) -> dict[str, ConnectorState]: ...

    def poll_activity(self, platforms: Sequence[str], *, since: datetime) -> dict[str, PollActivity]:
        """Per platform: the newest poll run, and the new mentions of the runs finished at or after `since`."""
        ...

    def add_quota_units(self, platform: str, day: str, units: int) -> None: ...

    def quota_units(self, platform: str, day: str) -> int: ...

    def cached_reach(self, platform: str, ids: Sequence[str], *, since: datetime) -> dict[str, int | None]:
        """Reach of the given authors looked up at or after `since` (authors not looked up are absent)."""
        ...

    def save_reach(self, platform: str, reach: dict[str, int | None], *, now: datetime) -> None: ...

    # --- the pipeline --------------------------------------------------------------------------

    def pending_mentions(self, limit: int) -> list[PendingMention]:
        """Up to `limit` unclassified mentions, oldest fetched first."""
        ...

    def save_verdicts(self, model_version: str, items: Sequence[ClassifiedMention], *, now: datetime) -> SavedVerdicts:
        """One transaction: the verdicts, and a case (with its `open` event) for each item that carries one.

        A mention already classified is skipped; a mention that already has a case gets no second one.
        """
        ...

    def reset_verdicts(self, except_version: str) -> int:
        """Mark verdicts of other model versions unclassified; returns how many mentions were reset."""
        ...

    # --- the feed and search -------------------------------------------------------------------

    def recent_mentions(self, limit: int, flt: MentionFilter | None = None) -> list[MentionView]:
        """The newest mentions in arrival order; a filter looks through a bounded set of the newest matches."""
        ...

    def search(self, text: str, limit: int) -> list[MentionView]:
        """Mentions containing every word of `text` (a word matches the start of a word), newest posted first."""
        ...

    # --- the digest ----------------------------------------------------------------------------

    def day_rows(self, since: datetime, until: datetime, *, unanswered_limit: int = 0) -> DayRows: ...

    def digest_sent(self, day: date, recipient: str) -> DigestSent | None:
        """The delivery record of `day`'s digest to `recipient` (a bare lower-case address), if any."""
        ...

    def mark_digest_sent(self, day: date, recipient: str, *, sent_at: datetime, message_id: str) -> None: ...
