"""The shipped complaint classifier: language, cues, the linear models, and the Verdict with reasons and signals.

Pure: no network, no clock; the model is read from files in this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from monitor.classify import cues, lang
from monitor.classify.features import raw_counts, tfidf
from monitor.classify.lexicons import LEXICONS
from monitor.classify.model import MODEL_DIR, Model, load
from monitor.models import Verdict

MAX_REASONS = 4
# Order in which cue categories are worth showing an agent.
REASON_ORDER = ("public", "churn", "blame", "problem", "negative", "profanity", "request", "persist", "spam")
REASON_LABEL = {
    "public": "public threat",
    "churn": "churn",
    "blame": "blame",
    "problem": "problem",
    "negative": "negative",
    "profanity": "profanity",
    "request": "asks for help",
    "persist": "repeated/waiting",
    "spam": "spam cue",
}


def route_for(language: str) -> str:
    """Which model route handles a language: the n-gram model knows English; others go through their lexicon."""
    return "cue" if language in LEXICONS and language != "en" else "full"


def _signals(c: cues.Cues) -> dict[str, bool]:
    k = c.counts
    spam_cues = k["spam"] + (1 if k["hashtags"] >= 4 else 0) + (1 if k["urls"] >= 2 else 0)
    complaint_cues = k["problem"] + k["negative"] + k["blame"] + k["neg_praise"]
    return {
        "directed": bool(k["handles"] or k["you"]),
        "question": bool(k["qmark"] or k["question"]),
        "public_threat": bool(k["public"]),
        "churn": bool(k["churn"]),
        "spam": spam_cues >= 2 and complaint_cues == 0,
    }


def _reasons(c: cues.Cues, signals: dict[str, bool]) -> tuple[str, ...]:
    seen: list[str] = []
    for category in REASON_ORDER:
        for cat, cue in c.hits:
            if cat == category:
                reason = f"{REASON_LABEL[category]}: {cue.rstrip('*')}"
                if reason not in seen:
                    seen.append(reason)
                break
    if c.counts["neg_emoji"]:
        seen.append("negative emoji")
    if signals["spam"]:
        seen.insert(0, "spam-like")
    return tuple(seen[:MAX_REASONS])


@dataclass(frozen=True, slots=True)
class Scores:
    languages: list[str]
    cues: list[cues.Cues]
    prob: NDArray[np.float64]  # calibrated complaint probability
    severity: NDArray[np.int64]  # 1..4, the severity the text would get if it is a complaint


class ComplaintClassifier:
    """Implements monitor.models.Classifier with the model shipped in monitor/classify/shipped/."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.version = model.version

    @classmethod
    def from_dir(cls, directory: Path = MODEL_DIR) -> ComplaintClassifier:
        return cls(load(directory))

    def classify(self, text: str, lang_hint: str | None = None) -> Verdict:
        return self.classify_batch([text], [lang_hint])[0]

    def score_batch(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> Scores:
        """Model outputs before decisions: language, calibrated score and severity class for every text."""
        hints: Sequence[str | None] = langs if langs is not None else [None] * len(texts)
        if len(hints) != len(texts):
            raise ValueError("langs must have one entry per text")
        texts = [cues.clean(t) for t in texts]  # hostile input made safe once, for every stage below
        languages = [lang.detect(t, h) for t, h in zip(texts, hints, strict=True)]
        cue_list = [cues.extract(t, code) for t, code in zip(texts, languages, strict=True)]
        dense = np.asarray([c.dense for c in cue_list], dtype=np.float32).reshape(len(texts), len(cues.DENSE_NAMES))
        prob = np.zeros(len(texts))
        severity = np.zeros(len(texts), dtype=np.int64)
        m = self.model
        for route_name in ("full", "cue"):
            rows = np.asarray([i for i, code in enumerate(languages) if route_for(code) == route_name], dtype=np.int64)
            if not len(rows):
                continue
            route = m.routes[route_name]
            if route_name == "full":
                x = m.full_matrix(tfidf(raw_counts([texts[i] for i in rows]), m.idf), dense[rows])
            else:
                x = m.cue_matrix(dense[rows])
            prob[rows] = route.platt(route.binary.decision(x)[:, 0])
            severity[rows] = np.argmax(route.severity.decision(x) + route.severity_bias, axis=1) + 1
        return Scores(languages, cue_list, prob, severity)

    def classify_batch(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Verdict]:
        s = self.score_batch(texts, langs)
        verdicts = []
        for i, c in enumerate(s.cues):
            signals = _signals(c)
            route = self.model.routes[route_for(s.languages[i])]
            score = float(s.prob[i])
            is_complaint = score >= route.threshold and not signals["spam"]
            verdicts.append(
                Verdict(
                    complaint=is_complaint,
                    score=round(score, 4),
                    severity=int(s.severity[i]) if is_complaint else None,
                    language=s.languages[i],
                    reasons=_reasons(c, signals),
                    signals=signals,
                )
            )
        return verdicts
