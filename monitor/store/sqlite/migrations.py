"""Named, ordered schema migrations.

Each step runs in its own transaction together with the row that records it in `_migrations`, so a crash
mid-upgrade leaves the file at the previous step. Steps are append-only: never edit a released step,
add a new one. (We keep this ~40-line runner rather than sqlite-migrate so each step is atomic.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# A step is a SQL script (run statement by statement inside the step's transaction) or, for data
# backfills, a function of the connection that must not commit.
Step = str | Callable[[sqlite3.Connection], None]


_M001_INITIAL = """
        CREATE TABLE mentions (
            platform TEXT NOT NULL,
            id TEXT NOT NULL,
            brand TEXT,
            query TEXT,
            kind TEXT NOT NULL DEFAULT 'post',
            url TEXT NOT NULL,
            text TEXT NOT NULL,
            lang TEXT,                      -- language tag the platform gave, if any
            created_at TEXT NOT NULL,       -- UTC ISO-8601
            fetched_at TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'poll',  -- poll | import
            author_id TEXT NOT NULL,
            author_handle TEXT NOT NULL,
            author_followers INTEGER,       -- at first sight
            author_verified INTEGER NOT NULL DEFAULT 0,
            likes INTEGER NOT NULL DEFAULT 0,
            reposts INTEGER NOT NULL DEFAULT 0,
            replies INTEGER NOT NULL DEFAULT 0,
            views INTEGER,
            raw TEXT,                       -- payload JSON as received
            PRIMARY KEY (platform, id)
        );
        CREATE INDEX mentions_created ON mentions (created_at);
        CREATE INDEX mentions_brand ON mentions (brand, created_at);

        CREATE TABLE authors (
            platform TEXT NOT NULL,
            id TEXT NOT NULL,
            handle TEXT NOT NULL,
            followers INTEGER,
            verified INTEGER NOT NULL DEFAULT 0,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (platform, id)
        );

        CREATE TABLE cursors (
            platform TEXT NOT NULL,
            brand TEXT NOT NULL,
            query TEXT NOT NULL,
            cursor TEXT NOT NULL,           -- JSON, connector-specific
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, brand, query)
        );

        CREATE TABLE poll_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            platform TEXT NOT NULL,
            brand TEXT NOT NULL,
            query TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            status TEXT NOT NULL,           -- ok | rate_limited | quota | auth_error | error
            calls INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            detail TEXT
        );
        CREATE INDEX poll_runs_platform ON poll_runs (platform, finished_at);
"""


_M002_CLASSIFICATION = """
        ALTER TABLE mentions ADD COLUMN language TEXT;          -- detected (ISO 639-1 or 'und')
        ALTER TABLE mentions ADD COLUMN complaint INTEGER;      -- 1/0, NULL until classified
        ALTER TABLE mentions ADD COLUMN score REAL;
        ALTER TABLE mentions ADD COLUMN severity INTEGER;
        ALTER TABLE mentions ADD COLUMN reasons TEXT;           -- JSON list
        ALTER TABLE mentions ADD COLUMN signals TEXT;           -- JSON object
        ALTER TABLE mentions ADD COLUMN model_version TEXT;
        ALTER TABLE mentions ADD COLUMN classified_at TEXT;
        -- the classifier's work list stays small however large the table grows
        CREATE INDEX mentions_unclassified ON mentions (fetched_at) WHERE model_version IS NULL;
"""


_M003_CASES_EVENTS = """
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            platform TEXT NOT NULL,
            mention_id TEXT NOT NULL,
            brand TEXT,
            severity INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'new'
                CHECK (state IN ('new', 'claimed', 'responded', 'resolved', 'dismissed')),
            first_seen TEXT NOT NULL,
            due_at TEXT NOT NULL,
            author_followers INTEGER,        -- copied for the audit's tiers
            escalated INTEGER NOT NULL DEFAULT 0,
            escalated_at TEXT,
            escalated_by TEXT,
            escalation_reason TEXT,
            claimed_by TEXT,
            claimed_at TEXT,
            claim_expires_at TEXT,
            responded_at TEXT,               -- first response
            responded_by TEXT,
            resolved_at TEXT,
            dismissed_at TEXT,
            dismissed_reason TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (platform, mention_id),
            FOREIGN KEY (platform, mention_id) REFERENCES mentions (platform, id)
        );
        CREATE INDEX cases_open ON cases (due_at) WHERE state IN ('new', 'claimed');
        CREATE INDEX cases_state ON cases (state, due_at);
        CREATE INDEX cases_first_seen ON cases (first_seen);

        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,            -- open, claim, release, respond, resolve, dismiss, escalate, expire
            from_state TEXT,
            to_state TEXT,
            detail TEXT                      -- JSON: note, reason, out_of_order, ...
        );
        CREATE INDEX events_case ON events (case_id, id);
        CREATE INDEX events_at ON events (at);
        -- append-only: the audit trail cannot be edited or deleted through SQL
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
"""


# External-content FTS5 over mentions.text, kept in step by triggers.
_M004_FTS = """
        CREATE VIRTUAL TABLE mentions_fts USING fts5(
            text, content='mentions', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
        );
        INSERT INTO mentions_fts (rowid, text) SELECT rowid, text FROM mentions;
        CREATE TRIGGER mentions_fts_ai AFTER INSERT ON mentions BEGIN
            INSERT INTO mentions_fts (rowid, text) VALUES (new.rowid, new.text);
        END;
        CREATE TRIGGER mentions_fts_ad AFTER DELETE ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        END;
        CREATE TRIGGER mentions_fts_au AFTER UPDATE OF text ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
            INSERT INTO mentions_fts (rowid, text) VALUES (new.rowid, new.text);
        END;
