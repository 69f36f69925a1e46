"""From stored mentions to the queue: classify what is unclassified and open a case for each complaint.

One store transaction per batch writes the verdicts and the cases together (Store.save_verdicts), so a
crash leaves every mention either fully processed or untouched. Re-running is idempotent (cases are UNIQUE
per mention), and a new model version reclassifies older verdicts without opening a second case for the
same mention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.config import Config
from monitor.models import Classifier, Verdict
from monitor.store.protocol import Store
from monitor.store.records import ClassifiedMention, NewCase, PendingMention


@dataclass(slots=True)
class PipelineResult:
    classified: int = 0
    complaints: int = 0
    cases_opened: int = 0
    batches: int = 0
    model_version: str = ""

    def as_dict(self) -> dict[str, int | str]:
        return {
            "classified": self.classified,
            "complaints": self.complaints,
            "cases_opened": self.cases_opened,
            "batches": self.batches,
            "model_version": self.model_version,
        }


def new_case(
    config: Config, *, severity: int | None, first_seen: datetime, brand: str | None, followers: int | None
) -> NewCase:
    """The SLA policy for a complaint: an unknown severity counts as 1; the deadline runs from first sight."""
    sev = severity if severity in config.sla else 1
    return NewCase(
        severity=sev, first_seen=first_seen, due_at=first_seen + config.sla_for(sev), brand=brand, followers=followers
    )


def _classified(config: Config, m: PendingMention, v: Verdict) -> ClassifiedMention:
    case = None
    if v.complaint:
        case = new_case(config, severity=v.severity, first_seen=m.first_seen, brand=m.brand, followers=m.followers)
    return ClassifiedMention(m.platform, m.id, v, case)


def process_pending(
    store: Store, config: Config, *, now: datetime, classifier: Classifier | None = None, batch_size: int = 1000
) -> PipelineResult:
    """Classify every unclassified mention and open complaint cases."""
    if classifier is None:
        from monitor.classify import load_classifier  # heavy import: only when the pipeline runs

        classifier = load_classifier()
    result = PipelineResult(model_version=classifier.version)
    while True:
        pending = store.pending_mentions(batch_size)
        if not pending:
            return result
        # classify outside the write lock: it is the slow part and the verdicts are pure
        verdicts = classifier.classify_batch([m.text for m in pending], [m.lang for m in pending])
        if len(verdicts) != len(pending):
            raise RuntimeError(f"classifier returned {len(verdicts)} verdicts for {len(pending)} texts")
        items = [_classified(config, m, v) for m, v in zip(pending, verdicts, strict=True)]
        saved = store.save_verdicts(classifier.version, items, now=now)
        result.classified += saved.classified
        result.complaints += saved.complaints
        result.cases_opened += saved.cases_opened
        result.batches += 1


def reset_classifications(store: Store, except_version: str) -> int:
    """Mark verdicts of other model versions as unclassified so `process_pending` redoes them.

    Cases already opened stay (UNIQUE per mention: no duplicates); a mention the new model calls a
    complaint that had no case gets one. Returns the number of mentions reset.
    """
    return store.reset_verdicts(except_version)
