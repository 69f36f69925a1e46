"""The store boundary: search and the stream filter through the full-text index, open_store, and no SQL outside
monitor/store (checked by scanning the source)."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cm_testing.foundation import RunMonitor

from monitor.errors import ConfigError
from monitor.models import Author, Mention, MentionFilter
from monitor.store import SqliteStore, open_store
from monitor.store.sqlite import feed

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

TEXTS = [
    ("1", "Refunds are still not processed", "twitter", "Acme"),
    ("2", "CAFÉ crème was cold, want a refund", "reddit", "Globex"),
    ("3", "配送が遅い、本当に最悪です", "twitter", "Acme"),
    ("4", 'he said "NEAR(" and * then AND OR -x ^y', "youtube", "Acme"),
    ("5", "love the e-mail support, $100 well spent", "twitter", "Acme"),
    ("6", "nothing to see here", "reddit", "Acme"),
]


def fill(store: SqliteStore, texts: list[tuple[str, str, str, str]] = TEXTS) -> None:
    mentions = [
        Mention(
            platform=p,
            id=mid,
            url=f"https://example.com/{mid}",
            text=text,
            brand=brand,
            created_at=T0 + timedelta(minutes=int(mid)),
            author=Author(f"a{mid}", f"user{mid}", 10),
        )
        for mid, text, p, brand in texts
    ]
    store.add_mentions(mentions, fetched_at=T0 + timedelta(hours=1), source="import")


def ids(found: list[object]) -> list[str]:
    return [m.id for m in found]  # type: ignore[attr-defined]


def test_search_uses_word_prefixes_case_and_diacritics(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        fill(store)
        assert ids(store.search("refund", 10)) == ["2", "1"]  # newest posted first; "Refunds" starts with it
        assert ids(store.search("REFUN", 10)) == ["2", "1"]
        assert ids(store.search("cafe", 10)) == ["2"] and ids(store.search("crème cold", 10)) == ["2"]
        assert ids(store.search("refund cold", 10)) == ["2"]  # every word must match
        assert ids(store.search("refund", 1)) == ["2"]
        assert store.search("fund", 10) == []  # a word matches the start of a word, not its middle
        assert store.search("   ", 10) == []


def test_search_falls_back_to_substrings_where_the_index_cannot_serve(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        fill(store)
        assert ids(store.search("最悪", 10)) == ["3"]  # inside a run of CJK: one token for unicode61
        assert ids(store.search("遅い", 10)) == ["3"]
        assert ids(store.search("$100", 10)) == ["5"] and ids(store.search("e-mail", 10)) == ["5"]
        assert store.search("$1000", 10) == []  # the index narrows, the substring keeps the punctuation exact


HOSTILE = ['"', '""', "NEAR(", "*", "AND", "OR", "NOT", "-x", "^y", "(", ")", "a:b", "text:x", "'", '"NEAR("']
HOSTILE += ["\x00", "{text}", "a OR b", "NEAR(a b, 2)", '"unterminated', "\\", "😡", "refund*", "re fund"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_queries_never_raise(tmp_path: Path, hostile: str) -> None:
    with open_store(tmp_path / "s.db") as store:
        fill(store)
        store.search(hostile, 10)
        store.recent_mentions(10, MentionFilter(words=(hostile,)))
        assert ids(store.search("NEAR(", 10)) == ["4"]  # found as text, not read as syntax
        assert ids(store.search('"NEAR("', 10)) == ["4"]


def test_stream_filter_words_go_through_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed, "STREAM_WINDOW", 3)  # only the 3 newest rows for filters the index cannot serve
    with open_store(tmp_path / "s.db") as store:
        fill(store)
        recent = store.recent_mentions
        assert ids(recent(10)) == ["6", "5", "4", "3", "2", "1"]  # arrival order
        assert ids(recent(10, MentionFilter(words=("refund",)))) == ["2", "1"]  # older than the window: the index
        assert ids(recent(10, MentionFilter(words=("refund",), brand="acme"))) == ["1"]
        assert ids(recent(10, MentionFilter(words=("refund",), platform="REDDIT"))) == ["2"]
        assert ids(recent(10, MentionFilter(words=("最悪",)))) == []  # substring only: bounded by the window
        assert ids(recent(10, MentionFilter(brand="Acme"))) == ["6", "5", "4"]  # no words: the window
        monkeypatch.setattr(feed, "STREAM_WINDOW", 20_000)
        assert ids(recent(10, MentionFilter(words=("最悪",)))) == ["3"]
        assert ids(recent(1, MentionFilter(words=("refund",)))) == ["2"]  # newest first, LIMIT ends the walk
        monkeypatch.setattr(feed, "FTS_WINDOW", 4)  # the index's walk is bounded too: rows 3..6 only
        assert ids(recent(10, MentionFilter(words=("refund",)))) == []
        assert ids(recent(10, MentionFilter(words=("support",)))) == ["5"]


def test_search_command_on_a_real_file(run_monitor: RunMonitor, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    hostile = "refund \x1b]0;pwned\x07\u202eevil\nforged line"
    with open_store(db) as store:
        fill(store, [*TEXTS, ("7", hostile, "twitter", "Acme")])
    proc = run_monitor("--db", str(db), "search", "refund", "--limit", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert [m["id"] for m in found] == ["7", "2", "1"] and found[1]["platform"] == "reddit"
    assert found[0]["text"] == hostile  # JSON carries the text exactly (escaped by the encoder)
    text = run_monitor("--db", str(db), "search", "refund")
    assert text.returncode == 0, text.stderr
    assert "Refunds are still not processed" in text.stdout and "unclassified" in text.stdout
    assert "\x1b" not in text.stdout and "\u202e" not in text.stdout and "\x07" not in text.stdout
    assert not any(line.startswith("forged line") for line in text.stdout.splitlines())
    none = run_monitor("--db", str(db), "search", "zzz")
    assert none.returncode == 0 and "no mention matches" in none.stdout


def test_open_store_targets(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path}/u.db") as store:  # sqlite:/// + an absolute path
        assert store.status().mentions == 0
    assert (tmp_path / "u.db").exists()
    for url in ("postgresql://monitor:s3cret@db.example/monitor", "postgres://u:s3cret@h/db", "postgresql:/x"):
        with pytest.raises(ConfigError, match="PostgreSQL stores are not supported yet") as err:
            open_store(url)
        assert "s3cret" not in str(err.value)
    with pytest.raises(ConfigError, match="mysql") as err:
        open_store("mysql://u:s3cret@h/db")
    assert "s3cret" not in str(err.value)


# --- no SQL outside monitor/store ---------------------------------------------------------------------

# Files of the case/queue boundary work, converted in a parallel branch. The lead empties this list after the
# merge; a file listed here that no longer needs it fails the test below, so the list cannot go stale.
NOT_YET_CONVERTED: set[str] = set()  # every module outside monitor/store is free of SQL
_SQL_CALLS = {"execute", "executemany", "executescript"}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
            found.append(f"{node.lineno}: import sqlite3")
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            found.append(f"{node.lineno}: from sqlite3 import")
        elif isinstance(node, ast.Attribute) and node.attr in _SQL_CALLS | {"conn"}:
            found.append(f"{node.lineno}: .{node.attr}")
    return found


def test_no_sql_outside_the_store_package() -> None:
    offenders: dict[str, list[str]] = {}
    for path in sorted([*(ROOT / "monitor").rglob("*.py"), *(ROOT / "connectors").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("monitor/store/"):
            continue
        if found := _violations(path):
            offenders[rel] = found
    assert set(offenders) - NOT_YET_CONVERTED == set(), offenders
    assert NOT_YET_CONVERTED - set(offenders) == set(), "converted: take these off NOT_YET_CONVERTED"


def test_the_store_protocol_has_no_sqlite_types() -> None:
    for name in ("protocol.py", "records.py", "protocol_cases.py"):
        path = ROOT / "monitor" / "store" / name
        assert _violations(path) == [], name
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE)\b|sqlite3\.", path.read_text(encoding="utf-8"))
