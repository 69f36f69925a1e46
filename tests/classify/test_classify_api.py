"""The public interface: load_classifier / classify / classify_batch, and robustness on hostile input."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import monitor.classify as classify_pkg
from monitor.classify import ComplaintClassifier, classify, load_classifier
from monitor.classify.model import META_FILE, METRICS_FILE
from monitor.models import Classifier, Verdict

SIGNAL_KEYS = {"directed", "question", "public_threat", "churn", "spam"}


def _valid(v: Verdict) -> None:
    assert isinstance(v.complaint, bool)
    assert 0.0 <= v.score <= 1.0
    assert v.severity is None if not v.complaint else v.severity in (1, 2, 3, 4)
    assert v.language == "und" or (len(v.language) == 2 and v.language.isalpha())
    assert set(v.signals) == SIGNAL_KEYS and all(isinstance(x, bool) for x in v.signals.values())
    assert all(isinstance(r, str) and 0 < len(r) <= 60 for r in v.reasons)


def test_load_is_cached_and_implements_protocol() -> None:
    first = load_classifier()
    assert load_classifier() is first
    assert isinstance(first, ComplaintClassifier)
    proto: Classifier = first  # the pipeline's view of it (checked by mypy)
    assert proto.version == json.loads(META_FILE.read_text())["version"]
    assert first.version == json.loads(METRICS_FILE.read_text())["version"]


def test_batch_equals_single_and_is_deterministic(clf: ComplaintClassifier) -> None:
    texts = ["@acme my parcel never arrived, third week waiting", "Thanks @acme, all sorted!", "Il treno è in ritardo"]
    batch = clf.classify_batch(texts)
    assert batch == [classify(t) for t in texts]
    assert clf.classify_batch(texts) == batch


def test_language_hint_wins(clf: ComplaintClassifier) -> None:
    v = clf.classify_batch(["ok"], ["pt-BR"])[0]
    assert v.language == "pt"


def test_langs_length_must_match(clf: ComplaintClassifier) -> None:
    try:
        clf.classify_batch(["a", "b"], ["en"])
    except ValueError as exc:
        assert "one entry per text" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_hostile_inputs_give_a_verdict(clf: ComplaintClassifier) -> None:
    texts = [
        "",
        "   ",
        "😡😡😡",
        "🙂",
        "x" * 10_000,
        "complaint " * 2_000,
        "\x00\x01\x02\x1b[31mred\x1b[0m\x7f",
        "\ud800 lone surrogate",
        "‮reversed‬",
        "@" * 300,
        "#" * 50,
        "http://x.y/" + "a" * 5000,
    ]
    verdicts = clf.classify_batch(texts)
    assert len(verdicts) == len(texts)
    for v in verdicts:
        _valid(v)
    assert verdicts[0].language == "und" and not verdicts[0].complaint


def test_empty_batch(clf: ComplaintClassifier) -> None:
    assert clf.classify_batch([]) == []


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_valid_verdict(text: str) -> None:
    _valid(classify_pkg.classify(text))
