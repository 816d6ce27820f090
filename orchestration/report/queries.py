"""What the report shows, read from the serving snapshot (never the warehouse being built).

Column names follow the marts (contract §3, dbt_project/models/marts and audit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

TOP_COUNTRIES = 15

QUERIES = {
    "publish": "select publish_id, run_id, published_at from serving.publish",
    "funnels": """
        select funnel_name, breakdown_value, step_index, step_name, persons,
               conversion_from_start, conversion_from_previous
        from marts.fct_funnel_steps
        order by funnel_name, breakdown_value, step_index
    """,
    "retention": """
        select retention_name, period, cohort_start, period_offset, cohort_size,
               retained_persons, retention_rate
        from marts.fct_retention
        order by retention_name, cohort_start, period_offset
    """,
    "active": """
        select activity_date, daily_active_persons, weekly_active_persons,
               monthly_active_persons
        from marts.fct_active_persons
        order by activity_date
    """,
    "sessions_by_channel": """
        select started_at::date as day, coalesce(channel, '(none)') as channel,
               count(*) as sessions
        from marts.fct_sessions
        group by all
        order by day, channel
    """,
    "sessions_by_country": f"""
        select coalesce(nullif(country_code, ''), '(unknown)') as country,
               count(*) as sessions
        from marts.fct_sessions
        group by all
        order by sessions desc, country
        limit {TOP_COUNTRIES}
    """,
    "rejected": """
        select received_day, reason, count(*) as rows
        from audit.rejected_events, unnest(reasons) as r(reason)
        group by all
        order by received_day, reason
    """,
}


@dataclass(frozen=True)
class ReportData:
    """One list of row dicts per query, all read from one snapshot file."""

    tables: dict[str, list[dict]]

    def __getitem__(self, name: str) -> list[dict]:
        return self.tables[name]

    @property
    def publish(self) -> dict:
        return self.tables["publish"][0]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_report_data(snapshot: Path) -> ReportData:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return ReportData({name: _rows(con, sql) for name, sql in QUERIES.items()})
    finally:
        con.close()
