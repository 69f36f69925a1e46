"""Fixtures for the classifier tests: the shipped model, loaded once."""

from __future__ import annotations

import pytest

from monitor.classify import ComplaintClassifier, load_classifier


@pytest.fixture(scope="session")
def clf() -> ComplaintClassifier:
    return load_classifier()
