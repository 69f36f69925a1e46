"""Complaint detection in any language: `load_classifier()` for the pipeline, `classify()` for one text.

    from monitor.classify import classify, load_classifier
    verdict = classify("@acme my order never arrived, third time!")
    verdicts = load_classifier().classify_batch(texts, langs)

The model ships in monitor/classify/shipped/ (see docs/classifier.md); nothing is downloaded at run time.
"""

from __future__ import annotations

import threading

from monitor.classify.classifier import ComplaintClassifier
from monitor.models import Verdict

__all__ = ["ComplaintClassifier", "classify", "load_classifier"]

_lock = threading.Lock()
_cached: ComplaintClassifier | None = None


def load_classifier() -> ComplaintClassifier:
    """The shipped classifier, loaded once per process (thread-safe)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = ComplaintClassifier.from_dir()
        return _cached


def classify(text: str, lang: str | None = None) -> Verdict:
    """One verdict; `lang` is the platform's language tag if it gave one."""
    return load_classifier().classify(text, lang)
