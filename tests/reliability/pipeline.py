"""The pipeline's steps in-process, for the data scenarios: the real dlt load
(ingestion.load.run_load) and real dbt builds (dbtRunner, as tests/dbt does), without
Dagster's start-up cost. Each step is the code `spoor run` executes."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ingestion.analytics_definitions import load_analytics, write_definitions
from ingestion.load import run_load
from orchestration.dbt_cli_args import dbt_build_args
from spoor.settings import DBT_PROJECT_DIR
from tests.dbt.test_incremental_equals_full import dbt
from tests.reliability.scenario import PLAN

MARTS_SQL = {
    "events": "SELECT count(*), count(DISTINCT event_id) FROM marts.fct_events",
    "persons": "SELECT count(*) FROM marts.dim_persons",
    "sessions": "SELECT count(*), sum(event_count) FROM marts.fct_sessions",
    "funnels": "SELECT sum(persons) FROM marts.fct_funnel_steps",
    "retention": "SELECT sum(retained_persons), sum(cohort_size) FROM marts.fct_retention",
}


class Warehouse:
    def __init__(self, path: Path, tmp: Path) -> None:
        self.path, self.tmp = path, tmp
        path.parent.mkdir(parents=True, exist_ok=True)
        write_definitions(load_analytics(DBT_PROJECT_DIR / "analytics.yml"), path)

    def load(self, events: Path, day_from: date | None = None, day_until: date | None = None):
        return run_load(str(events), self.path, PLAN, day_from=day_from, day_until=day_until)

    def build(self, *, full_refresh=False, window: tuple[date, date] | None = None) -> None:
        args = dbt_build_args(
            full_refresh=full_refresh,
            window_start=window[0] if window else None,
            window_end=window[1] if window else None,
        )
        dbt(self.path, self.tmp, *args)

    def q(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("SET TimeZone = 'UTC'")
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def kpis(self) -> dict[str, tuple]:
        return {k: self.q(sql)[0] for k, sql in MARTS_SQL.items()}

    def copy(self, dst: Path) -> Warehouse:
        shutil.copy(self.path, dst)
        w = Warehouse.__new__(Warehouse)
        w.path, w.tmp = dst, self.tmp
        return w


def day_ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write_messages(root: Path, received: date, name: str, messages: list[dict]) -> str:
    folder = root / "segment-logs" / "web-js" / str(day_ms(received))
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / name, "wt") as f:
        f.writelines(json.dumps(m) + "\n" for m in messages)
    return f"segment-logs/web-js/{day_ms(received)}/{name}"
