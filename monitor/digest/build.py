"""Pure: a day's rows and fairness audit in, the digest's figures out. No clock, no store, no network."""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from monitor.config import Config
from monitor.digest.load import CaseRow, DayRows
from monitor.digest.themes import brand_words, group_terms, label, term_counts
from monitor.queue.audit import AuditReport, TierFigures, p90
from monitor.text import for_html, safe_url

TEXT_LIMIT = 280
MAX_THEMES = 8
MIN_THEME_COUNT = 2


@dataclass(frozen=True, slots=True)
class Count:
    name: str
    mentions: int
    complaints: int


@dataclass(frozen=True, slots=True)
class CaseFigures:
    opened: int
    answered: int
    within_sla: int
    decided: int  # answered, or unanswered and past its deadline (monitor.queue.audit's denominator for "in SLA")
    breached: int  # answered late, or still open past the deadline
    still_open: int
    dismissed: int  # closed without a response (not a complaint after all, spam, ...)


@dataclass(frozen=True, slots=True)
class OpenCase:
    id: int
    platform: str
    brand: str
    severity: int
    handle: str
    followers: int | None
    text: str
    url: str | None
    first_seen: datetime
    waiting: timedelta
    overdue: timedelta | None


@dataclass(frozen=True, slots=True)
class Theme:
    term: str
    count: int
    previous: int
    example: str
    example_url: str | None


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    kind: str  # count | share | duration
    today: float | None
    previous: float | None
    worse_when_higher: bool | None  # None: neither direction is good or bad (volume)


@dataclass(frozen=True, slots=True)
class DayData:
    """What the digest needs about one day: its rows and its fairness audit."""

    rows: DayRows
    audit: AuditReport  # monitor.queue.audit.audit_store over the same window


@dataclass(frozen=True)
class Digest:
    day: date
    timezone: str
    since: datetime
    until: datetime
    now: datetime
    partial: bool  # built before the day ended: later complaints and answers are missing
    mentions: int
    complaint_mentions: int
    by_platform: list[Count]
    by_brand: list[Count]
    by_language: list[Count]
    cases: CaseFigures
    median: timedelta | None  # time to first response, all tiers
    p90: timedelta | None
    tiers: list[TierFigures]
    parity: float | None  # slowest tier median / fastest tier median (monitor.queue.audit)
    slowest_tier: str | None
    fastest_tier: str | None
    parity_limit: float
    parity_alert: bool
    oldest: list[OpenCase]
    themes: list[Theme]
    changes: list[Change]
    out_of_order: list[tuple[str, int]]  # (agent, picks)
    escalations: list[tuple[str, int]]  # (agent, escalations)
    sla: dict[int, timedelta] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(dataclasses.asdict(self))
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _counts(pairs: Iterable[tuple[str, bool]]) -> list[Count]:
    mentions: Counter[str] = Counter()
    complaints: Counter[str] = Counter()
    for name, complaint in pairs:
        mentions[name] += 1
        complaints[name] += complaint
    ordered = sorted(mentions.items(), key=lambda x: (-x[1], x[0]))
    return [Count(for_html(n, max_chars=60), c, complaints[n]) for n, c in ordered]


def case_figures(report: AuditReport) -> CaseFigures:
    """Totals over the audit's tiers, so the digest and the audit can never disagree."""
    t = report.tiers
    within = sum(x.within_sla for x in t)
    return CaseFigures(
        opened=report.complaints,
        answered=sum(x.answered for x in t),
        within_sla=within,
        decided=sum(x.decided for x in t),
        breached=sum(x.decided for x in t) - within,
        still_open=sum(x.still_open for x in t),
        dismissed=sum(x.dismissed for x in t),
    )


def response_times(cases: list[CaseRow]) -> tuple[timedelta | None, timedelta | None]:
    """Median and p90 time to first response over all tiers (same definitions as monitor.queue.audit)."""
    ttfr = [c.responded_at - c.first_seen for c in cases if c.responded_at is not None]
    if not ttfr:
        return None, None
    return timedelta(seconds=statistics.median(x.total_seconds() for x in ttfr)), p90(ttfr)


