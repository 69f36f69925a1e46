"""Helpers for the digest tests: a hand-built store with known
figures, a real SMTP server on loopback, a config file pointing at both, and the real `monitor` CLI.

The fixture day is 2026-11-20 in America/New_York (UTC-5), i.e. 2026-11-20T05:00Z to 2026-11-21T05:00Z.
Expected numbers are worked out by hand in test_digest_figures.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from monitor.config import Config, parse_config
from monitor.models import Author, Mention
from monitor.store import open_store
from monitor.timeutil import to_iso

MONITOR = str(Path(sys.executable).with_name("monitor"))
DAY = "2026-11-20"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 07:00 the next morning in New York
SUBJECT = "Résumé des plaintes — {date}"
SENDER = "Équipe Soins <care@example.com>"
RECIPIENT = "Zoë Manager <zoe@example.com>"
SMTP_USER = "digest-bot"
SMTP_PASSWORD = "s3cret-Pa55word-never-printed"

HOSTILE = (
    "<script>alert(1)</script> &amp; &lt;b&gt; [red]boom[/red] [link=http://evil]x[/link] "
    "\u202egnp.exe \x1b[31mred\x1b[0m\x1b]8;;http://evil\x07click\x1b]8;;\x07 refund"
)


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


@dataclass(frozen=True)
class FixtureCase:
    key: str
    platform: str
    brand: str
    language: str | None
    followers: int | None
    severity: int
    first_seen: str
    due_at: str
    state: str
    responded_at: str | None
    text: str
    handle: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# SLA: 4 -> 1h, 3 -> 2h, 2 -> 4h, 1 -> 8h.
CASES = [
    # the day before (local 19 Nov 23:30): still open, the oldest unanswered
    FixtureCase(
        "c0",
        "twitter",
        "Acme",
        "en",
        20_000,
        3,
        "2026-11-20T04:30:00Z",
        "2026-11-20T06:30:00Z",
        "new",
        None,
        "Refund missing since last week",
    ),
    FixtureCase(
        "c1",
        "twitter",
        "Acme",
        "en",
        40,
        3,
        "2026-11-20T14:00:00Z",
        "2026-11-20T16:00:00Z",
        "responded",
        "2026-11-20T15:00:00Z",
        "Waiting for my refund from Acme",
    ),
    FixtureCase(
        "c2",
        "twitter",
        "Acme",
        "en",
        80,
        2,
        "2026-11-20T15:00:00Z",
        "2026-11-20T19:00:00Z",
        "resolved",
        "2026-11-20T20:00:00Z",
        "Refund denied again",
    ),
    FixtureCase(
        "c3",
        "twitter",
        "Acme",
        "en",
        400_000,
        3,
        "2026-11-20T14:00:00Z",
        "2026-11-20T16:00:00Z",
        "responded",
        "2026-11-20T14:30:00Z",
        "Parcel delivery lost, courier useless",
    ),
    FixtureCase(
        "c4",
        "reddit",
        "Globex",
        "en",
        250_000,
        4,
        "2026-11-20T16:00:00Z",
        "2026-11-20T17:00:00Z",
        "responded",
        "2026-11-20T16:30:00Z",
        "Delivery late and parcel damaged",
    ),
    FixtureCase(
        "c5",
        "reddit",
        "Globex",
        "es",
        5_000,
        1,
        "2026-11-20T18:00:00Z",
        "2026-11-21T02:00:00Z",
        "new",
        None,
        "Reembolso pendiente, refund por favor",
    ),
    FixtureCase(
        "c6",
        "youtube",
        "Acme",
        None,
        None,
        2,
        "2026-11-20T19:00:00Z",
        "2026-11-20T23:00:00Z",
        "dismissed",
        None,
        "spam spam",
    ),
    FixtureCase(
        "c7",
        "twitter",
        "Acme",
        "fr",
        500,
        4,
        "2026-11-20T20:00:00Z",
        "2026-11-20T21:00:00Z",
        "claimed",
        None,
        HOSTILE,
        handle="\u202eevil\x1b[2J<b>",
    ),
    # first seen exactly at the end of the day: belongs to 21 Nov
    FixtureCase(
        "c8",
        "twitter",
        "Acme",
        "en",
        10,
        4,
        "2026-11-21T05:00:00Z",
        "2026-11-21T06:00:00Z",
        "responded",
        "2026-11-21T05:10:00Z",
        "Refund refund refund",
    ),
]
# (platform, id, brand, language, created_at, text): mentions that are not complaints
OTHER_MENTIONS = [
    ("twitter", "n1", "Acme", "en", "2026-11-20T12:00:00Z", "Love the new Acme app"),
    ("reddit", "n2", "Globex", "es", "2026-11-20T13:00:00Z", "Globex tiene buena pinta"),
    ("youtube", "n3", "Acme", "fr", "2026-11-21T04:59:59Z", "Vidéo sympa sur Acme"),
    ("twitter", "n4", "Acme", "en", "2026-11-21T05:00:00Z", "Next day, not counted"),
]
# (case key, at, actor, action, detail)
EVENTS = [
    ("c1", "2026-11-20T14:40:00Z", "ana", "claim", {"out_of_order": False}),
    ("c2", "2026-11-20T15:10:00Z", "ana", "claim", {"out_of_order": True}),
    ("c7", "2026-11-20T20:10:00Z", "bo", "claim", {"out_of_order": True}),
    ("c5", "2026-11-20T19:00:00Z", "bo", "escalate", {"reason": "legal"}),
    ("c8", "2026-11-21T05:05:00Z", "cy", "claim", {"out_of_order": True}),  # next day
]


def config_data(store: Path, port: int = 25, **smtp: Any) -> dict[str, Any]:
    return {
        "store": str(store),
        "timezone": "America/New_York",
        "brands": [{"name": "Acme"}, {"name": "Globex"}],
        "digest": {"recipients": [RECIPIENT], "sender": SENDER, "subject": SUBJECT, "oldest_unanswered": 10},
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout": "10s", **smtp},
    }


def make_config(store: Path, port: int = 25, environ: dict[str, str] | None = None, **smtp: Any) -> Config:
    return parse_config(config_data(store, port, **smtp), environ=environ or {})


def fill_store(path: Path) -> None:
    """Write the fixture rows the way the pipeline leaves them: mentions with verdicts, cases, events."""
    with open_store(path) as store:
        mentions = [
            Mention(
                platform=c.platform,
                id=c.key,
                url=f"https://example.com/{c.platform}/{c.key}",
                text=c.text,
                created_at=_t(c.first_seen),
                author=Author(f"a-{c.key}", c.handle or f"user_{c.key}", c.followers),
                brand=c.brand,
            )
            for c in CASES
        ] + [
            Mention(
                platform=p,
                id=i,
                url=f"https://example.com/{p}/{i}",
                text=text,
                created_at=_t(at),
                author=Author(f"a-{i}", f"user_{i}", 10),
                brand=brand,
            )
            for p, i, brand, _, at, text in OTHER_MENTIONS
        ]
        store.add_mentions(mentions, fetched_at=NOW, source="import")
    # verdicts and cases in hand-picked states: written as raw rows, the store has no such write
    with closing(sqlite3.connect(path)) as conn, conn:
        # the classifier's verdicts
        for c in CASES:
            conn.execute(
                "UPDATE mentions SET language = ?, complaint = 1, severity = ?, model_version = 'fixture' "
                "WHERE platform = ? AND id = ?",
                (c.language, c.severity, c.platform, c.key),
            )
        for p, i, _, lang, _, _ in OTHER_MENTIONS:
            conn.execute(
                "UPDATE mentions SET language = ?, complaint = 0, model_version = 'fixture' "
                "WHERE platform = ? AND id = ?",
                (lang, p, i),
            )
        ids: dict[str, int] = {}
        for c in CASES:
            cur = conn.execute(
                "INSERT INTO cases (platform, mention_id, brand, severity, state, first_seen, due_at, "
                "author_followers, responded_at, responded_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    c.platform,
                    c.key,
                    c.brand,
                    c.severity,
                    c.state,
                    c.first_seen,
                    c.due_at,
                    c.followers,
                    c.responded_at,
                    "ana" if c.responded_at else None,
                    to_iso(NOW),
                ),
            )
            ids[c.key] = int(cur.lastrowid or 0)
        for key, at, actor, action, detail in EVENTS:
            conn.execute(
                "INSERT INTO events (case_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
                (ids[key], at, actor, action, json.dumps(detail)),
            )


@pytest.fixture
def fixture_store(tmp_path: Path) -> Path:
    path = tmp_path / "digest.db"
    fill_store(path)
    return path


# --- a real SMTP server on loopback --------------------------------------------------------------


class LoopbackController(Controller):
    """aiosmtpd's Controller on an ephemeral port (port=0): learn the port before its self-check connects."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    """The SMTP handler: keeps what it accepted; `reject` makes DATA fail with a permanent error."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.reject: str | None = None
        self.unknown_users: set[str] = set()
        self.logins: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.unknown_users:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.reject:
            return self.reject
        with self.lock:
            self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.content or b"")))
        return "250 OK queued"

    def authenticate(self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, pw = data.login.decode(), data.password.decode()
            self.logins.append((user, pw))
            # handled=False: aiosmtpd itself answers a failure with "535 5.7.8 Authentication credentials invalid"
            return AuthResult(success=user == SMTP_USER and pw == SMTP_PASSWORD, handled=False)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[LoopbackController, Inbox]]:
    inbox = Inbox()
    controller = LoopbackController(
        inbox, hostname="127.0.0.1", port=0, authenticator=inbox.authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that is bound but not listening: connecting to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


# --- the real CLI ---------------------------------------------------------------------------------

_SCRUB = ("MONITOR_CONFIG", "SMTP_USERNAME", "SMTP_PASSWORD")


def run_monitor(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in _SCRUB} | (env or {})
    return subprocess.run(
        [MONITOR, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=environ,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def write_config(tmp_path: Path, store: Path, port: int, **smtp: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_data(store, port, **smtp), allow_unicode=True), encoding="utf-8")
    return path
