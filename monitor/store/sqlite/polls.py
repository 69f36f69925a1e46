"""Polling state: the poll transaction (mentions + cursor + run record), connector state, quota, cached reach."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.models import Mention
from monitor.store.records import ConnectorState, InsertResult, PollActivity, PollRun
from monitor.store.sqlite.mentions import MentionSql
from monitor.timeutil import parse_time, to_iso


def _time(value: str | None) -> datetime | None:
    return parse_time(value) if value else None


class PollSql(MentionSql):
    def record_poll(self, run: PollRun, mentions: Sequence[Mention], cursor: dict[str, Any] | None) -> InsertResult:
        """The one transaction of a completed poll: mentions, authors, new cursor and the run record.

        Pass cursor=None to keep the stored cursor (e.g. a walk that found nothing).
        """
        with self.errors(), self.transaction() as conn:
            result = self.insert_mentions(conn, mentions, fetched_at=run.finished_at, source="poll")
            if cursor is not None:
                conn.execute(
                    "INSERT INTO cursors (platform, brand, query, cursor, updated_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (platform, brand, query) DO UPDATE SET "
                    "cursor = excluded.cursor, updated_at = excluded.updated_at",
                    (run.platform, run.brand, run.query, json.dumps(cursor, sort_keys=True), to_iso(run.finished_at)),
                )
            _insert_run(conn, run, result)
            return result

    def record_failed_poll(self, run: PollRun) -> None:
        """A poll that did not complete: only the run record is written; mentions and cursor stay."""
        with self.errors(), self.transaction() as conn:
            _insert_run(conn, run, InsertResult(0, 0))

    def get_cursor(self, platform: str, brand: str, query: str) -> dict[str, Any] | None:
        with self.errors():
            row = self.conn.execute(
                "SELECT cursor FROM cursors WHERE platform = ? AND brand = ? AND query = ?",
                (platform, brand, query),
            ).fetchone()
        return json.loads(row[0]) if row else None

    # --- connector state -----------------------------------------------------------------------

    def set_connector_state(
        self, platform: str, state: str, *, now: datetime, until: datetime | None = None, detail: str = ""
    ) -> None:
        with self.errors(), self.transaction() as conn:
            conn.execute(
                "INSERT INTO connector_state (platform, state, until, detail, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (platform) DO UPDATE SET state = excluded.state, until = excluded.until, "
                "detail = excluded.detail, updated_at = excluded.updated_at",
                (platform, state, to_iso(until) if until else None, detail, to_iso(now)),
            )

    def connector_states(self) -> dict[str, ConnectorState]:
        with self.errors():
            rows = self.conn.execute("SELECT platform, state, until, detail, updated_at FROM connector_state")
            return {
                platform: ConnectorState(state, _time(until), detail or "", _time(updated))
                for platform, state, until, detail, updated in rows
            }

    def poll_activity(self, platforms: Sequence[str], *, since: datetime) -> dict[str, PollActivity]:
        """Per platform: the newest poll run and the new mentions of the runs finished at or after `since`."""
        out: dict[str, PollActivity] = {}
        with self.errors():
            for name in platforms:
                last = self.conn.execute(
                    "SELECT finished_at, status FROM poll_runs WHERE platform = ? ORDER BY finished_at DESC LIMIT 1",
                    (name,),
                ).fetchone()
                new = self.conn.execute(
                    "SELECT coalesce(sum(new), 0) FROM poll_runs WHERE platform = ? AND finished_at >= ?",
                    (name, to_iso(since)),
                ).fetchone()[0]
                out[name] = PollActivity(
                    last_poll=_time(last[0]) if last else None,
                    last_status=last[1] if last else None,
                    new_since=int(new),
                )
        return out

    # --- quota units per day, cached author reach ---------------------------------------------

    def add_quota_units(self, platform: str, day: str, units: int) -> None:
        with self.errors(), self.transaction() as conn:
            conn.execute(
                "INSERT INTO quota_usage (platform, day, units) VALUES (?, ?, ?) "
                "ON CONFLICT (platform, day) DO UPDATE SET units = units + excluded.units",
                (platform, day, units),
            )

    def quota_units(self, platform: str, day: str) -> int:
        with self.errors():
            row = self.conn.execute(
                "SELECT coalesce(sum(units), 0) FROM quota_usage WHERE platform = ? AND day = ?", (platform, day)
            ).fetchone()
        return int(row[0])

    def cached_reach(self, platform: str, ids: Sequence[str], *, since: datetime) -> dict[str, int | None]:
        """Reach of the given authors looked up at or after `since`."""
        out: dict[str, int | None] = {}
        with self.errors():
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                rows = self.conn.execute(
                    f"SELECT id, reach FROM author_reach WHERE platform = ? AND checked_at >= ? "
                    f"AND id IN ({', '.join('?' for _ in chunk)})",
                    (platform, to_iso(since), *chunk),
                )
                out.update({r[0]: r[1] for r in rows})
        return out

    def save_reach(self, platform: str, reach: dict[str, int | None], *, now: datetime) -> None:
        if not reach:
            return
        with self.errors(), self.transaction() as conn:
            conn.executemany(
                "INSERT INTO author_reach (platform, id, reach, checked_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (platform, id) DO UPDATE SET reach = excluded.reach, checked_at = excluded.checked_at",
                [(platform, k, v, to_iso(now)) for k, v in reach.items()],
            )


def _insert_run(conn: sqlite3.Connection, run: PollRun, result: InsertResult) -> None:
    conn.execute(
        "INSERT INTO poll_runs (platform, brand, query, started_at, finished_at, status, calls, new, "
        "duplicates, skipped, errors, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run.platform,
            run.brand,
            run.query,
            to_iso(run.started_at),
            to_iso(run.finished_at),
            run.status,
            run.calls,
            result.new,
            result.duplicates,
            run.skipped,
            run.errors,
            json.dumps(run.detail, sort_keys=True, default=str) if run.detail else None,
        ),
    )
