"""The case and queue half of the Store boundary (see monitor.store.protocol).

Reads return monitor.models types; writes are `transition`s decided by monitor.queue.cases (which states
allow which action, who may act) and applied here with their event in one write transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from monitor.models import Case, CaseEvent, CaseLabels, MentionFilter, OpenCaseCounts, Transition


class CaseStore(Protocol):
    """Case lifecycle and queue operations every store backend implements."""

    def available_cases(
        self,
        now: datetime,
        *,
        due_by: datetime | None = None,
        due_from: datetime | None = None,
        due_after: datetime | None = None,
        escalated: bool | None = None,
        flt: MentionFilter | None = None,
        exclude: int | None = None,
    ) -> list[Case]:
        """The cases in the queue at `now` (new, or claimed with an expired claim), with their mentions; optionally
        only those due by (<=) / from (>=) / after (>) a time, escalated or not, matching a filter, or not `exclude`.

        Open cases have no response, resolution or dismissal: those fields stay None."""
        ...

    def nth_available_due(self, now: datetime, n: int, flt: MentionFilter | None = None) -> datetime | None:
        """The n-th smallest due_at (1-based) among the available cases; None when fewer than n."""
        ...

    def count_available(self, now: datetime, *, due_before: datetime, escalated: bool = False) -> int:
        """How many available cases (escalated or not) are due strictly before `due_before`."""
        ...

    def case(self, case_id: int) -> Case:
        """One case with its mention, whatever its state. Raises NotFoundError."""
        ...

    def case_events(self, case_id: int) -> list[CaseEvent]:
        """The case's event log, oldest first."""
        ...

    def case_labels(self, case_ids: Sequence[int]) -> dict[int, CaseLabels]:
        """The classifier's language, reasons and signals for the cases' mentions."""
        ...

    def my_claims(self, agent: str, now: datetime, flt: MentionFilter | None = None, limit: int = 30) -> list[Case]:
        """The agent's live claims, earliest deadline first."""
        ...

    def open_case_counts(self, now: datetime, agent: str) -> OpenCaseCounts:
        """Open cases, how many are past due, and how many others hold a live claim on."""
        ...

    def transition(self, now: datetime, decide: Callable[[], Transition | None]) -> Case | None:
        """In one write transaction: return expired claims to the queue (an `expire` event each), call
        `decide` (which may read the store and raises to refuse), write its Transition with one event and
        return the case as written (transition.after); None (nothing written but expiries) when `decide` returns
        None."""
        ...

    def audit_rows(self, since: datetime, until: datetime) -> tuple[list[Case], list[CaseEvent]]:
        """Cases first seen in [since, until) (case fields only) and the claim and escalate events in it."""
        ...
