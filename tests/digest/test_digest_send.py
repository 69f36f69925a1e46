"""Sending through the real CLI to a real SMTP server (aiosmtpd) on loopback: once per (date, recipient),
failures exit 9 and leave the digest unsent for the next run; headers and both MIME parts are checked."""

from __future__ import annotations

import email
import json
import re
import sqlite3
import ssl
from datetime import date
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from cm_testing.digest import (
    NOW,
    RECIPIENT,
    SMTP_PASSWORD,
    SMTP_USER,
    Inbox,
    LoopbackController,
    make_config,
    run_monitor,
    write_config,
)

from monitor.config import Config
from monitor.digest import prepare, send
from monitor.digest.job import Rendered
from monitor.errors import DeliveryError
from monitor.store import Store, open_store

DATE = "2026-11-20"
AUTH_ENV = {"DIGEST_SMTP_USER": SMTP_USER, "DIGEST_SMTP_PASSWORD": SMTP_PASSWORD}
AUTH = {"username_env": "DIGEST_SMTP_USER", "password_env": "DIGEST_SMTP_PASSWORD"}


def _sent_rows(store: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(store) as conn:
        return conn.execute("SELECT date, recipient, message_id FROM digests_sent ORDER BY recipient").fetchall()


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_send_delivers_one_correct_message_and_a_rerun_sends_none(
    tmp_path: Path, fixture_store: Path, smtp_server: tuple[LoopbackController, Inbox]
) -> None:
    controller, inbox = smtp_server
    config = write_config(tmp_path, fixture_store, controller.port, **AUTH)
    proc = run_monitor("-vv", "--config", str(config), "digest", "--date", DATE, "--send", env=AUTH_ENV)
    assert proc.returncode == 0, proc.stderr
    assert "sent the 2026-11-20 digest to" in proc.stdout
    assert SMTP_PASSWORD not in proc.stdout + proc.stderr
    assert inbox.logins == [(SMTP_USER, SMTP_PASSWORD)]
    assert len(inbox.messages) == 1
    mail_from, rcpt_tos, raw = inbox.messages[0]
    assert (mail_from, rcpt_tos) == ("care@example.com", ["zoe@example.com"])

    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # non-ASCII subject and names travel RFC 2047-encoded
    assert b"=?utf-8?" in head
    msg = _parse(raw)
    assert msg["Subject"] == "Résumé des plaintes — 2026-11-20 — parity alert 6.00"
    assert parseaddr(str(msg["From"])) == ("Équipe Soins", "care@example.com")
    assert parseaddr(str(msg["To"])) == ("Zoë Manager", "zoe@example.com")
    assert parsedate_to_datetime(str(msg["Date"])).tzinfo is not None
    message_id = str(msg["Message-ID"]).strip()
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", message_id)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    text_part, html_part = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert "Answered within SLA: 3 (50% of 6 decided)" in text
    assert "Complaints opened:   7" in text
    assert "median 45m, p90 5h00m" in text
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "\u202e" not in text + html and "\x1b" not in text + html
    assert _sent_rows(fixture_store) == [(DATE, "zoe@example.com", message_id)]

    again = run_monitor("--config", str(config), "digest", "--date", DATE, "--send", env=AUTH_ENV)
    assert again.returncode == 0, again.stderr
    assert "already sent to" in again.stdout
    assert len(inbox.messages) == 1


def test_a_rejected_send_exits_9_records_nothing_and_the_next_run_sends(
    tmp_path: Path, fixture_store: Path, smtp_server: tuple[LoopbackController, Inbox]
) -> None:
    controller, inbox = smtp_server
    config = write_config(tmp_path, fixture_store, controller.port)
    inbox.reject = "554 5.6.0 Message rejected by policy"
    proc = run_monitor("--config", str(config), "digest", "--date", DATE, "--send")
    assert proc.returncode == 9
    assert "554" in proc.stderr and "next run sends" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _sent_rows(fixture_store) == []

    inbox.reject = None
    retry = run_monitor("--config", str(config), "digest", "--date", DATE, "--send")
    assert retry.returncode == 0, retry.stderr
    assert len(inbox.messages) == 1 and len(_sent_rows(fixture_store)) == 1


def test_connection_refused_exits_9_and_the_next_run_sends(
    tmp_path: Path, fixture_store: Path, refused_port: int, smtp_server: tuple[LoopbackController, Inbox]
) -> None:
    controller, inbox = smtp_server
    config = write_config(tmp_path, fixture_store, refused_port)
    proc = run_monitor("--config", str(config), "digest", "--date", DATE, "--send")
    assert proc.returncode == 9
    assert "connection refused" in proc.stderr and "Nothing was recorded" in proc.stderr
    assert _sent_rows(fixture_store) == []

    config = write_config(tmp_path, fixture_store, controller.port)
    retry = run_monitor("--config", str(config), "digest", "--date", DATE, "--send")
    assert retry.returncode == 0, retry.stderr
    assert len(inbox.messages) == 1


def test_wrong_password_exits_9_without_printing_it(
    tmp_path: Path, fixture_store: Path, smtp_server: tuple[LoopbackController, Inbox]
) -> None:
    controller, inbox = smtp_server
    config = write_config(tmp_path, fixture_store, controller.port, **AUTH)
    wrong = {**AUTH_ENV, "DIGEST_SMTP_PASSWORD": "wrong-Pa55word-also-secret"}
    proc = run_monitor("-vv", "--config", str(config), "digest", "--date", DATE, "--send", env=wrong)
    assert proc.returncode == 9
    assert "535" in proc.stderr
    assert "wrong-Pa55word-also-secret" not in proc.stdout + proc.stderr
    assert inbox.messages == [] and _sent_rows(fixture_store) == []


def _prepare(store: Store, port: int) -> tuple[Config, Rendered]:
    config = make_config(store.path, port)
    return config, prepare(store, config, day=date(2026, 11, 20), now=NOW)


def test_each_recipient_gets_it_once(fixture_store: Path, smtp_server: tuple[LoopbackController, Inbox]) -> None:
    controller, inbox = smtp_server
    with open_store(fixture_store) as store:
        config, rendered = _prepare(store, controller.port)
        send(store, config, rendered, recipients=["a@example.com"], now=NOW)
        # the same address in another spelling is the same recipient; a duplicate in one call is sent once
        result = send(
            store, config, rendered, recipients=["A <A@Example.com>", "b@example.com", "B@example.com"], now=NOW
        )
    assert [r for r, _ in result.skipped] == ["A <A@Example.com>"]
    assert [r for r, _ in result.sent] == ["b@example.com"]
    assert [m[1] for m in inbox.messages] == [["a@example.com"], ["b@example.com"]]
    assert [r[1] for r in _sent_rows(fixture_store)] == ["a@example.com", "b@example.com"]


def test_a_refused_recipient_fails_alone_and_is_sent_on_the_next_run(
    fixture_store: Path, smtp_server: tuple[LoopbackController, Inbox]
) -> None:
    controller, inbox = smtp_server
    inbox.unknown_users = {"b@example.com"}
    recipients = ["b@example.com", "c@example.com"]
    with open_store(fixture_store) as store:
        config, rendered = _prepare(store, controller.port)
        with pytest.raises(DeliveryError) as failure:
            send(store, config, rendered, recipients=recipients, now=NOW)
        assert failure.value.exit_code == 9
        message = str(failure.value)
        assert "b@example.com refused: 550" in message and "Sent and recorded: c@example.com" in message
        assert [r[1] for r in _sent_rows(fixture_store)] == ["c@example.com"]

        inbox.unknown_users = set()
        result = send(store, config, rendered, recipients=recipients, now=NOW)
    assert [r for r, _ in result.skipped] == ["c@example.com"]
    assert [m[1] for m in inbox.messages] == [["c@example.com"], ["b@example.com"]]


def test_out_writes_a_preview_and_sends_nothing(
    tmp_path: Path, fixture_store: Path, smtp_server: tuple[LoopbackController, Inbox]
) -> None:
    controller, inbox = smtp_server
    config = write_config(tmp_path, fixture_store, controller.port)
    out = tmp_path / "preview"
    proc = run_monitor("--config", str(config), "digest", "--date", DATE, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["digest-2026-11-20.eml", "digest-2026-11-20.html", "digest-2026-11-20.txt"]
    msg = _parse((out / "digest-2026-11-20.eml").read_bytes())
    html_part = msg.get_body(("html",))
    assert html_part is not None
    in_mail = html_part.get_content().replace("\r\n", "\n").rstrip("\n")  # the .eml has SMTP line ends
    assert in_mail == (out / "digest-2026-11-20.html").read_text(encoding="utf-8").rstrip("\n")
    assert inbox.messages == [] and _sent_rows(fixture_store) == []


def test_preview_to_stdout_and_bad_date(tmp_path: Path, fixture_store: Path) -> None:
    config = write_config(tmp_path, fixture_store, 25)
    proc = run_monitor("--config", str(config), "digest", "--date", DATE)
    assert proc.returncode == 0, proc.stderr
    assert "Complaints opened:   7" in proc.stdout
    as_json = run_monitor("--config", str(config), "digest", "--date", DATE, "--json")
    assert as_json.returncode == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    assert figures["cases"]["opened"] == 7 and figures["parity"] == 6.0 and figures["parity_alert"] is True
    assert figures["median"] == 45 * 60
    bad = run_monitor("--config", str(config), "digest", "--date", "20/11/2026")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_modes(tmp_path: Path, fixture_store: Path, tls_cert: tuple[Path, Path], security: str) -> None:
    cert, key = tls_cert
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    inbox = Inbox()
    tls: dict[str, Any] = {"tls_context": server_ctx, "require_starttls": True}
    if security == "ssl":  # aiosmtpd does not see TLS made by the listener, so allow AUTH explicitly
        tls = {"ssl_context": server_ctx, "auth_require_tls": False}
    controller = LoopbackController(inbox, hostname="127.0.0.1", port=0, authenticator=inbox.authenticate, **tls)
    controller.start()
    try:
        config = make_config(
            fixture_store,
            controller.port,
            environ={"U": SMTP_USER, "P": SMTP_PASSWORD},
            security=security,
            ca_file=str(cert),
            username_env="U",
            password_env="P",
        )
        with open_store(fixture_store) as store:
            rendered = prepare(store, config, day=date(2026, 11, 20), now=NOW)
            result = send(store, config, rendered, recipients=[RECIPIENT], now=NOW)
            assert [r for r, _ in result.sent] == [RECIPIENT]
            assert inbox.logins == [(SMTP_USER, SMTP_PASSWORD)]
            # an untrusted certificate is a delivery failure, not a silent downgrade
            untrusted = make_config(fixture_store, controller.port, security=security)
            with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
                send(store, untrusted, rendered, recipients=["other@example.com"], now=NOW)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
