"""Rendering: both parts carry the figures; hostile user text arrives inert; the HTML is mail-client shaped."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from cm_testing.digest import NOW, SUBJECT, make_config

from monitor.digest import prepare
from monitor.digest.job import Rendered
from monitor.store import open_store

BIDI_AND_CONTROLS = ("\u202e", "\u202d", "\u2066", "\x1b", "\x07")


def _rendered(path: Path) -> Rendered:
    with open_store(path) as store:
        return prepare(store, make_config(path), day=date(2026, 11, 20), now=NOW)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_subject_keeps_non_ascii_and_flags_the_parity_alert(fixture_store: Path) -> None:
    r = _rendered(fixture_store)
    assert r.subject == SUBJECT.replace("{date}", "2026-11-20") + " — parity alert 6.00"


def test_hostile_text_is_inert_in_html(fixture_store: Path) -> None:
    html = _rendered(fixture_store).html
    parser = _Tags()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "b" not in tags and "style" not in tags  # CSS inlined, markup escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp;amp; &amp;lt;b&amp;gt;" in html  # entities in the text show as typed, not decoded
    assert "[red]boom[/red]" in html
    assert "@evil&lt;b&gt;" in html
    assert not any(ch in html for ch in BIDI_AND_CONTROLS)
    hrefs = [a.get("href") or "" for t, a in parser.tags if t == "a"]
    assert hrefs and all(h.startswith("https://example.com/") for h in hrefs)
    assert "http://evil" not in hrefs


def test_hostile_text_is_inert_in_plain_text(fixture_store: Path) -> None:
    text = _rendered(fixture_store).text
    assert not any(ch in text for ch in BIDI_AND_CONTROLS)
    assert '"<script>alert(1)</script> &amp; &lt;b&gt; [red]boom[/red]' in text  # literal, nothing interprets it
    assert "@evil<b> (500 followers" in text


def test_both_parts_carry_the_figures(fixture_store: Path) -> None:
    r = _rendered(fixture_store)
    for line in (
        "Mentions:            10 (7 classified as complaints)",
        "Complaints opened:   7",
        "Answered within SLA: 3 (50% of 6 decided)",
        "Breached:            3",
        "Still open:          2",
        "First response:      median 45m, p90 5h00m",
        "!! PARITY ALERT: complaints from the <100 follower tier waited 6.00x as long",
        "- refund: 4 complaints (day before: 1)",
        "- delivery · parcel: 2 complaints (day before: 0, new)",
        "Out-of-order picks: ana 1, bo 1",
        "Escalations:        bo 1",
        "Platform: twitter 5 (4 complaints), reddit 3 (2 complaints), youtube 2 (1 complaint)",
    ):
        assert line in r.text, line
    html = r.html
    assert "Parity alert:" in html and "6.00×" in html
    assert "1d05h past SLA" in html  # the oldest unanswered complaint, 29h30m past its deadline
    assert "20,000 followers" in html
    # the response-time chart: <100 median 3h of a 5h scale = 60%, then 40% up to its p90
    assert 'width="60%"' in html and 'width="40%"' in html


def test_inlined_css_reaches_the_elements(fixture_store: Path) -> None:
    html = _rendered(fixture_store).html
    parser = _Tags()
    parser.feed(html)
    alert = next(a for t, a in parser.tags if t == "div" and a.get("class") == "alert")
    assert "background-color: #fef2f2" in (alert.get("style") or "")
