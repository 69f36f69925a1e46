"""Queue commands: queue, next, claim, respond, resolve, dismiss, escalate, release, audit, simulate, process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.app import AppContext, default_agent, echo_json, pass_app
from monitor.errors import UsageError
from monitor.models import Case
from monitor.queue import cases
from monitor.queue.audit import AuditReport, audit_store
from monitor.queue.policies import RankedCase, policy_names, ranked
from monitor.queue.simulate import POLICIES, SimResult, check_targets, compare
from monitor.queue.view import case_json
from monitor.text import for_terminal
from monitor.timeutil import format_duration, parse_duration, parse_time, to_iso, utcnow

TEXT_WIDTH = 80


def safe(value: Any, width: int | None = None) -> str:
    """Terminal-safe one-line text, cut to `width` cells (rich markup is avoided by printing Text objects)."""
    return for_terminal(None if value is None else str(value), oneline=True, max_cells=width)


agent_option = click.option(
    "--agent", default=default_agent, show_default="$MONITOR_AGENT or the OS user", help="Who is acting."
)
SQLITE_MAX_INT = 2**63 - 1  # larger numbers cannot be SQL parameters: reject them as usage errors, not crashes
case_id_arg = click.argument("case_id", metavar="ID", type=click.IntRange(max=SQLITE_MAX_INT))
json_option = click.option("--json", "as_json", is_flag=True, help="Print as JSON.")


def case_action(fn: Callable[..., None]) -> Callable[..., None]:
    """The shared shape of the case commands: ID, --agent, --json, and the AppContext as first argument."""
    return case_id_arg(agent_option(json_option(pass_app(fn))))


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _queue_table(ranked: list[RankedCase], now: datetime) -> Table:
    table = Table(show_lines=False, expand=False)
    for col in ("#", "id", "sev", "due in", "platform"):
        table.add_column(col, no_wrap=True)
    table.add_column("why", overflow="fold", min_width=16)
    table.add_column("text", overflow="fold", min_width=24)
    for r in ranked:
        c = r.case
        due = r.due_in(now)
        due_text = Text(format_duration(due), style="bold red" if due < timedelta(0) else "")
        table.add_row(
            str(r.position),
            str(c.id),
            str(c.severity),
            due_text,
            Text(safe(c.platform)),
            Text(safe(r.why)),
            Text(safe(c.text, TEXT_WIDTH)),
        )
    return table


@click.command("queue")
@click.option(
    "--limit",
    "-n",
    default=20,
    show_default=True,
    type=click.IntRange(max=SQLITE_MAX_INT),
    help="How many cases to show.",
)
@json_option
@pass_app
def queue_cmd(app: AppContext, limit: int, as_json: bool) -> None:
    """The unclaimed open cases in service order, with due-in and why (blind: no follower counts)."""
    now = utcnow()
    ranked = cases.top(app.store, app.config, now=now, limit=limit)
    if as_json:
        echo_json([case_json(r.case, r, now, app.config.fairness) for r in ranked])
        return
    if not ranked:
        click.echo("the queue is empty")
        return
    _console().print(_queue_table(ranked, now))


_SHOWN = (
    "id",
    "platform",
    "brand",
    "severity",
    "state",
    "due_at",
    "claimed_by",
    "claim_expires_at",
    "responded_at",
    "responded_by",
    "escalation_reason",
    "dismissed_reason",
    "author_handle",
    "followers",
    "verified",
    "url",
    "text",
)


def _print_case(app: AppContext, case: Case, *, as_json: bool, headline: str, ranked: RankedCase | None = None) -> None:
    """A case after an action: its JSON view (monitor.queue.view), or its fields as text, reach only if allowed."""
    now = utcnow()
    shown = case_json(case, ranked, now, app.config.fairness)
    if as_json:
        echo_json(shown)
        return
    console = _console()
    console.print(Text(headline, style="bold"))
    for key in _SHOWN:
        if shown.get(key) is not None and not (key == "verified" and shown[key] is False):
            console.print(Text(f"  {key}: ") + Text(safe(shown[key])))


@click.command("next")
@agent_option
@json_option
@pass_app
def next_cmd(app: AppContext, agent: str, as_json: bool) -> None:
    """Atomically claim the top unclaimed case for AGENT (two agents never get the same case)."""
    now = utcnow()
    ranked = cases.next_case(app.store, app.config, agent=agent, now=now)
    if ranked is None:
        if as_json:
            echo_json(None)
        else:
            click.echo("the queue is empty")
        return
    if as_json:
        echo_json(case_json(ranked.case, ranked, now, app.config.fairness))
        return
    c = ranked.case
    console = _console()
    console.print(Text(f"claimed case {c.id} for {safe(agent)}", style="bold"))
    console.print(Text(f"  {safe(ranked.why)}"))
    console.print(Text(f"  {safe(c.platform)} · {safe(c.url)}"))
    console.print(Text(f"  {safe(c.text)}"))


@click.command("claim")
@case_action
def claim_cmd(app: AppContext, case_id: int, agent: str, as_json: bool) -> None:
    """Claim case ID. Claiming a case that is not at the top is allowed, but logged and audited."""
    now = utcnow()
    got = cases.claim(app.store, app.config, case_id, agent=agent, now=now)
    note = f" (out of order: rank {got.rank})" if got.detail.get("out_of_order") else ""
    # the JSON position is the case's rank when it was claimed (absent for a renewal)
    place = ranked(got.case, got.rank, now, app.config) if got.rank is not None else None
    _print_case(app, got.case, as_json=as_json, headline=f"case {case_id} claimed by {safe(agent)}{note}", ranked=place)


@click.command("respond")
@click.option("--note", help="What was answered (kept in the event log).")
@case_action
def respond_cmd(app: AppContext, case_id: int, agent: str, note: str | None, as_json: bool) -> None:
    """Record a response to case ID (the first one sets the time to first response)."""
    case = cases.respond(app.store, case_id, agent=agent, now=utcnow(), note=note)
    _print_case(app, case, as_json=as_json, headline=f"case {case_id} responded")


@click.command("resolve")
@click.option("--note")
@case_action
def resolve_cmd(app: AppContext, case_id: int, agent: str, note: str | None, as_json: bool) -> None:
    """Close case ID as resolved."""
    case = cases.resolve(app.store, case_id, agent=agent, now=utcnow(), note=note)
    _print_case(app, case, as_json=as_json, headline=f"case {case_id} resolved")


@click.command("dismiss")
@click.option("--reason", required=True, help="Why it needs no answer (spam, not a complaint, duplicate...).")
@case_action
def dismiss_cmd(app: AppContext, case_id: int, reason: str, agent: str, as_json: bool) -> None:
    """Close open case ID without an answer, with a reason."""
    case = cases.dismiss(app.store, case_id, agent=agent, now=utcnow(), reason=reason)
    _print_case(app, case, as_json=as_json, headline=f"case {case_id} dismissed")


@click.command("escalate")
@click.option("--reason", required=True, help="Crisis, safety, legal...: why it jumps the line.")
@case_action
def escalate_cmd(app: AppContext, case_id: int, reason: str, agent: str, as_json: bool) -> None:
    """Escalate open case ID: it goes to the front of the queue; counted separately in the audit."""
    case = cases.escalate(app.store, case_id, agent=agent, now=utcnow(), reason=reason)
    _print_case(app, case, as_json=as_json, headline=f"case {case_id} escalated")


@click.command("release")
@case_action
def release_cmd(app: AppContext, case_id: int, agent: str, as_json: bool) -> None:
    """Give claimed case ID back to the queue."""
    case = cases.release(app.store, case_id, agent=agent, now=utcnow())
    _print_case(app, case, as_json=as_json, headline=f"case {case_id} released")


def _when(value: str, now: datetime) -> datetime:
    """An ISO time, epoch seconds, or a duration meaning that long ago ("24h", "7d")."""
    try:
        return parse_time(value)
    except ValueError:
        pass
    try:
        return now - parse_duration(value)
    except (ValueError, OverflowError):  # OverflowError: a duration reaching before year 1
        raise UsageError(f"{value!r} is neither a time (2026-11-28T00:00:00Z) nor a duration ago (24h)") from None


def _fmt_share(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _fmt_td(x: timedelta | None) -> str:
    if x is None:
        return "–"
    if timedelta(0) <= x < timedelta(hours=1):  # minutes and seconds: the differences that matter are small
        m, sec = divmod(int(x.total_seconds()), 60)
        return f"{m}m{sec:02d}s"
    return format_duration(x)


def audit_table(report: AuditReport, title: str = "") -> Table:
    table = Table(title=title or None)
    for col in ("tier", "complaints", "answered", "within SLA", "median TTFR", "p90 TTFR", "open", "dismissed"):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for t in report.tiers:
        table.add_row(
            t.tier,
            str(t.complaints),
            _fmt_share(t.share_answered),
            _fmt_share(t.share_within_sla),
            _fmt_td(t.median_ttfr),
            _fmt_td(t.p90_ttfr),
            str(t.still_open),
            str(t.dismissed),
        )
    return table


@click.command("audit")
@click.option("--since", default="24h", show_default=True, help="Start: ISO time or a duration ago (7d).")
@click.option("--until", default=None, help="End (exclusive): ISO time or a duration ago. Default: now.")
@json_option
@pass_app
def audit_cmd(app: AppContext, since: str, until: str | None, as_json: bool) -> None:
    """Fairness audit per follower tier for complaints first seen in [since, until)."""
    now = utcnow()
    start, end = _when(since, now), (_when(until, now) if until else now)
    if end <= start:
        raise UsageError("--until must be after --since")
    report = audit_store(app.store, app.config, since=start, until=end, now=now)
    if as_json:
        echo_json(report.as_dict())
        return
    console = _console()
    console.print(audit_table(report, f"fairness audit {to_iso(start)} – {to_iso(end)}"))
    parity = "undefined" if report.parity is None else f"{report.parity:.2f}"
    console.print(
        Text(
            f"parity (slowest/fastest median TTFR): {parity}"
            + (f"  [{report.slowest_tier} vs {report.fastest_tier}]" if report.slowest_tier else "")
        )
    )
    for label, counts in (
        ("out-of-order picks", report.out_of_order_by_agent),
        ("escalations", report.escalations_by_agent),
    ):
        shown = ", ".join(f"{safe(a)} {n}" for a, n in counts.items()) or "none"
        console.print(Text(f"{label}: {shown}"))


def simulate_table(results: list[SimResult]) -> Table:
    """Policies side by side: within-SLA share, median and p90 TTFR per tier, then parity."""
    table = Table(title="simulated care team: " + ", ".join(f"{k} {v}" for k, v in results[0].params.items()))
    table.add_column("tier")
    for r in results:
        table.add_column(f"{r.policy}\nSLA · median · p90", justify="right")
    for i, tier in enumerate(results[0].report.tiers):
        cells = []
        for r in results:
            t = r.report.tiers[i]
            cells.append(f"{_fmt_share(t.share_within_sla)} · {_fmt_td(t.median_ttfr)} · {_fmt_td(t.p90_ttfr)}")
        table.add_row(f"{tier.tier} ({tier.complaints})", *cells)
    table.add_row("parity", *("–" if r.report.parity is None else f"{r.report.parity:.2f}" for r in results))
    table.add_row("utilisation", *(f"{100 * r.utilisation:.1f}%" for r in results))
    return table


@click.command("simulate")
@click.option(
    "--policy",
    default="all",
    show_default=True,
    help=f"{' | '.join(POLICIES)} (or an installed plug-in), or all of them.",
)
@click.option("--agents", default=8, show_default=True, type=click.IntRange(min=1), help="Average agents on duty.")
@click.option(
    "--hours",
    default=720.0,
    show_default=True,
    type=click.FloatRange(min=1, max=24 * 366 * 5),
    help="Simulated time (up to five years).",
)
@click.option("--rate", type=click.FloatRange(min=0.1), help="Complaints per hour (default: 90% utilisation).")
@click.option("--handle-minutes", default=6.0, show_default=True, type=click.FloatRange(min=0.5))
@click.option("--seed", default=1, show_default=True, type=int)
@json_option
@pass_app
def simulate_cmd(
    app: AppContext,
    policy: str,
    agents: int,
    hours: float,
    rate: float | None,
    handle_minutes: float,
    seed: int,
    as_json: bool,
) -> None:
    """Simulate a care team under fair | fifo | followers (biggest accounts first) and compare audits."""
    known = policy_names()
    if policy != "all" and policy not in known:
        raise UsageError(f"--policy: unknown queue policy {policy!r}; choose one of: {', '.join(known)}, all")
    policies = known if policy == "all" else [policy]
    results = compare(
        policies, agents=agents, hours=hours, rate=rate, seed=seed, config=app.config, handle_minutes=handle_minutes
    )
    if as_json:
        echo_json([r.as_dict() for r in results])
        return
    console = _console()
    console.print(simulate_table(results))
    by_policy = {r.policy: r for r in results}
    if "fair" in by_policy and "followers" in by_policy:
        t = check_targets(by_policy["fair"], by_policy["followers"])

        def mark(ok: bool) -> str:
            return "met" if ok else "NOT met"

        ratio = t["top_p90_ratio_to_followers_first"]
        console.print(
            Text(
                f"targets (fair): parity {t['parity']:.3f} <= 1.10 {mark(t['parity_ok'])}; "
                f"every tier within SLA >= 95% (lowest {100 * (t['min_within_sla'] or 0):.1f}%) "
                f"{mark(t['within_sla_ok'])}; {t['top_tier']} p90 = "
                f"{'–' if ratio is None else f'{ratio:.2f}'}x followers-first's (<= 1.5) {mark(t['top_p90_ok'])}; "
                f"followers-first parity {t['followers_first_parity']:.2f}"
            )
        )


@click.command("process")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, SQLITE_MAX_INT))
@json_option
@pass_app
def process_cmd(app: AppContext, batch_size: int, as_json: bool) -> None:
    """Classify unclassified mentions and open a case for each complaint (idempotent)."""
    from monitor.ingest.pipeline import process_pending

    result = process_pending(app.store, app.config, now=utcnow(), batch_size=batch_size)
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(
            f"classified {result.classified}, complaints {result.complaints}, "
            f"cases opened {result.cases_opened} (model {result.model_version})"
        )


COMMANDS = [
    queue_cmd,
    next_cmd,
    claim_cmd,
    respond_cmd,
    resolve_cmd,
    dismiss_cmd,
    escalate_cmd,
    release_cmd,
    audit_cmd,
    simulate_cmd,
    process_cmd,
]
