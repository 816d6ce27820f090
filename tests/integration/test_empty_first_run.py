"""A first run before any file has arrived: the whole graph builds, every mart exists
with its contracted columns and no rows (funnels list their steps, each with 0 persons,
as PostHog shows an empty funnel), and the checks pass."""

from __future__ import annotations

import duckdb

from tests.conftest import run_spoor

MARTS = {
    "dim_person_profiles", "dim_persons", "fct_active_persons", "fct_events",
    "fct_funnel_steps", "fct_lifecycle", "fct_retention", "fct_sessions", "person_identities",
}  # fmt: skip


def test_a_run_over_an_empty_bucket_builds_empty_marts(tmp_path):
    (tmp_path / "events").mkdir()
    warehouse = tmp_path / "warehouse.duckdb"
    proc = run_spoor(
        "run", "--events", str(tmp_path / "events"), "--warehouse", str(warehouse),
        env={"DAGSTER_HOME": str(tmp_path / "dagster_home")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "files loaded   0" in proc.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = {
            name: con.execute(f"select count(*) from marts.{name}").fetchone()[0] for name in MARTS
        }
        funnel_persons = con.execute(
            "select count(*), coalesce(sum(persons), 0) from marts.fct_funnel_steps"
        ).fetchone()
        # No column of a mart is left untyped (an empty Python model once made them NULL).
        untyped = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type = 'NULL'"
        ).fetchall()
    finally:
        con.close()
    steps, persons = funnel_persons
    assert steps > 0 and persons == 0
    assert rows == dict.fromkeys(MARTS, 0) | {"fct_funnel_steps": steps}
    assert untyped == []
