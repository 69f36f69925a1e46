"""The shipped model: plain arrays in one compressed .npz (no pickles), and the code that applies them.

Two routes share one verdict format:
- "full": English (and undetermined or lexicon-less languages): hashed word+char TF-IDF plus cue features.
- "cue": languages with a cue lexicon other than English: the cue features alone, so the weights learned on
  English cue counts carry over through each language's lexicon.
Each route has a binary model (Platt-calibrated on out-of-fold scores from cross-validation on split=train,
with a decision threshold chosen there too) and a 4-class severity model trained on complaints.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from monitor.classify.features import N_SPARSE, DenseScaler

MODEL_DIR = Path(__file__).resolve().parent / "shipped"
WEIGHTS_FILE = MODEL_DIR / "weights.npz"
META_FILE = MODEL_DIR / "model.json"
METRICS_FILE = MODEL_DIR / "metrics.json"
ROUTES = ("full", "cue")


@dataclass(frozen=True, slots=True)
class Linear:
    """decision = x @ coef + intercept; coef is (n_features, n_outputs)."""

    coef: NDArray[np.float32]
    intercept: NDArray[np.float32]

    def decision(self, x: sp.csr_matrix | NDArray[np.float32]) -> NDArray[np.float64]:
        out = x @ self.coef
        return np.asarray(out, dtype=np.float64) + self.intercept


@dataclass(frozen=True, slots=True)
class Platt:
    a: float
    b: float

    def __call__(self, decision: NDArray[np.float64]) -> NDArray[np.float64]:
        return 1.0 / (1.0 + np.exp(-(self.a * decision + self.b)))


@dataclass(frozen=True, slots=True)
class Route:
    binary: Linear
    platt: Platt
    threshold: float  # on the calibrated score
    severity: Linear  # 4 outputs, classes 1..4
    severity_bias: NDArray[np.float64]  # added to severity decisions (chosen by CV for macro-F1)


@dataclass(frozen=True, slots=True)
class Model:
    idf: NDArray[np.float32]
    scaler: DenseScaler
    dense_weight: float  # how strongly the dense cue block enters the full route
    routes: dict[str, Route]
    meta: dict[str, Any]
    version: str

    def full_matrix(self, tfidf_x: sp.csr_matrix, dense: NDArray[np.float32]) -> sp.csr_matrix:
        scaled = self.scaler.transform(dense) * self.dense_weight
        return sp.hstack([tfidf_x, sp.csr_matrix(scaled)], format="csr")

    def cue_matrix(self, dense: NDArray[np.float32]) -> NDArray[np.float32]:
        return self.scaler.transform(dense)


def _sparse_rows(coef: NDArray[np.float32]) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
    rows = np.flatnonzero(np.any(coef != 0, axis=1)).astype(np.int32)
    return rows, coef[rows].astype(np.float32)


def save(model_arrays: dict[str, NDArray[Any]], meta: dict[str, Any], directory: Path = MODEL_DIR) -> str:
    """Write weights.npz (deterministic bytes) and model.json; returns the version (content hash)."""
    directory.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    stored: dict[str, NDArray[Any]] = {}
    for name, arr in sorted(model_arrays.items()):
        if name.endswith(".coef") and arr.shape[0] >= N_SPARSE:
            rows, vals = _sparse_rows(arr)
            stored[name + ".rows"] = rows
            stored[name + ".vals"] = vals
            stored[name + ".shape"] = np.asarray(arr.shape, dtype=np.int64)
        elif name == "idf":
            default = float(arr.max())
            rows = np.flatnonzero(arr != default).astype(np.int32)
            stored["idf.rows"] = rows
            stored["idf.vals"] = arr[rows].astype(np.float32)
            stored["idf.default"] = np.asarray([default], dtype=np.float32)
        else:
            stored[name] = arr
    np.savez_compressed(buf, **stored)  # type: ignore[arg-type]
    data = _zip_fixed_time(buf.getvalue())
    (directory / WEIGHTS_FILE.name).write_bytes(data)
    version = "cm-" + hashlib.sha256(data).hexdigest()[:12]
    meta = {**meta, "version": version}
    (directory / META_FILE.name).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return version


def _zip_fixed_time(data: bytes) -> bytes:
    """np.savez stamps the current time into the zip; rewrite with a fixed one so retraining is byte-identical."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def load(directory: Path = MODEL_DIR) -> Model:
    meta = json.loads((directory / META_FILE.name).read_text(encoding="utf-8"))
    with np.load(directory / WEIGHTS_FILE.name) as z:
        arrays = {k: z[k] for k in z.files}
    idf = np.full(N_SPARSE, arrays["idf.default"][0], dtype=np.float32)
    idf[arrays["idf.rows"]] = arrays["idf.vals"]

    def coef(name: str) -> NDArray[np.float32]:
        if name + ".rows" in arrays:
            shape = tuple(int(v) for v in arrays[name + ".shape"])
            full = np.zeros(shape, dtype=np.float32)
            full[arrays[name + ".rows"]] = arrays[name + ".vals"]
            return full
        dense: NDArray[np.float32] = arrays[name].astype(np.float32)
        return dense

    routes = {}
    for route in ROUTES:
        p = f"{route}."
        routes[route] = Route(
            binary=Linear(coef(p + "binary.coef"), arrays[p + "binary.intercept"].astype(np.float32)),
            platt=Platt(float(arrays[p + "platt"][0]), float(arrays[p + "platt"][1])),
            threshold=float(arrays[p + "threshold"][0]),
            severity=Linear(coef(p + "severity.coef"), arrays[p + "severity.intercept"].astype(np.float32)),
            severity_bias=arrays[p + "severity.bias"].astype(np.float64),
        )
    scaler = DenseScaler(arrays["scaler.mean"].astype(np.float32), arrays["scaler.scale"].astype(np.float32))
    return Model(idf, scaler, float(arrays["dense_weight"][0]), routes, meta, str(meta["version"]))
