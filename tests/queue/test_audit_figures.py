"""The audit on a hand-computed fixture, and audit_store on a real store matches it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import Config
from monitor.models import Case, CaseEvent, CaseState
from monitor.queue import cases
from monitor.queue.audit import audit, audit_store, tier_names, tier_of
from monitor.store import Store

from .conftest import T0, add_case, minutes, plain_config

H = timedelta(hours=1)


def case(
    i: int,
    followers: int | None,
    seen: datetime,
    sla: timedelta,
    responded: datetime | None = None,
    state: str = "responded",
    escalated: bool = False,
) -> Case:
    return Case(
        id=i,
        platform="twitter",
        mention_id=str(i),
        first_seen=seen,
        due_at=seen + sla,
        severity=2,
        followers=followers,
        state=CaseState(state),
        responded_at=responded,
        escalated=escalated,
    )


FIXTURE = [
    case(1, 40, T0, 2 * H, T0 + minutes(30)),  # <100: 30m, within
    case(2, 50, T0 + H, H, T0 + 3 * H),  # <100: 2h, late
    case(3, 99, T0 + 2 * H, 8 * H, state="new"),  # <100: open and past due -> a miss
    case(4, 10, T0, 8 * H, state="dismissed"),  # <100: dismissed, not in the shares
    case(5, 5000, T0, 4 * H, T0 + minutes(10), escalated=True),  # 1k-10k
    case(6, 5000, T0, 4 * H, T0 + minutes(20)),
    case(7, 5000, T0, 4 * H, T0 + minutes(60)),
    case(8, None, T0, 4 * H, T0 + minutes(1)),  # unknown tier, excluded from parity
    case(9, 200_000, T0 - H, 4 * H, T0),  # before the window
    case(10, 100, T0 + 23 * H, 8 * H, state="claimed"),  # 100-1k: open, not yet due
]
EVENTS = [
    CaseEvent(6, T0 + minutes(5), "ana", "claim", {"out_of_order": True, "rank": 4}),
    CaseEvent(7, T0 + minutes(6), "bo", "claim", {"rank": 1}),
    CaseEvent(5, T0 + minutes(2), "lead", "escalate", {"reason": "legal"}),
    CaseEvent(9, T0 - minutes(5), "ana", "claim", {"out_of_order": True}),  # outside the window
]


def test_tiers() -> None:
    bounds = [100, 1000, 10_000, 100_000]
    assert tier_names(bounds) == ["<100", "100-1k", "1k-10k", "10k-100k", ">=100k"]
    assert [tier_of(f, bounds) for f in (0, 99, 100, 999, 100_000, None)] == [
        "<100",
        "<100",
        "100-1k",
        "100-1k",
        ">=100k",
        "unknown",
    ]


def test_hand_computed_fixture() -> None:
    report = audit(FIXTURE, EVENTS, since=T0, until=T0 + 24 * H, now=T0 + 26 * H, config=plain_config())
    small = report.tier("<100")
    assert (small.complaints, small.answered, small.dismissed, small.still_open) == (4, 2, 1, 1)
    assert small.share_answered == pytest.approx(2 / 3)
    assert small.share_within_sla == pytest.approx(1 / 3)  # decided: cases 1, 2 and 3 (past due); within: 1
    assert small.median_ttfr == minutes(75) and small.p90_ttfr == 2 * H
    mid = report.tier("1k-10k")
    assert (mid.complaints, mid.answered, mid.within_sla, mid.escalated) == (3, 3, 3, 1)
    assert mid.median_ttfr == minutes(20) and mid.p90_ttfr == minutes(60)
    hundreds = report.tier("100-1k")
    assert (hundreds.complaints, hundreds.still_open, hundreds.share_within_sla, hundreds.median_ttfr) == (
        1,
        1,
        None,
        None,
    )
    assert report.tier(">=100k").complaints == 0  # case 9 is outside the window
    assert report.tier("unknown").answered == 1
    assert report.parity == pytest.approx(75 / 20)
    assert (report.slowest_tier, report.fastest_tier) == ("<100", "1k-10k")
    assert report.out_of_order_by_agent == {"ana": 1}
    assert report.escalations_by_agent == {"lead": 1}
    data = report.as_dict()
    assert data["complaints"] == 9 and data["parity"] == 3.75
    assert data["tiers"][0]["median_ttfr_seconds"] == 4500


def test_parity_undefined_with_one_measured_tier() -> None:
    report = audit(FIXTURE[:3], [], since=T0, until=T0 + 24 * H, now=T0 + 26 * H, config=plain_config())
    assert report.parity is None


def test_audit_store_and_cli_on_a_real_store(
    store: Store, config: Config, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = add_case(store, config, "1", severity=3, followers=40)
    big = add_case(store, config, "2", severity=3, followers=250_000)
    other = add_case(store, config, "3", severity=1, followers=40, seen=T0 + minutes(1))
    cases.claim(store, config, other, agent="ana", now=T0 + minutes(2))  # out of order: small/big are due first
    cases.release(store, other, agent="ana", now=T0 + minutes(3))
    cases.respond(store, big, agent="bo", now=T0 + minutes(10))
    cases.respond(store, small, agent="bo", now=T0 + minutes(30))
    cases.escalate(store, other, agent="lead", now=T0 + minutes(31), reason="press")
    report = audit_store(store, config, since=T0, until=T0 + H, now=T0 + H)
    assert report.tier("<100").median_ttfr == minutes(30)
    assert report.tier(">=100k").median_ttfr == minutes(10)
    assert report.tier("<100").still_open == 1
    assert report.parity == 3.0
    assert report.out_of_order_by_agent == {"ana": 1} and report.escalations_by_agent == {"lead": 1}
    code = main(
        [
            "--config",
            str(config_path),
            "audit",
            "--since",
            "2026-11-28T09:00:00Z",
            "--until",
            "2026-11-28T10:00:00Z",
            "--json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["tiers"][0]["median_ttfr_seconds"] == 1800
    assert main(["--config", str(config_path), "audit", "--since", "2026-11-28T09:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "parity" in out and "out-of-order picks: ana 1" in out
