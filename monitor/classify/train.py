"""Rebuild the shipped model from split=train only, deterministically.

Model selection, Platt calibration, the decision threshold and the severity class offsets all come from
stratified K-fold cross-validation inside split=train; split=test is never read here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from monitor.classify import cues
from monitor.classify.data import Example, load_examples
from monitor.classify.features import DenseScaler, fit_idf, raw_counts, tfidf
from monitor.classify.model import MODEL_DIR, save

SEED = 866
FOLDS = 5
# Settings picked by 5-fold cross-validation on split=train (docs/classifier.md lists what was compared).
FULL_C = 1.0  # NB-SVM on n-grams + cues
CUE_C = 1.0  # logistic regression on cue features
SEVERITY_C = 1.0
SEVERITY_CUE_C = 1.0
DENSE_WEIGHT = 0.25
NB_POWER = 0.5  # features are scaled by |log-count ratio| ** NB_POWER


class NBSVM:
    """Linear SVM on features scaled by their naive-Bayes log-count ratio (Wang & Manning 2012).

    The scaling folds into the weights (coef_ = scale * w), so the shipped model stays one linear map.
    Dense cue features (the last `n_dense` columns) are left unscaled.
    """

    def __init__(self, c: float, n_dense: int) -> None:
        self.c = c
        self.n_dense = n_dense

    def fit(self, x: sp.csr_matrix, y: NDArray[np.int64]) -> NBSVM:
        present = (x > 0).astype(np.float32)
        p = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1
        q = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1
        scale = np.abs(np.log((p / p.sum()) / (q / q.sum()))) ** NB_POWER
        scale[-self.n_dense :] = 1.0
        svm = LinearSVC(C=self.c, max_iter=20000, random_state=SEED).fit(x.multiply(scale).tocsr(), y)
        self.coef_ = (svm.coef_ * scale).astype(np.float64)
        self.intercept_ = svm.intercept_.astype(np.float64)
        return self

    def decision_function(self, x: sp.csr_matrix) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.asarray(x @ self.coef_[0], dtype=np.float64) + self.intercept_[0]
        return out


@dataclass(frozen=True, slots=True)
class TrainSet:
    texts: list[str]
    y: NDArray[np.int64]
    severity: NDArray[np.int64]  # 0 for non-complaints / unknown
    counts: sp.csr_matrix
    dense: NDArray[np.float32]


def dense_features(texts: Sequence[str], lang: str = "en") -> NDArray[np.float32]:
    return np.asarray([cues.extract(t, lang).dense for t in texts], dtype=np.float32)


def build_trainset(examples: Sequence[Example]) -> TrainSet:
    texts = [e.text for e in examples]
    return TrainSet(
        texts=texts,
        y=np.asarray([int(e.complaint) for e in examples], dtype=np.int64),
        severity=np.asarray([e.severity or 0 for e in examples], dtype=np.int64),
        counts=raw_counts(texts),
        dense=dense_features(texts),
    )


def _full_x(ts: TrainSet, rows: NDArray[np.int64], fit_rows: NDArray[np.int64], dense_weight: float) -> sp.csr_matrix:
    idf = fit_idf(ts.counts[fit_rows])
    scaler = DenseScaler.fit(ts.dense[fit_rows])
    return sp.hstack(
        [tfidf(ts.counts[rows], idf), sp.csr_matrix(scaler.transform(ts.dense[rows]) * dense_weight)], format="csr"
    )


def _cue_x(ts: TrainSet, rows: NDArray[np.int64], fit_rows: NDArray[np.int64]) -> NDArray[np.float32]:
    return DenseScaler.fit(ts.dense[fit_rows]).transform(ts.dense[rows])


def _logreg(c: float, balanced: bool) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=5000, random_state=SEED)


XBuilder = Callable[[NDArray[np.int64], NDArray[np.int64]], Any]
Estimator = Callable[[], Any]  # makes an object with fit / decision_function / coef_ / intercept_


def oof_decisions(
    build: XBuilder, labels: NDArray[np.int64], rows: NDArray[np.int64], make: Estimator
) -> NDArray[np.float64]:
    """Out-of-fold decision values for `rows` (binary: shape (n,); multiclass: (n, k))."""
    skf = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    out: NDArray[np.float64] | None = None
    for tr, va in skf.split(rows, labels[rows]):
        fit_rows, val_rows = rows[tr], rows[va]
        clf = make().fit(build(fit_rows, fit_rows), labels[fit_rows])
        dec = clf.decision_function(build(val_rows, fit_rows))
        if out is None:
            out = np.zeros((len(rows), *dec.shape[1:]))
        out[va] = dec
    assert out is not None
    return out


def fit_platt(decision: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(decision.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def best_threshold(prob: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    """The threshold on calibrated scores with the best out-of-fold macro-F1 (ties: closest to 0.5)."""
    grid = np.round(np.arange(0.20, 0.801, 0.01), 2)
    scores = [(f1_score(y, (prob >= t).astype(int), average="macro"), -abs(t - 0.5), t) for t in grid]
    best = max(scores)
    return float(best[2]), float(best[0])


def severity_bias(decision: NDArray[np.float64], y: NDArray[np.int64], rounds: int = 3) -> NDArray[np.float64]:
    """Per-class offsets added to severity decisions, by coordinate ascent on out-of-fold macro-F1."""
    bias = np.zeros(decision.shape[1])
    steps = np.round(np.arange(-1.0, 1.001, 0.1), 2)

    def score(b: NDArray[np.float64]) -> float:
        return float(f1_score(y, np.argmax(decision + b, axis=1) + 1, average="macro"))

    for _ in range(rounds):
        for k in range(1, len(bias)):  # class 0 stays the reference
            best = max(steps, key=lambda s: (score(np.where(np.arange(len(bias)) == k, s, bias)), -abs(s)))
            bias[k] = best
    return bias


def train(data_dir: Path, out_dir: Path = MODEL_DIR, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Fit every part on split=train and write the model files. Returns the cross-validation report."""
    examples = [e for e in load_examples(data_dir) if e.split == "train"]
    ts = build_trainset(examples)
    all_rows = np.arange(len(examples))
    sev_rows = np.flatnonzero(ts.severity > 0)
    arrays: dict[str, NDArray[Any]] = {}
    report: dict[str, Any] = {
        "train_examples": len(examples),
        "train_complaints": int(ts.y.sum()),
        "folds": FOLDS,
        "seed": SEED,
    }

    def full_build(rows: NDArray[np.int64], fit_rows: NDArray[np.int64]) -> sp.csr_matrix:
        return _full_x(ts, rows, fit_rows, DENSE_WEIGHT)

    def cue_build(rows: NDArray[np.int64], fit_rows: NDArray[np.int64]) -> NDArray[np.float32]:
        return _cue_x(ts, rows, fit_rows)

    def full_binary() -> NBSVM:
        return NBSVM(FULL_C, len(cues.DENSE_NAMES))

    def cue_binary() -> LogisticRegression:
        return _logreg(CUE_C, balanced=False)

    def full_severity() -> LogisticRegression:
        return _logreg(SEVERITY_C, balanced=True)

    def cue_severity() -> LogisticRegression:
        return _logreg(SEVERITY_CUE_C, balanced=True)

    sev_labels = ts.severity - 1  # classes 0..3 for rows with a severity
    plan: list[tuple[str, XBuilder, Estimator, Estimator]] = [
        ("full", full_build, full_binary, full_severity),
        ("cue", cue_build, cue_binary, cue_severity),
    ]
    for route, build, make_binary, make_severity in plan:
        log(f"{route}: cross-validating the binary model")
        dec = oof_decisions(build, ts.y, all_rows, make_binary)
        a, b = fit_platt(dec, ts.y)
        prob = 1.0 / (1.0 + np.exp(-(a * dec + b)))
        threshold, cv_f1 = best_threshold(prob, ts.y)
        log(f"{route}: cross-validating the severity model")
        sev_dec = oof_decisions(build, sev_labels, sev_rows, make_severity)
        bias = severity_bias(sev_dec, ts.severity[sev_rows])
        sev_cv = float(f1_score(ts.severity[sev_rows], np.argmax(sev_dec + bias, axis=1) + 1, average="macro"))
        log(f"{route}: fitting on all of split=train")
        binary = make_binary().fit(build(all_rows, all_rows), ts.y)
        severity = make_severity().fit(build(sev_rows, sev_rows), sev_labels[sev_rows])
        arrays[f"{route}.binary.coef"] = binary.coef_.T.astype(np.float32)
        arrays[f"{route}.binary.intercept"] = binary.intercept_.astype(np.float32)
        arrays[f"{route}.platt"] = np.asarray([a, b], dtype=np.float64)
        arrays[f"{route}.threshold"] = np.asarray([threshold], dtype=np.float64)
        arrays[f"{route}.severity.coef"] = severity.coef_.T.astype(np.float32)
        arrays[f"{route}.severity.intercept"] = severity.intercept_.astype(np.float32)
        arrays[f"{route}.severity.bias"] = bias.astype(np.float64)
        report[route] = {
            "cv_macro_f1": round(cv_f1, 4),
            "threshold": threshold,
            "platt": [round(a, 4), round(b, 4)],
            "cv_severity_macro_f1": round(sev_cv, 4),
        }
    arrays["idf"] = fit_idf(ts.counts)
    scaler = DenseScaler.fit(ts.dense)
    arrays["scaler.mean"] = scaler.mean
    arrays["scaler.scale"] = scaler.scale
    arrays["dense_weight"] = np.asarray([DENSE_WEIGHT], dtype=np.float64)
    meta = {
        "trained_on": "split=train of ../shared/data/complaints (acl2019 + xci2023 severity)",
        "dense_features": list(cues.DENSE_NAMES),
        "cross_validation": report,
        "settings": {
            "full_binary": f"NB-SVM C={FULL_C} nb_power={NB_POWER} dense_weight={DENSE_WEIGHT}",
            "cue_binary": f"logistic regression C={CUE_C}",
            "severity": f"balanced logistic regression C={SEVERITY_C}, cue route C={SEVERITY_CUE_C}",
        },
    }
    report["version"] = save(arrays, meta, out_dir)
    return report
