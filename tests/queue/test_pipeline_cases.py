"""The pipeline classifies unclassified mentions, opens cases only for complaints, and is idempotent."""

from __future__ import annotations

import json

import pytest

from monitor.config import Config
from monitor.ingest.pipeline import process_pending, reset_classifications
from monitor.queue import cases
from monitor.store import Store
from monitor.timeutil import to_iso

from .conftest import T0, KeywordClassifier, mention, minutes

TEXTS = ["the app is broken again", "love it", "Broken charger, no reply from support?", "thanks acme", "meh"]


def _load(store: Store) -> None:
    store.add_mentions(
        [mention(str(i), text=t, followers=10**i) for i, t in enumerate(TEXTS)], fetched_at=T0, source="poll"
    )


def test_opens_cases_only_for_complaints_and_is_idempotent(store: Store, config: Config) -> None:
    _load(store)
    clf = KeywordClassifier()
    result = process_pending(store, config, now=T0 + minutes(1), classifier=clf, batch_size=2)
    assert (result.classified, result.complaints, result.cases_opened, result.batches) == (5, 2, 2, 3)
    rows = store.conn.execute(
        "SELECT id, complaint, severity, model_version, classified_at, reasons, signals FROM mentions ORDER BY id"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("0", 1, 3),
        ("1", 0, None),
        ("2", 1, 3),
        ("3", 0, None),
        ("4", 0, None),
    ]
    assert rows[0][3:5] == ("kw-1", "2026-11-28T09:01:00Z")
    assert json.loads(rows[0][5]) == ["broken"] and json.loads(rows[2][6]) == {"question": True}
    queued = cases.top(store, config, now=T0 + minutes(2))
    assert sorted(r.case.mention_id for r in queued) == ["0", "2"]
    c = cases.get_case(store, queued[0].case.id)
    assert (c.severity, to_iso(c.first_seen), to_iso(c.due_at)) == (3, "2026-11-28T09:00:00Z", "2026-11-28T11:00:00Z")
    assert c.followers in (1, 100)
    again = process_pending(store, config, now=T0 + minutes(3), classifier=clf)
    assert (again.classified, again.cases_opened) == (0, 0)
    assert store.count("SELECT count(*) FROM cases") == 2
    assert store.count("SELECT count(*) FROM events WHERE action = 'open'") == 2


def test_new_model_version_reclassifies_without_duplicate_cases(store: Store, config: Config) -> None:
    _load(store)
    process_pending(store, config, now=T0, classifier=KeywordClassifier("kw-1"))
    assert reset_classifications(store, except_version="kw-2") == 5
    assert reset_classifications(store, except_version="kw-2") == 0
    result = process_pending(store, config, now=T0 + minutes(5), classifier=KeywordClassifier("kw-2"))
    assert (result.classified, result.complaints, result.cases_opened) == (5, 2, 0)
    assert store.count("SELECT count(*) FROM cases") == 2
    assert store.count("SELECT count(*) FROM mentions WHERE model_version = 'kw-2'") == 5


def test_with_the_shipped_classifier(store: Store, config: Config) -> None:
    try:
        from monitor.classify import load_classifier

        clf = load_classifier()
    except Exception as exc:  # the model is built by another area; do not fail this one on its absence
        pytest.skip(f"shipped classifier not available: {exc}")
    store.add_mentions(
        [
            mention("c1", text="My order never arrived and support ignores me. Terrible service @acme"),
            mention("n1", text="Loving the new Acme app, great update!"),
        ],
        fetched_at=T0,
        source="poll",
    )
    result = process_pending(store, config, now=T0, classifier=clf)
    assert result.classified == 2 and result.model_version == clf.version
    opened = {r.case.mention_id for r in cases.top(store, config, now=T0)}
    assert "n1" not in opened
    assert opened == {"c1"} or result.complaints == len(opened)