"""


_M005_CONNECTOR_STATE_AND_DIGESTS = """
        -- what the scheduler knows about each connector: backing off, quota paused, auth error
        CREATE TABLE connector_state (
            platform TEXT PRIMARY KEY,
            state TEXT NOT NULL,             -- ok | backoff | quota | auth_error | error
            until TEXT,                      -- resume time for backoff / quota
            detail TEXT,
            updated_at TEXT NOT NULL
        );
        -- quota units spent per platform per quota day (YouTube resets at midnight Pacific)
        CREATE TABLE quota_usage (
            platform TEXT NOT NULL,
            day TEXT NOT NULL,
            units INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (platform, day)
        );
        -- one row per (digest date, recipient) that was delivered: reruns send nothing twice
        CREATE TABLE digests_sent (
            date TEXT NOT NULL,
            recipient TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            message_id TEXT NOT NULL,
            PRIMARY KEY (date, recipient)
        );
"""


_M006_QUEUE_INDEXES = """
        -- escalations jump the line: find the open ones without scanning the queue
        CREATE INDEX cases_escalated_open ON cases (escalated_at) WHERE escalated = 1 AND state IN ('new', 'claimed');
        -- claim expiry: the few claimed cases, oldest deadline first
        CREATE INDEX cases_claimed ON cases (claim_expires_at) WHERE state = 'claimed';
        -- the audit reads events per action in a time window (out-of-order picks, escalations)
        CREATE INDEX events_action ON events (action, at);
"""


_M007_POLL_AUTHOR_REACH = """
        -- reach looked up per author (Reddit karma, YouTube subscribers): one extra API call per author per day
        CREATE TABLE author_reach (
            platform TEXT NOT NULL,
            id TEXT NOT NULL,
            reach INTEGER,                   -- NULL: hidden or unavailable
            checked_at TEXT NOT NULL,
            PRIMARY KEY (platform, id)
        );
"""


MIGRATIONS: list[tuple[str, Step]] = [
    ("001_initial", _M001_INITIAL),
    ("002_classification", _M002_CLASSIFICATION),
    ("003_cases_events", _M003_CASES_EVENTS),
    ("004_fts", _M004_FTS),
    ("005_connector_state_and_digests", _M005_CONNECTOR_STATE_AND_DIGESTS),
    ("006_queue_indexes", _M006_QUEUE_INDEXES),
    ("007_poll_author_reach", _M007_POLL_AUTHOR_REACH),
]


def applied(conn: sqlite3.Connection) -> list[str]:
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection, now_iso: str, *, upto: str | None = None) -> list[str]:
    """Apply the missing steps in order (up to and including `upto`, for tests). Returns their names.

    The connection must be in autocommit mode (isolation_level=None); each step is one transaction.
    """
    done = set(applied(conn))
    ran: list[str] = []
    for name, step in MIGRATIONS:
        if name not in done:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # re-check inside the write lock: another process may have just applied it
                if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone() is None:
                    _run_step(conn, step)
                    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, now_iso))
                    ran.append(name)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        if name == upto:
            break
    return ran


def _run_step(conn: sqlite3.Connection, step: Step) -> None:
    if callable(step):
        step(conn)
        return
    # executescript() would COMMIT the open transaction first, so run the statements one by one.
    buf = ""
    for line in step.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):  # triggers hold ';' inside BEGIN ... END
            conn.execute(buf)
            buf = ""
    if buf.strip():
        conn.execute(buf)
