"""The daily digest's SQL: one day's mentions and cases, and who has been sent which day's digest."""

from __future__ import annotations

from datetime import date, datetime

from monitor.store.records import CaseRow, DayRows, DigestSent, MentionRow
from monitor.store.sqlite.connection import SqliteConnection
from monitor.timeutil import parse_time, to_iso

OPEN_STATES = ("new", "claimed")

_CASE_COLUMNS = """
    c.id, c.platform, c.brand, c.severity, c.state, c.first_seen, c.due_at, c.responded_at,
    c.author_followers, m.author_handle, m.url, m.text
"""
_CASE_FROM = "FROM cases c JOIN mentions m ON m.platform = c.platform AND m.id = c.mention_id"


def _case(row: tuple[object, ...]) -> CaseRow:
    (cid, platform, brand, severity, state, first_seen, due_at, responded_at, followers, handle, url, text) = row
    return CaseRow(
        id=int(str(cid)),
        platform=str(platform),
        brand=None if brand is None else str(brand),
        severity=int(str(severity)),
        state=str(state),
        first_seen=parse_time(str(first_seen)),
        due_at=parse_time(str(due_at)),
        responded_at=parse_time(str(responded_at)) if responded_at else None,
        followers=None if followers is None else int(str(followers)),
        handle=str(handle or ""),
        url=str(url or ""),
        text=str(text or ""),
    )


class DigestSql(SqliteConnection):
    def day_rows(self, since: datetime, until: datetime, *, unanswered_limit: int = 0) -> DayRows:
        """Mentions and complaints of [since, until), and the oldest complaints still waiting for a first response."""
        lo, hi = to_iso(since), to_iso(until)
        q = self.conn.execute
        with self.errors():
            mentions = [
                MentionRow(platform, brand, language, bool(complaint))
                for platform, brand, language, complaint in q(
                    "SELECT platform, brand, coalesce(language, lang), complaint FROM mentions "
                    "WHERE created_at >= ? AND created_at < ?",
                    (lo, hi),
                )
            ]
            cases = [
                _case(r)
                for r in q(
                    f"SELECT {_CASE_COLUMNS} {_CASE_FROM} WHERE c.first_seen >= ? AND c.first_seen < ? "
                    "ORDER BY c.first_seen, c.id",
                    (lo, hi),
                )
            ]
            unanswered = [
                _case(r)
                for r in q(
                    f"SELECT {_CASE_COLUMNS} {_CASE_FROM} WHERE c.state IN (?, ?) AND c.responded_at IS NULL "
                    "AND c.first_seen < ? ORDER BY c.first_seen, c.id LIMIT ?",
                    (*OPEN_STATES, hi, unanswered_limit),
                )
            ]
        return DayRows(since=since, until=until, mentions=mentions, cases=cases, unanswered=unanswered)

    def digest_sent(self, day: date, recipient: str) -> DigestSent | None:
        """The delivery record of `day`'s digest to `recipient` (a bare lower-case address), if any."""
        with self.errors():
            row = self.conn.execute(
                "SELECT sent_at, message_id FROM digests_sent WHERE date = ? AND recipient = ?",
                (day.isoformat(), recipient),
            ).fetchone()
        return DigestSent(str(row[0]), str(row[1])) if row else None

    def mark_digest_sent(self, day: date, recipient: str, *, sent_at: datetime, message_id: str) -> None:
        """Remember a delivery; a second record for the same (day, recipient) is ignored."""
        with self.errors(), self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO digests_sent (date, recipient, sent_at, message_id) VALUES (?, ?, ?, ?)",
                (day.isoformat(), recipient, to_iso(sent_at), message_id),
            )
