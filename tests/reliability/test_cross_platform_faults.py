"""Platform faults: the fake platforms fail 30 % of requests; repeated polls end with exactly the server's truth.

Faults (connectors/fake/routes.py FAULTS): 429 storms with reset / retry-after, 5xx, slow responses (beyond the
0.5 s client timeout: real timeouts), malformed and truncated JSON, malformed items, items repeated from the
previous page, and expired Reddit access tokens. New mentions keep arriving while the faults happen. Time is
simulated: the engine's `now` moves one minute per round, so rate-limit backoffs are respected, not skipped.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cm_testing.cross import SEED, fake_credentials, full, integrity, query, tally, write_config

from connectors.fake import start_fake_platforms
from monitor.config import load_config
from monitor.ingest.poll import poll_once
from monitor.store import open_store

pytestmark = pytest.mark.reliability

ROUND = timedelta(minutes=1)
RETRY_AFTER = 300  # a 429 says "come back in 5 minutes": 5 simulated rounds of backoff


def stored(db: Path) -> list[tuple[str, str]]:
    return [(p, i) for p, i in query(db, "SELECT platform, id FROM mentions")]


def run_scenario(tmp: Path, seed: int, *, arrival_rounds: int, max_rounds: int) -> dict[str, object]:
    """Poll through faults while mentions arrive, then until the store holds the truth. Returns the outcome."""
    start = datetime.now(UTC).replace(microsecond=0)
    sim = [start]
    arrivals_end = start + arrival_rounds * ROUND
    fake = start_fake_platforms(
        seed=seed,
        mentions=90,
        fault_rate=0.3,
        rate_per_minute=6,
        clock=lambda: min(sim[0], arrivals_end),
        retry_after=RETRY_AFTER,
    )
    try:
        os.environ.update(fake_credentials())
        fast = {"timeout": "0.5s", "retry_wait_max": "0.05s"}  # "slow" faults (0.2-1 s) become real timeouts
        cfg = load_config(
            write_config(
                tmp / "config.yaml",
                fake.base_url,
                tmp / "store.db",
                max_pages=3,
                platforms={"twitter": fast, "reddit": fast, "youtube": fast},
            )
        )
        rounds = 0
        statuses: Counter[str] = Counter()
        with open_store(cfg.store) as store:
            while rounds < max_rounds:
                if rounds == 1:  # a sure storm on top of the random ones: the backoff must be waited out
                    fake.inject("twitter", "429", times=3)
                    fake.inject("reddit", "429", times=3)
                report = poll_once(cfg, store, now=sim[0])
                statuses.update(p.status for p in report.platforms.values())
                rounds += 1
                sim[0] += ROUND
                if sim[0] > arrivals_end and set(stored(cfg.store)) == fake.truth():
                    break
            # quiet: a few more rounds (faults still on) add nothing and keep every platform at the truth
            for _ in range(3):
                poll_once(cfg, store, now=sim[0])
                sim[0] += ROUND
        truth = fake.truth()
        rows = stored(cfg.store)
        dup_cases = query(
            cfg.store, "SELECT platform, mention_id FROM cases GROUP BY platform, mention_id HAVING count(*) > 1"
        )
        unprocessed = query(cfg.store, "SELECT count(*) FROM mentions WHERE classified_at IS NULL")[0][0]
        # an expired token must be renewed, not reported as rejected credentials (that pauses the poller)
        auth_errors = query(cfg.store, "SELECT count(*) FROM poll_runs WHERE status = 'auth_error'")[0][0]
        return {
            "rounds": rounds,
            "missing": len(truth - set(rows)),
            "extra": len(set(rows) - truth),
            "duplicates": len(rows) - len(set(rows)) + len(dup_cases),
            "truth": len(truth),
            "unprocessed": unprocessed,
            "auth_errors": auth_errors,
            "integrity": integrity(cfg.store),
            "faults": dict(fake.state.faults_served),
            "statuses": dict(statuses),
        }
    finally:
        fake.stop()


def test_store_equals_truth_after_faulty_polls(tmp_path: Path) -> None:
    scenarios = full(2, 8)
    served: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    survived = lost = 0
    outcomes = []
    for n in range(scenarios):
        out = run_scenario(tmp_path / f"s{n}", SEED + n, arrival_rounds=full(4, 10), max_rounds=80)
        outcomes.append(out)
        served.update(out["faults"])  # type: ignore[arg-type]
        statuses.update(out["statuses"])  # type: ignore[arg-type]
        lost += int(out["missing"])  # type: ignore[call-overload]
        ok = out["missing"] == out["extra"] == out["duplicates"] == out["unprocessed"] == out["auth_errors"] == 0
        survived += ok and out["integrity"] == "ok"
    tally(
        "platform-faults",
        scenarios,
        survived,
        lost,
        faults_served=sum(served.values()),
        by_kind=dict(sorted(served.items())),
        platform_rounds=dict(sorted(statuses.items())),
    )
    assert survived == scenarios, outcomes
    assert lost == 0
    # the mix really happened (every fault kind at least once over the scenarios) ...
    kinds = {"429", "5xx", "slow", "malformed_json", "truncated", "bad_item", "repeat", "expired_token"}
    assert set(served) >= kinds, served
    # ... and the long retry-after was honoured: the engine waited (status "backoff") instead of hammering
    assert statuses["backoff"] > 0, statuses
