"""Run the analytics dbt models in isolation on a hand-made events table.

The project copy holds only what the analytics models need (sources, the schema macro,
the analytics macros and models) plus stand-in `fct_events` / `fct_sessions` models that
read a fixture table (and stand-ins for the change stamps the incremental analytics
models follow), so these tests do not depend on the state of other layers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from spoor.settings import DBT_PROJECT_DIR

EVENT_COLUMNS = {
    "event_id": "varchar",
    "event_type": "varchar",
    "event_name": "varchar",
    "occurred_at": "timestamp",
    "person_id": "varchar",
    "session_id": "varchar",
    "properties": "json",
    # fct_events carries context flattened; the models rebuild `context` from these
    "campaign_source": "varchar",
    "page_path": "varchar",
    "is_bot": "boolean",
}


def make_project(root: Path) -> Path:
    """A minimal copy of dbt_project with stub upstream models; returns its directory."""
    src, dst = DBT_PROJECT_DIR, root / "dbt_project"
    for rel in ("dbt_project.yml", "profiles.yml", "models/staging/_sources.yml"):
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / rel, dst / rel)
    for rel in ("macros", "models/intermediate/analytics", "models/marts/analytics"):
        shutil.copytree(src / rel, dst / rel)
    stubs = dst / "models" / "marts" / "stubs"
    stubs.mkdir(parents=True)
    for name in ("fct_events", "fct_sessions"):
        (stubs / f"{name}.sql").write_text(f"select * from fixture.{name}\n")
    # what an incremental analytics run reads to find changed events: nothing changes here
    (stubs / "int_events_enriched.sql").write_text(
        "select event_id, cast(null as varchar) as user_id, cast(null as varchar) as"
        " anonymous_id, cast(null as timestamptz) as _built_at from fixture.fct_events\n"
    )
    (stubs / "int_identity_versions.sql").write_text(
        "select cast(null as varchar) as node_id, cast(null as varchar) as person_id,"
        " cast(null as timestamptz) as _changed_at where false\n"
    )
    return dst


def write_events(con: duckdb.DuckDBPyConnection, events: list[dict]) -> None:
    """fixture.fct_events from dicts (properties as a Python object)."""
    con.execute("create schema if not exists fixture")
    cols = ", ".join(f"{c} {t}" for c, t in EVENT_COLUMNS.items())
    con.execute(f"create or replace table fixture.fct_events ({cols})")
    rows = [
        (
            e["event_id"], e.get("event_type", "track"), e.get("event_name"),
            e["occurred_at"], e["person_id"], e.get("session_id", "s-" + e["person_id"]),
            json.dumps(e.get("properties", {})), e.get("campaign_source"), e.get("page_path"),
            e.get("is_bot", False),
        )
        for e in events
    ]  # fmt: skip
    con.executemany(
        f"insert into fixture.fct_events values ({', '.join('?' * len(EVENT_COLUMNS))})", rows
    )


def run_dbt(project: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run(
        [str(dbt), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "SPOOR_WAREHOUSE": str(warehouse)},
        cwd=project,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc
