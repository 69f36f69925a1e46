"""From stored mentions to the queue: classify what is unclassified and open a case for each complaint.

One transaction per batch writes the verdict columns and the cases together, so a crash leaves every
mention either fully processed or untouched. Re-running is idempotent (cases are UNIQUE per mention), and a
new model version reclassifies older verdicts without opening a second case for the same mention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from monitor.cases import open_case
from monitor.config import Config
from monitor.models import Classifier
from monitor.store import Store
from monitor.timeutil import to_iso


@dataclass(slots=True)
class PipelineResult:
    classified: int = 0
    complaints: int = 0
    cases_opened: int = 0
    batches: int = 0
    model_version: str = ""

    def as_dict(self) -> dict[str, int | str]:
        return {
            "classified": self.classified, "complaints": self.complaints, "cases_opened": self.cases_opened,
            "batches": self.batches, "model_version": self.model_version,
        }  # fmt: skip


_SELECT_BATCH = """
    SELECT platform, id, text, lang, brand, min(created_at, fetched_at), author_followers
    FROM mentions WHERE model_version IS NULL ORDER BY fetched_at, platform, id LIMIT ?
"""
_WRITE_VERDICT = """
    UPDATE mentions SET language = ?, complaint = ?, score = ?, severity = ?, reasons = ?, signals = ?,
        model_version = ?, classified_at = ?
    WHERE platform = ? AND id = ? AND model_version IS NULL
"""


def process_pending(
    store: Store, config: Config, *, now: datetime, classifier: Classifier | None = None, batch_size: int = 1000
) -> PipelineResult:
    """Classify every unclassified mention (partial index mentions_unclassified) and open complaint cases."""
    if classifier is None:
        from monitor.classify import load_classifier  # heavy import: only when the pipeline runs

        classifier = load_classifier()
    result = PipelineResult(model_version=classifier.version)
    stamp = to_iso(now)
    while True:
        with store.errors():
            rows = store.conn.execute(_SELECT_BATCH, (batch_size,)).fetchall()
        if not rows:
            return result
        # classify outside the write lock: it is the slow part and the verdicts are pure
        verdicts = classifier.classify_batch([r[2] for r in rows], [r[3] for r in rows])
        if len(verdicts) != len(rows):
            raise RuntimeError(f"classifier returned {len(verdicts)} verdicts for {len(rows)} texts")
        with store.errors(), store.transaction() as conn:
            for (platform, mid, _text, _lang, brand, first_seen, followers), v in zip(rows, verdicts, strict=True):
                changed = conn.execute(
                    _WRITE_VERDICT,
                    (v.language, int(v.complaint), v.score, v.severity if v.complaint else None,
                     json.dumps(list(v.reasons), ensure_ascii=False), json.dumps(v.signals, sort_keys=True),
                     classifier.version, stamp, platform, mid),
                ).rowcount  # fmt: skip
                if not changed:  # another process classified it meanwhile
                    continue
                result.classified += 1
                if v.complaint:
                    result.complaints += 1
                    opened = open_case(
                        conn, config, platform=platform, mention_id=mid, brand=brand, severity=v.severity,
                        first_seen=datetime.fromisoformat(first_seen), followers=followers, now=now,
                    )  # fmt: skip
                    result.cases_opened += opened is not None
        result.batches += 1


def reset_classifications(store: Store, except_version: str) -> int:
    """Mark verdicts of other model versions as unclassified so `process_pending` redoes them.

    Cases already opened stay (UNIQUE per mention: no duplicates); a mention the new model calls a
    complaint that had no case gets one. Returns the number of mentions reset.
    """
    with store.errors(), store.transaction() as conn:
        return conn.execute(
            "UPDATE mentions SET model_version = NULL, classified_at = NULL "
            "WHERE model_version IS NOT NULL AND model_version != ?",
            (except_version,),
        ).rowcount
