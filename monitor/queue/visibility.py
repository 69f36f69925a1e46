"""Blind triage: the one rule for when an author's reach (follower count, verified badge) may be shown.

Reach is shown when blind triage is off, or while the case is under a live claim, and nowhere else:

- an unclaimed case (in the queue, or with an expired claim) hides it: that is where agents choose what to
  work on, and the choice must not depend on who is complaining;
- a live claim shows it to everyone who looks at that case (the holder needs it to answer well): the case
  was already chosen, by the ranking (`next`) or by an audited, ranked `claim`;
- a case that left the queue without a live claim (responded, resolved, dismissed, released) hides it
  again: otherwise `dismiss` or `release` would reveal reach without committing to the case, and a
  released case goes straight back into the queue.

The author's handle is not reach: it is shown everywhere (an agent needs it to answer). Every view applies
this rule: the commands' text and JSON (monitor.queue.view.case_json) and the feed (monitor.feed).
"""

from __future__ import annotations

from datetime import datetime

from monitor.config import FairnessConfig
from monitor.models import Case

REACH_FIELDS = ("followers", "verified")


def reach_visible(*, blind_triage: bool, live_claim: bool) -> bool:
    """The rule on its two facts (for views that carry them rather than a Case)."""
    return not blind_triage or live_claim


def shows_reach(case: Case, *, fairness: FairnessConfig, now: datetime) -> bool:
    """Whether `case`'s follower count and verified badge may be shown at `now`."""
    return reach_visible(blind_triage=fairness.blind_triage, live_claim=case.live_claim(now))
