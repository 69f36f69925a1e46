"""Discrete-event simulation of a care team working one queue, to compare service policies.

Model (deterministic for a seed):
- Arrivals: a Poisson process whose rate follows the day (night 0.4x, midday 1.6x of `rate` per hour).
- Staffing follows the same profile in hourly shifts: round(agents * profile(hour)) agents on duty (at least
  one), so `agents` is the average head count. An agent whose shift ends finishes the case in hand.
- Authors: heavy-tailed follower counts (log-normal, median 150; about 0.6% have >= 100k).
- Spread: interactions per minute grow with sqrt(followers) times a log-normal factor, and 3% of posts
  go viral whatever the account size, so a small account can spread too.
- Severity mix 4/3/2/1 = 10/20/35/35%; handling time log-normal, mean `handle_minutes`, 1..60 min.
- The first response is sent when handling ends; TTFR = response - arrival.

Policies: the same QueuePolicy objects the live queue uses (monitor.queue.policies): "fair" (the fair rule,
with the real boost function), "fifo" (first seen first), "followers" (biggest accounts first, the common
practice), and any installed plug-in. The audit is monitor.queue.audit's, so the figures mean exactly what
they mean on a real store.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.config import Config
from monitor.models import Case, CaseState
from monitor.queue.audit import AuditReport, audit
from monitor.queue.policies import QueuePolicy, get_policy

POLICIES = ("fair", "fifo", "followers")  # the built-in policies; --policy all runs every installed one
SEVERITY_MIX = ((4, 0.10), (3, 0.20), (2, 0.35), (1, 0.35))
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday; the day profile starts at midnight
VIRAL_SHARE = 0.03
OBSERVED_AFTER = timedelta(minutes=10)  # pollers see a post on average this long after it was posted


def day_profile(hour_of_day: float) -> float:
    """Relative load through the day: 0.4 at 04:00, 1.6 at 16:00, mean 1.0."""
    return 1.0 - 0.6 * math.cos(2 * math.pi * (hour_of_day - 4.0) / 24.0)


@dataclass(frozen=True, slots=True)
class SimCase:
    id: int
    arrival: float  # seconds since START
    severity: int
    followers: int
    velocity: float  # interactions per minute when observed
    handle: float  # seconds of agent work until the first response


@dataclass(frozen=True, slots=True)
class SimResult:
    policy: str
    params: dict[str, Any]
    arrivals: int
    utilisation: float
    report: AuditReport

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "params": self.params,
            "arrivals": self.arrivals,
            "utilisation": round(self.utilisation, 4),
            "audit": self.report.as_dict(),
        }


def default_rate(agents: int, handle_minutes: float, utilisation: float = 0.9) -> float:
    """Arrivals per hour that keep `agents` busy `utilisation` of the time on average."""
    return utilisation * agents * 60.0 / handle_minutes


def generate(*, hours: float, rate: float, seed: int, handle_minutes: float) -> list[SimCase]:
    rng = random.Random(seed)
    peak = rate * 1.6
    out: list[SimCase] = []
    t = 0.0
    sigma = 0.6  # handling-time spread; mu chosen so the mean is handle_minutes
    mu = math.log(handle_minutes * 60.0) - sigma**2 / 2
    while True:
        t += rng.expovariate(peak / 3600.0)
        if t >= hours * 3600.0:
            return out
        if rng.random() > day_profile((t / 3600.0) % 24) / 1.6:  # thinning
            continue
        followers = int(math.exp(rng.gauss(math.log(150), 2.6)))
        if rng.random() < VIRAL_SHARE:
            velocity = math.exp(rng.gauss(math.log(3.0), 0.7))
        else:
            velocity = 0.002 * math.sqrt(followers) * math.exp(rng.gauss(0, 1.2))
        r = rng.random()
        severity = 1
        for sev, share in SEVERITY_MIX:
            if r < share:
                severity = sev
                break
            r -= share
        handle = min(3600.0, max(60.0, math.exp(rng.gauss(mu, sigma))))
        out.append(SimCase(len(out), t, severity, followers, velocity, handle))


def as_case(case: SimCase, config: Config) -> Case:
    """The simulated complaint as the queue sees it, observed OBSERVED_AFTER after posting."""
    first = START + timedelta(seconds=case.arrival)
    observed_for = OBSERVED_AFTER
    return Case(
        id=case.id,
        platform="sim",
        mention_id=str(case.id),
        severity=case.severity,
        first_seen=first,
        due_at=first + config.sla_for(case.severity),
        followers=case.followers,
        likes=round(case.velocity * observed_for.total_seconds() / 60.0),
        posted_at=first - observed_for,
        observed_at=first,
    )


def simulate(
    policy: str | QueuePolicy,
    *,
    agents: int = 8,
    hours: float = 168.0,
    rate: float | None = None,
    seed: int = 1,
    config: Config,
    handle_minutes: float = 6.0,
) -> SimResult:
    """Run one policy over the same generated arrivals (same seed -> same arrivals for every policy)."""
    try:
        pol = get_policy(policy) if isinstance(policy, str) else policy
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if agents < 1 or hours <= 0:
        raise ValueError("agents must be >= 1 and hours > 0")
    per_hour = rate if rate is not None else default_rate(agents, handle_minutes)
    cases = generate(hours=hours, rate=per_hour, seed=seed, handle_minutes=handle_minutes)

    def on_duty(t: float) -> int:
        return max(1, round(agents * day_profile(math.floor(t / 3600.0) % 24 + 0.5)))

    waiting: list[tuple[tuple[Any, ...], int]] = []
    busy: list[float] = []  # heap of completion times
    responded: dict[int, float] = {}
    i = 0
    now = 0.0
    busy_time = duty_time = 0.0
    while i < len(cases) or waiting or busy:
        next_arrival = cases[i].arrival if i < len(cases) else math.inf
        next_done = busy[0] if busy else math.inf
        next_shift = (math.floor(now / 3600.0) + 1) * 3600.0
        t = min(next_arrival, next_done, next_shift)
        duty_time += on_duty(now) * (t - now)
        busy_time += len(busy) * (t - now)
        now = t
        if now == next_done:
            heapq.heappop(busy)
        elif now == next_arrival:
            heapq.heappush(waiting, (pol.key(as_case(cases[i], config), config.fairness), i))
            i += 1
        while waiting and len(busy) < on_duty(now):
            _, idx = heapq.heappop(waiting)
            done = now + cases[idx].handle
            responded[idx] = done
            heapq.heappush(busy, done)
    audit_cases = [
        replace(
            as_case(c, config),
            state=CaseState.RESPONDED,
            responded_at=START + timedelta(seconds=math.floor(responded[c.id])),
        )
        for c in cases
    ]
    end = START + timedelta(seconds=now + 1)
    report = audit(audit_cases, [], since=START, until=end, now=end, config=config)
    params = {
        "agents": agents,
        "hours": hours,
        "rate_per_hour": round(per_hour, 3),
        "seed": seed,
        "handle_minutes": handle_minutes,
        "max_reach_boost_seconds": int(config.fairness.max_reach_boost.total_seconds()),
    }
    return SimResult(pol.name, params, len(cases), busy_time / duty_time if duty_time else 0.0, report)


def compare(policies: list[str] | list[QueuePolicy], **kwargs: Any) -> list[SimResult]:
    return [simulate(p, **kwargs) for p in policies]


TARGET_PARITY = 1.10
TARGET_WITHIN_SLA = 0.95
TARGET_TOP_P90_RATIO = 1.5


def check_targets(fair: SimResult, followers: SimResult) -> dict[str, Any]:
    """The issue's targets for the fair policy, against followers-first on the same arrivals."""
    report = fair.report
    top = report.tiers[-1] if report.tiers[-1].tier != "unknown" else report.tiers[-2]
    top_followers = followers.report.tier(top.tier)
    ratio = None
    if top.p90_ttfr is not None and top_followers.p90_ttfr:
        ratio = top.p90_ttfr / top_followers.p90_ttfr
    shares = [t.share_within_sla for t in report.tiers if t.share_within_sla is not None]
    min_share = min(shares) if shares else None
    parity = report.parity
    return {
        "parity": parity,
        "parity_ok": parity is not None and round(parity, 2) <= TARGET_PARITY,
        "min_within_sla": min_share,
        "within_sla_ok": min_share is not None and min_share >= TARGET_WITHIN_SLA,
        "top_tier": top.tier,
        "top_p90_ratio_to_followers_first": ratio,
        "top_p90_ok": ratio is not None and ratio <= TARGET_TOP_P90_RATIO,
        "followers_first_parity": followers.report.parity,
    }
