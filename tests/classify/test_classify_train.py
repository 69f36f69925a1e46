"""`monitor train` rebuilds exactly the shipped model (slow: about a minute on 2 cores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.classify.data import find_data_dir
from monitor.classify.model import META_FILE, WEIGHTS_FILE
from monitor.classify.train import train


@pytest.mark.slow
def test_training_is_deterministic_and_matches_the_shipped_model(tmp_path: Path) -> None:
    report = train(find_data_dir(), tmp_path)
    shipped = json.loads(META_FILE.read_text())
    assert report["version"] == shipped["version"]
    assert (tmp_path / WEIGHTS_FILE.name).read_bytes() == WEIGHTS_FILE.read_bytes()
