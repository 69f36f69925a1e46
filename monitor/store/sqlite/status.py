"""`monitor status`: counts of mentions, polls, connector states, cases and quota in one read."""

from __future__ import annotations

from monitor.store.records import PollSummary, StoreStatus
from monitor.store.sqlite.polls import PollSql
from monitor.timeutil import parse_time


class StatusSql(PollSql):
    def status(self) -> StoreStatus:
        """Counts for `monitor status`: mentions by platform and brand, last polls, cases by state."""
        q = self.conn.execute
        with self.errors():
            by_platform = dict(q("SELECT platform, count(*) FROM mentions GROUP BY platform ORDER BY platform"))
            by_brand = {
                (b if b is not None else "(none)"): n
                for b, n in q("SELECT brand, count(*) FROM mentions GROUP BY brand ORDER BY brand")
            }
            polls = {}
            for platform, last, calls, new in q(
                "SELECT platform, max(finished_at), sum(calls), sum(new) FROM poll_runs GROUP BY platform"
            ):
                status_row = q(
                    "SELECT status FROM poll_runs WHERE platform = ? ORDER BY id DESC LIMIT 1", (platform,)
                ).fetchone()
                polls[platform] = PollSummary(parse_time(last), status_row[0], int(calls or 0), int(new or 0))
            cases = dict(q("SELECT state, count(*) FROM cases GROUP BY state ORDER BY state"))
            unclassified = q("SELECT count(*) FROM mentions WHERE model_version IS NULL").fetchone()[0]
            quota = {
                f"{p}:{d}": units
                for p, d, units in q("SELECT platform, day, units FROM quota_usage ORDER BY day DESC LIMIT 10")
            }
        return StoreStatus(
            store=str(self.path.resolve()) if str(self.path) != ":memory:" else ":memory:",
            mentions=sum(by_platform.values()),
            mentions_by_platform=by_platform,
            mentions_by_brand=by_brand,
            unclassified=int(unclassified),
            polls=polls,
            connectors=self.connector_states(),
            cases_by_state=cases,
            quota_units=quota,
        )
