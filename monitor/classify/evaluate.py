"""Honest evaluation: split=test of the shared data, and the hand-written multilingual set.

Severity is reported two ways: on the gold complaints (comparable with BASELINES.md, which scores severity
on complaints only) and end to end (a missed complaint counts as a wrong severity).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, brier_score_loss, confusion_matrix, f1_score, roc_auc_score

from monitor.classify.classifier import ComplaintClassifier, route_for
from monitor.classify.data import MULTILINGUAL, LabelledPost, load_examples, load_multilingual
from monitor.classify.model import METRICS_FILE
from monitor.errors import QualityError

GUARD_MARGIN = 0.01


def _r(x: float) -> float:
    return round(float(x), 4)


def binary_metrics(y: Sequence[int], pred: Sequence[int], prob: Sequence[float] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "n": len(y),
        "accuracy": _r(accuracy_score(y, pred)),
        "macro_f1": _r(f1_score(y, pred, average="macro", zero_division=0)),
        "complaint_f1": _r(f1_score(y, pred, pos_label=1, zero_division=0)),
        "confusion": {
            "labels": ["not complaint", "complaint"],
            "matrix": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
        },
    }
    if prob is not None:
        out["roc_auc"] = _r(roc_auc_score(y, prob)) if len(set(y)) > 1 else None
        out["brier"] = _r(brier_score_loss(y, prob))
    return out


def severity_metrics(y: Sequence[int], pred: Sequence[int]) -> dict[str, Any]:
    labels = [1, 2, 3, 4]
    return {
        "n": len(y),
        "accuracy": _r(accuracy_score(y, pred)),
        "macro_f1": _r(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "confusion": {"labels": labels, "matrix": confusion_matrix(y, pred, labels=labels).tolist()},
    }


def evaluate_test(clf: ComplaintClassifier, data_dir: Path) -> dict[str, Any]:
    """Figures on split=test (English tweets; no language hint, so detection runs as in production)."""
    test = [e for e in load_examples(data_dir) if e.split == "test"]
    texts = [e.text for e in test]
    verdicts = clf.classify_batch(texts)
    scores = clf.score_batch(texts)
    y = [int(e.complaint) for e in test]
    pred = [int(v.complaint) for v in verdicts]
    out = {"split": "test", "binary": binary_metrics(y, pred, [float(p) for p in scores.prob])}
    gold = [i for i, e in enumerate(test) if e.severity]
    sev_y = [test[i].severity or 0 for i in gold]
    out["severity_on_gold_complaints"] = severity_metrics(sev_y, [int(scores.severity[i]) for i in gold])
    out["severity_end_to_end"] = severity_metrics(sev_y, [verdicts[i].severity or 0 for i in gold])
    langs: dict[str, int] = {}
    for v in verdicts:
        langs[v.language] = langs.get(v.language, 0) + 1
    out["detected_languages"] = dict(sorted(langs.items(), key=lambda kv: -kv[1]))
    return out


def evaluate_multilingual(clf: ComplaintClassifier, posts: Sequence[LabelledPost] | None = None) -> dict[str, Any]:
    """Per-language accuracy and complaint F1 on the multilingual set, language detected (not given)."""
    posts = list(posts) if posts is not None else load_multilingual(MULTILINGUAL)
    verdicts = clf.classify_batch([p.text for p in posts])
    by_lang: dict[str, dict[str, Any]] = {}
    for code in sorted({p.lang for p in posts}):
        idx = [i for i, p in enumerate(posts) if p.lang == code]
        y = [int(posts[i].complaint) for i in idx]
        pred = [int(verdicts[i].complaint) for i in idx]
        m = binary_metrics(y, pred, [verdicts[i].score for i in idx])
        m["language_detected"] = _r(sum(verdicts[i].language == code for i in idx) / len(idx))
        m["route"] = route_for(code)
        by_lang[code] = m
    y_all = [int(p.complaint) for p in posts]
    overall = binary_metrics(y_all, [int(v.complaint) for v in verdicts], [v.score for v in verdicts])
    return {"set": str(MULTILINGUAL.name), "overall": overall, "languages": by_lang}


def committed_metrics() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(METRICS_FILE.read_text(encoding="utf-8"))
    return data


def write_committed(report: dict[str, Any]) -> None:
    """Record the figures the regression guard compares against (after `monitor train`)."""
    figures = {
        "version": report["version"],
        "test_macro_f1": report["test"]["binary"]["macro_f1"],
        "test_severity_macro_f1": report["test"]["severity_on_gold_complaints"]["macro_f1"],
        "multilingual_macro_f1": report["multilingual"]["overall"]["macro_f1"],
    }
    METRICS_FILE.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def check_guard(report: dict[str, Any]) -> None:
    """Raise QualityError when test macro-F1 fell more than GUARD_MARGIN below the committed figure."""
    committed = committed_metrics()
    got = report["test"]["binary"]["macro_f1"]
    floor = committed["test_macro_f1"] - GUARD_MARGIN
    if got < floor:
        raise QualityError(
            f"test macro-F1 {got:.4f} is below the committed {committed['test_macro_f1']:.4f} - "
            f"{GUARD_MARGIN} (model {report['version']})"
        )


def evaluate(clf: ComplaintClassifier, data_dir: Path, multilingual: bool = True) -> dict[str, Any]:
    report: dict[str, Any] = {"version": clf.version, "test": evaluate_test(clf, data_dir)}
    if multilingual:
        report["multilingual"] = evaluate_multilingual(clf)
    return report
