"""Classifier speed and footprint: mentions/s on one core (batch), cold load time, model size, peak memory.

Each measurement runs in a fresh subprocess pinned to one CPU (os.sched_setaffinity) with BLAS threads at 1:
  load         import monitor.classify + load_classifier() + first verdict (includes the language model)
  throughput   classify_batch over a mix of the test-split tweets (English) and the multilingual set,
               in batches of 512, best of 3 rounds; 20,000 mentions (quick: 4,000)
  langid       py3langid alone on the same texts: the floor any classifier with language detection pays;
               ratio = throughput / langid
  peak_rss_mb  of the throughput child
The target from issue 5 is >= 2,000 mentions/s on one core.

    python -m bench.classify [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_S = 2000

_CHILD = r"""
import json, os, resource, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
mode, n = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
from monitor.classify import load_classifier
from monitor.classify.data import find_data_dir, load_examples, load_multilingual
if mode == "load":
    clf = load_classifier(); clf.classify_batch(["@acme my order never arrived"])
    print(json.dumps({"load_s": time.perf_counter() - t0})); sys.exit()
texts = [p.text for p in load_multilingual()]
try:
    texts += [e.text for e in load_examples(find_data_dir()) if e.split == "test"]
except Exception:
    pass
texts = (texts * (n // len(texts) + 1))[:n]
if mode == "langid":
    from monitor.classify.lang import detect
    detect("warm up")
    times = []
    for _ in range(3):
        s = time.perf_counter(); [detect(t) for t in texts]; times.append(time.perf_counter() - s)
    print(json.dumps({"per_s": n / min(times)})); sys.exit()
clf = load_classifier(); clf.classify_batch(texts[:512])
times = []
for _ in range(3):
    s = time.perf_counter()
    for i in range(0, n, 512):
        clf.classify_batch(texts[i:i + 512])
    times.append(time.perf_counter() - s)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"per_s": n / min(times), "peak_rss_mb": rss}))
"""


def _child(mode: str, n: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(n)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _size_mb(paths: list[Path]) -> float:
    return round(sum(p.stat().st_size for p in paths if p.is_file()) / 1e6, 3)


def run(quick: bool) -> dict[str, Any]:
    from monitor.classify.model import MODEL_DIR

    n = 4_000 if quick else 20_000
    loads = [_child("load", 0)["load_s"] for _ in range(1 if quick else 3)]
    main = _child("throughput", n)
    langid = _child("langid", n)
    import py3langid

    langid_model = Path(py3langid.__file__).parent / "data" / "model.npz.xz"
    lexicons = sorted((ROOT / "monitor" / "classify").glob("lexicon*.py"))
    return {
        "mentions": n,
        "mentions_per_s_one_core": round(main["per_s"]),
        "target_per_s": TARGET_PER_S,
        "ratio_to_target": round(main["per_s"] / TARGET_PER_S, 2),
        "langid_only_per_s": round(langid["per_s"]),
        "ratio_to_langid_only": round(main["per_s"] / langid["per_s"], 3),
        "cold_load_s": round(min(loads), 3),
        "model_size_mb": _size_mb(sorted(MODEL_DIR.iterdir())),
        "lexicons_size_mb": _size_mb(lexicons),
        "langid_model_size_mb": _size_mb([langid_model]),
        "peak_rss_mb": round(main["peak_rss_mb"], 1),
    }


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv), indent=2))