def _by_agent(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(for_html(a, max_chars=60), n) for a, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


def _open_case(c: CaseRow, now: datetime) -> OpenCase:
    return OpenCase(
        id=c.id,
        platform=for_html(c.platform, max_chars=30),
        brand=for_html(c.brand, max_chars=60),
        severity=c.severity,
        handle=for_html(c.handle, max_chars=60),
        followers=c.followers,
        text=for_html(c.text, max_chars=TEXT_LIMIT),
        url=safe_url(c.url),
        first_seen=c.first_seen,
        waiting=now - c.first_seen,
        overdue=now - c.due_at if now > c.due_at else None,
    )


def _themes(today: list[CaseRow], previous: list[CaseRow], ignore: frozenset[str]) -> list[Theme]:
    texts = [for_html(c.text) for c in today]
    before = term_counts((for_html(c.text) for c in previous), ignore=ignore)
    themes: list[Theme] = []
    for group in group_terms(texts, ignore=ignore, limit=MAX_THEMES, min_count=MIN_THEME_COUNT):
        # the example is the most severe, then earliest complaint that uses the lead term
        i = min(group.docs, key=lambda i: (-today[i].severity, today[i].first_seen, today[i].id))
        example = texts[i]
        themes.append(
            Theme(
                for_html(label(group.terms, example), max_chars=80),
                len(group.docs),
                before.get(group.lead, 0),
                for_html(example, max_chars=160),
                safe_url(today[i].url),
            )
        )
    return themes


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _seconds(delta: timedelta | None) -> float | None:
    return delta.total_seconds() if delta is not None else None


def build_digest(today: DayData, previous: DayData, *, day: date, now: datetime, config: Config) -> Digest:
    """The figures of `day` (with `previous`, the day before, for what changed). Pure."""
    rows, report = today.rows, today.audit
    cases = case_figures(report)
    prev_cases = case_figures(previous.audit)
    median, p90_ = response_times(rows.cases)
    prev_median, _ = response_times(previous.rows.cases)
    limit = config.fairness.parity_alert
    changes = [
        Change("Mentions", "count", len(rows.mentions), len(previous.rows.mentions), None),
        Change("Complaints opened", "count", cases.opened, prev_cases.opened, True),
        Change(
            "Answered within SLA",
            "share",
            _share(cases.within_sla, cases.decided),
            _share(prev_cases.within_sla, prev_cases.decided),
            False,
        ),
        Change("Still open", "count", cases.still_open, prev_cases.still_open, True),
        Change("Median first response", "duration", _seconds(median), _seconds(prev_median), True),
        Change("Parity ratio", "ratio", report.parity, previous.audit.parity, True),
    ]
    return Digest(
        day=day,
        timezone=config.timezone,
        since=rows.since,
        until=rows.until,
        now=now,
        partial=now < rows.until,
        mentions=len(rows.mentions),
        complaint_mentions=sum(m.complaint for m in rows.mentions),
        by_platform=_counts((m.platform, m.complaint) for m in rows.mentions),
        by_brand=_counts((m.brand or "(none)", m.complaint) for m in rows.mentions),
        by_language=_counts((m.language or "und", m.complaint) for m in rows.mentions),
        cases=cases,
        median=median,
        p90=p90_,
        tiers=list(report.tiers),
        parity=report.parity,
        slowest_tier=report.slowest_tier,
        fastest_tier=report.fastest_tier,
        parity_limit=limit,
        parity_alert=report.parity is not None and report.parity > limit,
        oldest=[_open_case(c, now) for c in rows.unanswered],
        themes=_themes(rows.cases, previous.rows.cases, brand_words([b.name for b in config.brands])),
        changes=changes,
        out_of_order=_by_agent(report.out_of_order_by_agent),
        escalations=_by_agent(report.escalations_by_agent),
        sla=dict(config.sla),
    )
