"""The email: compose a multipart/alternative message, send it over SMTP, remember who has it.

Idempotency is per (digest date, recipient) in the `digests_sent` table, written only after the server
accepted the message. A crash between "accepted" and "recorded" can therefore send one duplicate on the
next run (at-least-once); it can never lose a digest.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from monitor.config import Config, SmtpConfig
from monitor.errors import ConfigError, DeliveryError
from monitor.store.protocol import Store


def address_key(recipient: str) -> str:
    """The bare, lower-case address: "Ana <Ana@Example.com>" and "ana@example.com" are one recipient."""
    return parseaddr(recipient)[1].strip().lower()


def compose(
    subject: str, html: str, text: str, *, sender: str, recipient: str, now: datetime, day: date
) -> EmailMessage:
    """A multipart/alternative message; policy=SMTP encodes non-ASCII subjects and display names (RFC 2047)."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = format_datetime(now)
    domain = address_key(sender).rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring="digest", domain=domain)  # short: stays on one header line
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to the robot
    msg["X-Complaint-Digest-Date"] = day.isoformat()
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def sent_record(store: Store, day: date, recipient: str) -> tuple[str, str] | None:
    """(sent_at, message_id) if this recipient already has this day's digest."""
    record = store.digest_sent(day, address_key(recipient))
    return (record.sent_at, record.message_id) if record else None


def record_sent(store: Store, day: date, recipient: str, *, sent_at: datetime, message_id: str) -> None:
    store.mark_digest_sent(day, address_key(recipient), sent_at=sent_at, message_id=message_id)


def _reason(exc: BaseException) -> str:
    return _describe(exc).rstrip(". ")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r} refused: {code} {_text(m)}" for r, (code, m) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server said {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the SMTP server running, and are smtp.host/port right?)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def connect(smtp: SmtpConfig, *, username: str | None, password: str | None) -> smtplib.SMTP:
    """An authenticated SMTP session per config: implicit TLS (ssl), STARTTLS, or plain (none)."""
    timeout = smtp.timeout.total_seconds()
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    session: smtplib.SMTP
    if smtp.security == "ssl":
        session = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
    else:
        session = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    try:
        if smtp.security == "starttls":
            session.starttls(context=context)
        if username:
            session.login(username, password or "")
    except BaseException:
        _quit(session)
        raise
    return session


def _quit(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()


@dataclass
class Delivery:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (recipient, message id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (recipient, sent_at) already delivered


def deliver(
    store: Store,
    config: Config,
    *,
    day: date,
    subject: str,
    html: str,
    text: str,
    recipients: Sequence[str],
    now: datetime,
) -> Delivery:
    """Send the day's digest to each recipient that does not have it yet; one SMTP session for all.

    Raises DeliveryError (exit 9) if any recipient could not be sent to; the ones accepted before the
    failure are recorded and will not get a second copy.
    """
    if not recipients:
        raise ConfigError("no recipients: set digest.recipients in the config or pass --to ADDR")
    result = Delivery()
    pending: list[str] = []
    for r in recipients:
        record = sent_record(store, day, r)
        if record:
            result.skipped.append((r, record[0]))
        elif address_key(r) not in {address_key(p) for p in pending}:
            pending.append(r)
    if not pending:
        return result
    smtp = config.smtp
    where = f"{smtp.host}:{smtp.port} ({smtp.security})"
    try:
        session = connect(smtp, username=config.smtp_secret("username"), password=config.smtp_secret("password"))
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"could not send the {day} digest: SMTP {where}: {_reason(exc)}. Nothing was recorded as sent; "
            "the next run will send it."
        ) from None
    failed: list[str] = []
    try:
        for i, r in enumerate(pending):
            msg = compose(subject, html, text, sender=config.digest.sender, recipient=r, now=now, day=day)
            try:
                session.send_message(msg)
            except (smtplib.SMTPException, OSError) as exc:
                failed.append(f"{r}: {_reason(exc)}")
                # SMTPException subclasses OSError; a dropped connection ends the session, a refusal does not
                lost = isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException)
                if lost:
                    failed.extend(f"{rest}: not attempted" for rest in pending[i + 1 :])
                    break
                continue
            message_id = str(msg["Message-ID"])
            record_sent(store, day, r, sent_at=now, message_id=message_id)
            result.sent.append((r, message_id))
    finally:
        _quit(session)
    if failed:
        done = f" Sent and recorded: {', '.join(r for r, _ in result.sent)}." if result.sent else ""
        raise DeliveryError(
            f"could not send the {day} digest via SMTP {where}: "
            + "; ".join(failed)
            + f".{done} The unsent ones were not recorded; the next run sends them."
        )
    return result
