"""`monitor import` through the real CLI: idempotency, bad lines, Unicode, stdin; plus a hypothesis property."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from cm_testing.foundation import RunMonitor, mention, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.ingest.importer import import_lines
from monitor.store import open_store
from monitor.text import clean_text
from monitor.timeutil import parse_time


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_import_is_idempotent(run_monitor: RunMonitor, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [mention(i) for i in range(250)])
    db = tmp_path / "s.db"
    first = run_monitor("--db", str(db), "import", str(data), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"lines": 250, "inserted": 250, "duplicates": 0, "rejected": 0, "rejections": []}
    again = run_monitor("--db", str(db), "import", str(data))
    assert again.returncode == 0
    assert again.stdout.strip() == "inserted 0, duplicates 250, rejected 0"
    assert rows(db, "SELECT count(*), count(DISTINCT platform || ':' || id) FROM mentions") == [(250, 250)]
    # duplicates inside one file count once
    dup = write_jsonl(tmp_path / "dup.jsonl", [mention(1000), mention(1000), mention(1001)])
    proc = run_monitor("--db", str(db), "import", str(dup), "--json")
    assert json.loads(proc.stdout)["inserted"] == 2 and json.loads(proc.stdout)["duplicates"] == 1


def test_imported_row_has_every_field(run_monitor: RunMonitor, tmp_path: Path) -> None:
    rec = mention(7, lang="ES", kind="comment")
    db = tmp_path / "s.db"
    run_monitor("--db", str(db), "import", str(write_jsonl(tmp_path / "in.jsonl", [rec])))
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM mentions").fetchone())
    assert row["platform"] == rec["platform"] and row["id"] == rec["id"] and row["url"] == rec["url"]
    assert row["brand"] == "Acme" and row["lang"] == "es" and row["kind"] == "comment" and row["source"] == "import"
    assert row["created_at"] == rec["created_at"]
    assert (row["author_id"], row["author_handle"], row["author_followers"]) == ("7", "user7", 7 * 37)
    assert (row["likes"], row["reposts"], row["replies"], row["views"]) == (0, 1, 2, 70)
    assert json.loads(row["raw"]) == rec
    author = dict(conn.execute("SELECT * FROM authors").fetchone())
    assert (author["platform"], author["id"], author["handle"], author["followers"]) == ("twitter", "7", "user7", 259)
    conn.close()


def test_bad_lines_are_reported_with_line_numbers_and_skipped(run_monitor: RunMonitor, tmp_path: Path) -> None:
    no_text = mention(3)
    del no_text["text"]
    lines: list[Any] = [
        mention(1),  # 1 good
        b"{not json",  # 2
        mention(2),  # 3 good
        no_text,  # 4 missing field
        mention(4, created_at="yesterday-ish"),  # 5 bad date
        b'{"text": "caf\xe9"}',  # 6 invalid UTF-8
        mention(5, author={"id": "1", "handle": "x", "followers": "many"}),  # 7 wrong type
        mention(6, id=["a", "list"]),  # 8 wrong type
        b"",  # 9 blank: not a record
        b"[1, 2, 3]",  # 10 not an object
        b'{"platform": "twitter", "id": "9", "created_at": NaN}',  # 11 NaN is not JSON
        mention(7),  # 12 good
        mention(8, platform="twitter\x1b[31m"),  # 13 hostile platform name
        b'{"id": ' + b"9" * 5000 + b"}",  # 14 an integer too long to convert
    ]
    data = write_jsonl(tmp_path / "in.jsonl", lines)
    db = tmp_path / "s.db"
    proc = run_monitor("--db", str(db), "import", str(data))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.strip() == "inserted 3, duplicates 0, rejected 10"
    expected = {
        2: "not JSON",
        4: "missing field 'text'",
        5: "bad 'created_at'",
        6: "invalid UTF-8 at byte",
        7: "'author.followers' must be a whole number",
        8: "'id' must be a string",
        10: "expected a JSON object",
        11: "NaN is not a JSON value",
        13: "'platform' must be a short name",
        14: "not JSON",
    }
    reported = [line for line in proc.stderr.splitlines() if ": rejected: " in line]
    assert len(reported) == len(expected)
    for number, reason in expected.items():
        assert any(line.startswith(f"{data}:{number}: rejected: ") and reason in line for line in reported), number
    assert "\x1b" not in proc.stderr  # the hostile value is shown escaped
    assert "10 of 13 lines rejected" in proc.stderr
    assert sorted(r[0] for r in rows(db, "SELECT id FROM mentions")) == ["1000001", "1000002", "1000007"]
    as_json = run_monitor("--db", str(tmp_path / "t.db"), "import", str(data), "--json")
    assert as_json.returncode == 3
    report = json.loads(as_json.stdout)
    assert (report["inserted"], report["rejected"]) == (3, 10)
    assert [r["line"] for r in report["rejections"]] == sorted(expected)


def test_unreadable_input_exits_4(run_monitor: RunMonitor, tmp_path: Path) -> None:
    proc = run_monitor("--db", str(tmp_path / "s.db"), "import", str(tmp_path / "missing.jsonl"))
    assert proc.returncode == 4
    assert "cannot read" in proc.stderr and "Traceback" not in proc.stderr


def test_import_from_stdin(run_monitor: RunMonitor, tmp_path: Path) -> None:
    text = "".join(json.dumps(mention(i)) + "\n" for i in range(20))
    db = tmp_path / "s.db"
    proc = run_monitor("--db", str(db), "import", "-", input=text)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "inserted 20, duplicates 0, rejected 0"
    proc = run_monitor("--db", str(db), "import", "-", input=text + "oops\n")
    assert proc.returncode == 3
    assert "-:21: rejected: not JSON" in proc.stderr


UNICODE_TEXTS = {
    "zh": "我的包裹三周了还没到,客服电话也打不通!Acme 太差了",
    "ru": "Посылка от Acme потерялась, поддержка молчит уже неделю",
    "et": "Acme pakk jõudis kohale katkisena, tšekk ja ülevaade öö jooksul",
    "it": "Perché l'ordine Acme è in ritardo? Il caffè è arrivato freddo",
    "emoji": "Acme 😡📦💔 still waiting 🏳️‍🌈 👩🏽‍💻",
    "rtl_he": "ההזמנה שלי מ-Acme לא הגיעה",
    "rtl_ar": "طلبي من Acme لم يصل بعد \u202eevil\u202c",
    "nul": "before\x00after NUL in Acme text",
    "controls": "bell\x07 esc\x1b[2J tab\t newline\n cr\r Acme",
}


def test_unicode_text_is_kept_byte_exact(run_monitor: RunMonitor, tmp_path: Path) -> None:
    records = [mention(i, text=text, id=f"u-{key}") for i, (key, text) in enumerate(UNICODE_TEXTS.items())]
    lone = mention(99, id="u-surrogate")
    # a JSON escape of a lone surrogate cannot be stored as UTF-8: it becomes U+FFFD, the rest is kept
    lone_line = json.dumps(lone).replace('"text": "', '"text": "half \\ud83d pair ', 1)
    raw_utf8_line = json.dumps(mention(100, id="u-raw", text="naïve Ünïcödé ✓"), ensure_ascii=False)
    data = write_jsonl(tmp_path / "in.jsonl", [*records, lone_line, raw_utf8_line])
    db = tmp_path / "s.db"
    proc = run_monitor("--db", str(db), "import", str(data))
    assert proc.returncode == 0, proc.stderr
    stored = dict(rows(db, "SELECT id, text FROM mentions"))
    for key, text in UNICODE_TEXTS.items():
        assert stored[f"u-{key}"] == text
        assert stored[f"u-{key}"].encode("utf-8") == text.encode("utf-8")
    assert stored["u-surrogate"] == "half \ufffd pair " + lone["text"]
    assert stored["u-raw"] == "naïve Ünïcödé ✓"
    # raw payload round-trips too
    raw = dict(rows(db, "SELECT id, raw FROM mentions"))
    assert json.loads(raw["u-zh"])["text"] == UNICODE_TEXTS["zh"]


def test_full_text_search_finds_imported_text(run_monitor: RunMonitor, tmp_path: Path) -> None:
    records = [mention(i, text=text, id=f"u-{key}") for i, (key, text) in enumerate(UNICODE_TEXTS.items())]
    db = tmp_path / "s.db"
    run_monitor("--db", str(db), "import", str(write_jsonl(tmp_path / "in.jsonl", records)))

    def search(query: str) -> set[str]:
        return {
            r[0]
            for r in rows(
                db,
                "SELECT m.id FROM mentions_fts JOIN mentions m ON m.rowid = mentions_fts.rowid "
                "WHERE mentions_fts MATCH ?",
                (query,),
            )
        }

    assert search("Посылка") == {"u-ru"}
    assert search("pakk") == {"u-et"}
    assert search("caffe") == {"u-it"}  # diacritics folded
    assert search("ההזמנה") == {"u-rtl_he"}
    assert search("acme") == set(stored_ids(db))
    assert search("我的包裹三周了还没到") == {"u-zh"}  # unicode61 keeps a run of Han characters as one token


def stored_ids(db: Path) -> list[str]:
    return [r[0] for r in rows(db, "SELECT id FROM mentions")]


# --- property: arbitrary lines never crash the importer, and every good line is kept ------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
REQUIRED = ("platform", "id", "url", "text", "created_at", "author")


def _junk_record(draw: st.DrawFn) -> bytes:
    """A line that must be rejected: junk bytes, a non-object, or a record with one required field broken."""
    kind = draw(st.sampled_from(["bytes", "value", "broken"]))
    if kind == "bytes":
        raw = draw(st.binary(min_size=1, max_size=60))
        return raw.replace(b"\n", b" ") if raw.strip(b" \t\r\n\x0b\x0c\n") else b"x"
    if kind == "value":
        value = draw(json_values)
        if isinstance(value, dict):
            value.pop("platform", None)
        return json.dumps(value).encode()
    rec = mention(0)
    key = draw(st.sampled_from(REQUIRED))
    if draw(st.booleans()):
        del rec[key]
    else:
        rec[key] = draw(st.sampled_from([None, [], {}, True, 1.5])) if key != "created_at" else "not a date"
    return json.dumps(rec).encode()


@st.composite
def import_files(draw: st.DrawFn) -> list[tuple[bool, bytes, dict[str, Any] | None]]:
    out: list[tuple[bool, bytes, dict[str, Any] | None]] = []
    for n in range(draw(st.integers(min_value=0, max_value=25))):
        if draw(st.booleans()):
            rec = mention(n, id=f"p{n}", text=draw(st.text(max_size=40)), brand=draw(st.none() | st.text(max_size=8)))
            ascii_only = draw(st.booleans())
            out.append((True, json.dumps(rec, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"), rec))
        else:
            out.append((False, _junk_record(draw), None))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(import_files())
def test_property_arbitrary_lines_never_crash_and_good_lines_are_kept(
    lines: list[tuple[bool, bytes, dict[str, Any] | None]],
) -> None:
    with open_store(":memory:") as store:
        result = import_lines(store, (raw for _, raw, _ in lines), now=parse_time("2026-11-29T12:00:00Z"), batch_size=7)
        good = [rec for ok, _, rec in lines if ok and rec is not None]
        bad_count = sum(1 for ok, _, _ in lines if not ok)
        assert result.inserted == len(good)
        assert result.rejected == bad_count
        assert result.lines == len(lines)
        stored = {m.id: m.text for m in store.recent_mentions(10**6)}
        for rec in good:
            # texts that are valid UTF-8 are kept exactly; lone surrogates become U+FFFD
            assert stored[rec["id"]] == clean_text(rec["text"])
