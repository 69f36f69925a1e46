"""The digest's figures against the fixture store (conftest.py), worked out by hand.

Day 2026-11-20 in America/New_York = [2026-11-20T05:00Z, 2026-11-21T05:00Z); now = 2026-11-21T12:00Z.
Cases of the day: c1..c7 (c0 is the evening before in New York, c8 starts the next day).
  answered: c1 1h (in SLA), c2 5h (late), c3 30m, c4 30m  -> 4 answered, 3 within SLA
  open: c5 (due 02:00Z, past), c7 (due 21:00Z, past)      -> 2 still open, both breached
  dismissed: c6                                          -> decided = 4 + 2 = 6, breached = 6 - 3 = 3
  TTFR sorted [30m, 30m, 1h, 5h]: median 45m, p90 (nearest rank, 4th) 5h
  tiers: <100 = c1, c2 (median 3h); >=100k = c3, c4 (median 30m) -> parity 6.0 > 1.25: alert
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cm_testing.digest import NOW, make_config
from hypothesis import given
from hypothesis import strategies as st

from monitor.digest import default_day, make_digest
from monitor.digest.load import day_window
from monitor.digest.themes import brand_words, group_terms, label, term_counts, terms
from monitor.store import open_store
from monitor.text import for_html, safe_url


def _digest(path: Path):  # type: ignore[no-untyped-def]
    with open_store(path) as store:
        return make_digest(store, make_config(path), day=date(2026, 11, 20), now=NOW)


def test_window_is_the_local_day_in_utc() -> None:
    ny = ZoneInfo("America/New_York")
    assert day_window(date(2026, 11, 20), ny) == (
        datetime(2026, 11, 20, 5, tzinfo=UTC),
        datetime(2026, 11, 21, 5, tzinfo=UTC),
    )
    # DST ends on 1 Nov 2026 in New York: that day is 25 hours long
    since, until = day_window(date(2026, 11, 1), ny)
    assert until - since == timedelta(hours=25)


def test_default_day_is_yesterday_in_the_configured_zone(tmp_path: Path) -> None:
    config = make_config(tmp_path / "x.db")
    # 03:00Z on the 21st is still the 20th in New York, so "yesterday" is the 19th
    assert default_day(datetime(2026, 11, 21, 3, tzinfo=UTC), config) == date(2026, 11, 19)
    assert default_day(NOW, config) == date(2026, 11, 20)


def test_volume(fixture_store: Path) -> None:
    d = _digest(fixture_store)
    assert (d.mentions, d.complaint_mentions) == (10, 7)
    assert [(c.name, c.mentions, c.complaints) for c in d.by_platform] == [
        ("twitter", 5, 4),
        ("reddit", 3, 2),
        ("youtube", 2, 1),
    ]
    assert [(c.name, c.mentions, c.complaints) for c in d.by_brand] == [("Acme", 7, 5), ("Globex", 3, 2)]
    assert [(c.name, c.mentions, c.complaints) for c in d.by_language] == [
        ("en", 5, 4),
        ("es", 2, 1),
        ("fr", 2, 1),
        ("und", 1, 1),
    ]


def test_complaint_figures_and_response_times(fixture_store: Path) -> None:
    d = _digest(fixture_store)
    c = d.cases
    assert (c.opened, c.answered, c.within_sla, c.decided, c.breached, c.still_open, c.dismissed) == (
        7,
        4,
        3,
        6,
        3,
        2,
        1,
    )
    assert d.median == timedelta(minutes=45)
    assert d.p90 == timedelta(hours=5)


def test_tiers_parity_and_alert(fixture_store: Path) -> None:
    d = _digest(fixture_store)
    tiers = {t.tier: t for t in d.tiers}
    assert tiers["<100"].median_ttfr == timedelta(hours=3)
    assert tiers["<100"].p90_ttfr == timedelta(hours=5)
    assert tiers[">=100k"].median_ttfr == timedelta(minutes=30)
    assert tiers["1k-10k"].still_open == 1 and tiers["100-1k"].still_open == 1
    assert tiers["unknown"].dismissed == 1
    assert d.parity == 6.0
    assert (d.slowest_tier, d.fastest_tier) == ("<100", ">=100k")
    assert d.parity_alert and d.parity_limit == 1.25


def test_oldest_unanswered_across_days(fixture_store: Path) -> None:
    d = _digest(fixture_store)
    assert [(o.handle, o.followers, o.severity) for o in d.oldest] == [
        ("user_c0", 20_000, 3),
        ("user_c5", 5_000, 1),
        ("evil<b>", 500, 4),
    ]
    first = d.oldest[0]
    assert first.waiting == timedelta(hours=31, minutes=30)
    assert first.overdue == timedelta(hours=29, minutes=30)
    assert first.url == "https://example.com/twitter/c0"


def test_themes_and_changes(fixture_store: Path) -> None:
    d = _digest(fixture_store)
    # "delivery" and "parcel" always come together (c3, c4): one theme, worded in the example's order
    assert [(t.term, t.count, t.previous) for t in d.themes] == [("refund", 4, 1), ("delivery · parcel", 2, 0)]
    # the example is the most severe complaint using the term (c7, severity 4; c4 for delivery)
    assert d.themes[0].example_url == "https://example.com/twitter/c7"
    assert d.themes[1].example == "Delivery late and parcel damaged"
    changes = {c.label: (c.today, c.previous) for c in d.changes}
    assert changes["Mentions"] == (10, 1)
    assert changes["Complaints opened"] == (7, 1)
    assert changes["Answered within SLA"] == (0.5, 0.0)  # 3 of 6 decided; the day before 0 of 1
    assert changes["Median first response"] == (45 * 60, None)
    assert changes["Parity ratio"] == (6.0, None)


def test_agents(fixture_store: Path) -> None:
    d = _digest(fixture_store)
    assert d.out_of_order == [("ana", 1), ("bo", 1)]  # cy's pick is on the next day
    assert d.escalations == [("bo", 1)]


def test_empty_store_builds_an_empty_digest(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    with open_store(path) as store:
        d = make_digest(store, make_config(path), day=date(2026, 11, 20), now=NOW)
    assert d.mentions == 0 and d.cases.opened == 0 and d.parity is None and not d.parity_alert
    assert d.oldest == [] and d.themes == [] and d.median is None
    assert not d.partial
    with open_store(path) as store:
        assert make_digest(store, make_config(path), day=date(2026, 11, 21), now=NOW).partial


def test_terms_are_multilingual_and_skip_noise() -> None:
    assert terms("Mi pedido llegó roto, quiero un reembolso https://x.co/abc @AcmeHelp") == {
        "pedido",
        "llegó",
        "roto",
        "quiero",
        "reembolso",
    }
    assert terms("配達が遅い") == {"配達", "達が", "が遅", "遅い"}  # Han/Kana: character bigrams
    assert terms("Acme Acme refund", ignore=brand_words(["Acme Corp"])) == {"refund"}
    assert term_counts(["refund refund", "Refund!"])["refund"] == 2  # per complaint, not per occurrence


def test_terms_that_travel_together_make_one_theme() -> None:
    texts = ["customer service hung up on me", "customer service hung up again", "great service"]
    texts += ["配達が遅い", "配達が遅い!"]
    groups = group_terms(texts, limit=5)
    assert [(g.lead, sorted(g.terms), len(g.docs)) for g in groups] == [
        ("service", ["service"], 3),
        ("customer", ["customer", "hung"], 2),
        ("が遅", sorted(["配達", "達が", "が遅", "遅い"]), 2),
    ]
    assert label(groups[1].terms, texts[0]) == "customer · hung"
    assert label(groups[2].terms, texts[3]) == "配達が遅い"


@given(st.text())
def test_inert_text_has_no_controls_or_bidi_overrides(text: str) -> None:
    out = for_html(text)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in out)
    assert not any(ch in out for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
    assert for_html(out) == out


def test_only_web_links_are_clickable() -> None:
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,<script>") is None
    assert safe_url("https://exa mple.com") is None
