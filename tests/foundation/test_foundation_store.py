"""The SQLite store: in-place migration of an older file, two writer processes, `monitor status`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from cm_testing.foundation import MONITOR, RunMonitor, clean_env, mention, write_jsonl

from monitor.models import Author, Mention
from monitor.store import PollRun, open_store, salvage
from monitor.store.sqlite.migrations import MIGRATIONS, migrate
from monitor.timeutil import parse_time

NOW = parse_time("2026-11-29T12:00:00Z")


def test_older_database_is_upgraded_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    assert migrate(conn, "2026-01-01T00:00:00Z", upto="001_initial") == ["001_initial"]
    conn.execute(
        "INSERT INTO mentions (platform, id, brand, url, text, created_at, fetched_at, author_id, author_handle,"
        " author_followers) VALUES ('twitter', '1', 'Acme', 'https://x/1', 'Väga halb teenindus, Acme',"
        " '2026-01-01T10:00:00Z', '2026-01-01T10:05:00Z', 'a1', 'ana', 40)"
    )
    conn.execute(
        "INSERT INTO authors (platform, id, handle, followers, verified, first_seen, last_seen)"
        " VALUES ('twitter', 'a1', 'ana', 40, 0, '2026-01-01T10:05:00Z', '2026-01-01T10:05:00Z')"
    )
    conn.execute(
        "INSERT INTO cursors VALUES ('twitter', 'Acme', 'acme', '{\"since_id\": \"1\"}', '2026-01-01T10:05:00Z')"
    )
    conn.close()

    with open_store(db) as store:
        raw = sqlite3.connect(db)
        names = [r[0] for r in raw.execute("SELECT name FROM _migrations ORDER BY rowid")]
        assert names == [name for name, _ in MIGRATIONS]
        row = raw.execute("SELECT text, author_followers, model_version FROM mentions").fetchone()
        assert row == ("Väga halb teenindus, Acme", 40, None)
        raw.close()
        assert store.get_cursor("twitter", "Acme", "acme") == {"since_id": "1"}
        # the FTS index built by a later step covers the rows that were already there
        assert [m.id for m in store.search("teenindus", 10)] == ["1"]
        assert store.status().mentions == 1 and store.status().unclassified == 1
        assert store.check() == []
    # opening again runs nothing
    conn = sqlite3.connect(db, isolation_level=None)
    assert migrate(conn, "2026-02-01T00:00:00Z") == []
    conn.close()


def test_store_pragmas(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        # a SQLite backend test: busy_timeout and foreign_keys are per connection, so read the store's own
        pragma = store.conn.execute
        assert pragma("PRAGMA journal_mode").fetchone() == ("wal",)
        assert pragma("PRAGMA foreign_keys").fetchone() == (1,)
        assert pragma("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_record_poll_writes_one_transaction(tmp_path: Path) -> None:
    m = Mention(
        platform="twitter",
        id="55",
        url="https://x/55",
        text="Acme help",
        created_at=NOW,
        author=Author(id="u1", handle="bo", followers=400_000),
        brand="Acme",
        query="acme",
    )
    run = PollRun("twitter", "Acme", "acme", NOW - timedelta(seconds=3), NOW, calls=2)
    with open_store(tmp_path / "s.db") as store:
        assert store.record_poll(run, [m, m], {"since_id": "55"}).new == 1
        assert store.record_poll(run, [m], None).duplicates == 1
        store.record_failed_poll(PollRun("twitter", "Acme", "acme", NOW, NOW, status="rate_limited"))
        assert store.get_cursor("twitter", "Acme", "acme") == {"since_id": "55"}
        polls = store.status().polls["twitter"].as_dict()
        assert polls == {"last_poll": "2026-11-29T12:00:00Z", "last_status": "rate_limited", "calls": 4, "new": 1}


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    """Two `monitor import` processes on one fresh file: both succeed, nothing lost (busy timeout, WAL)."""
    db = tmp_path / "shared.db"
    a = write_jsonl(tmp_path / "a.jsonl", [mention(i, id=f"a{i}") for i in range(6000)])
    b = write_jsonl(tmp_path / "b.jsonl", [mention(i, id=f"b{i}") for i in range(6000)])
    procs = [
        subprocess.Popen(
            [MONITOR, "--db", str(db), "import", str(f), "--batch-size", "200", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(),
        )
        for f in (a, b, a)  # the third races the first on the same rows
    ]
    reader = subprocess.run([MONITOR, "--db", str(db), "status", "--json"], capture_output=True, env=clean_env())
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [r[1] for r in results]
    assert reader.returncode == 0, reader.stderr
    reports = [json.loads(out) for out, _ in results]
    assert reports[1]["inserted"] == 6000
    assert reports[0]["inserted"] + reports[2]["inserted"] == 6000
    assert reports[0]["duplicates"] + reports[2]["duplicates"] == 6000
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), count(DISTINCT id) FROM mentions").fetchone() == (12000, 12000)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_status_text_and_json(run_monitor: RunMonitor, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    empty = run_monitor("--db", str(db), "status")
    assert empty.returncode == 0, empty.stderr
    assert "mentions: 0" in empty.stdout and "polls: none yet" in empty.stdout and "cases: none" in empty.stdout

    hostile = "Evil\x1b]0;pwned\x07\u202eBrand\nforged line"
    records = [mention(i) for i in range(9)] + [mention(100, brand=hostile)]
    run_monitor("--db", str(db), "import", str(write_jsonl(tmp_path / "in.jsonl", records)))
    with open_store(db) as store:
        store.record_poll(PollRun("youtube", "Acme", "acme", NOW, NOW, calls=3), [], {"page": "x"})
    with closing(sqlite3.connect(db)) as conn, conn:  # a case without the pipeline: a raw row
        conn.execute(
            "INSERT INTO cases (platform, mention_id, brand, severity, state, first_seen, due_at, updated_at)"
            " VALUES ('twitter', '1000001', 'Acme', 3, 'new', ?, ?, ?)",
            ("2026-11-29T12:00:00Z", "2026-11-29T14:00:00Z", "2026-11-29T12:00:00Z"),
        )
    data = json.loads(run_monitor("--db", str(db), "status", "--json").stdout)
    assert data["store"] == str(db)
    assert data["mentions"] == 10
    assert data["mentions_by_platform"] == {"reddit": 3, "twitter": 7}
    assert data["mentions_by_brand"] == {"Acme": 9, hostile: 1}
    assert data["polls"]["youtube"]["last_poll"] == "2026-11-29T12:00:00Z"
    assert data["cases_by_state"] == {"new": 1}

    text = run_monitor("--db", str(db), "status")
    assert text.returncode == 0
    assert f"store: {db}" in text.stdout
    assert "mentions: 10 (10 not yet classified)" in text.stdout
    assert "by platform: reddit 3, twitter 7" in text.stdout
    assert "youtube: last 2026-11-29T12:00:00Z (ok), 3 calls, 0 new" in text.stdout
    assert "cases: new 1" in text.stdout
    # user-supplied names cannot reach the terminal raw: no escape sequences, bidi overrides or forged lines
    assert "\x1b" not in text.stdout and "\u202e" not in text.stdout and "\x07" not in text.stdout
    assert not any(line.startswith("forged line") for line in text.stdout.splitlines())


def test_check_and_recover_a_healthy_store(run_monitor: RunMonitor, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    run_monitor("--db", str(db), "import", str(write_jsonl(tmp_path / "in.jsonl", [mention(i) for i in range(40)])))
    proc = run_monitor("--db", str(db), "check", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"] is True
    with open_store(db) as store:
        store.record_poll(PollRun("twitter", "Acme", "acme", NOW, NOW, calls=1), [], {"since_id": "9"})
    report = salvage(db, tmp_path / "copy.db")
    assert report["mentions"] == {"rows": 40, "damaged_stretches": 0}
    assert report["cursors"]["rows"] == 1 and report["poll_runs"]["rows"] == 1
    with open_store(tmp_path / "copy.db") as copy:
        assert copy.check() == []
        assert copy.get_cursor("twitter", "Acme", "acme") == {"since_id": "9"}
        assert len(copy.search("parcel", 100)) == 40  # the index was rebuilt
    again = run_monitor("recover", str(db), str(tmp_path / "copy.db"))
    assert again.returncode == 5 and "already exists" in again.stderr
