"""Real Dagster runs of the refresh job, by received-day partition, into DuckDB files in
tmp_path: a partition loads only its day; a backfill of the remaining days is one run,
and the marts then equal a full refresh; a bad day stops the marts and leaves the
previous day's marts as they were."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster import DagsterEventType

from orchestration.oneshot import DBT_OPS
from orchestration.partitions import range_tags
from tests.dbt.test_incremental_equals_full import differences
from tests.orchestration.conftest import received_days


def _run(
    job, warehouse: Path, *, partition=None, days=None, full_refresh=False, everything_new=False
):
    """One run of the refresh job against `warehouse` (its own Dagster instance)."""
    tags = range_tags(days[0], days[-1], everything_new=everything_new) if days else {}
    run_config = {"ops": {op: {"config": {"full_refresh": full_refresh}} for op in DBT_OPS}}
    # The resources read the warehouse path from the environment when the run starts.
    env = {
        "SPOOR_WAREHOUSE": str(warehouse),
        "SPOOR_SERVING": str(warehouse.parent / f"{warehouse.stem}-serving"),
    }
    with pytest.MonkeyPatch.context() as mp, dg.instance_for_test() as instance:
        for name, value in env.items():
            mp.setenv(name, value)
        return job.execute_in_process(
            instance=instance,
            partition_key=partition,
            tags=tags,
            run_config=run_config,
            raise_on_error=False,
        )


def _materialized(result) -> dict[tuple[str, ...], list]:
    out: dict[tuple[str, ...], list] = {}
    for event in result.get_asset_materialization_events():
        m = event.step_materialization_data.materialization
        out.setdefault(tuple(m.asset_key.path), []).append(m)
    return out


def _differing(a: Path, b: Path) -> dict:
    """Marts whose rows differ between two warehouses (empty tables are equal)."""
    return {t: d for t, d in differences(a, b).items() if d[1] or d[2]}


def _steps(result, event_type: DagsterEventType) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type == event_type]


@pytest.fixture(scope="module")
def env(three_days, defs, tmp_path_factory):
    """The job, the data, and a warehouse holding the first received day, built once."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SPOOR_EVENTS_URL", str(three_days.events))
    mp.setenv("SPOOR_PII_SALT", "test-salt")
    root = tmp_path_factory.mktemp("partitioned")
    warehouse = root / "day1.duckdb"
    mp.setenv("SPOOR_WAREHOUSE", str(warehouse))  # restored by mp.undo()
    mp.setenv("SPOOR_SERVING", str(root / "serving"))
    job = defs.get_job_def("spoor_refresh")
    days = received_days(three_days.events)
    assert len(days) >= 4  # day 1, then a backfill of at least 3 partitions
    first_day = _run(job, warehouse, partition=days[0].isoformat())
    yield job, days, warehouse, first_day
    mp.undo()


def test_a_partition_loads_only_its_day_and_reports_counts(env):
    _, days, warehouse, result = env
    assert result.success, [str(e.message) for e in result.all_events if e.is_failure]
    con = duckdb.connect(str(warehouse), read_only=True)
    loaded = con.execute("select distinct received_day from raw.file_manifest").fetchall()
    events = con.execute("select count(*) from marts.fct_events").fetchall()[0][0]
    con.close()
    assert {day for (day,) in loaded} == {days[0]}
    materialized = _materialized(result)
    fct_events = materialized[("marts", "fct_events")][0]
    assert fct_events.partition == days[0].isoformat()
    assert fct_events.metadata["dagster/row_count"].value == events > 0
    preview = materialized[("marts", "fct_funnel_steps")][0].metadata["preview"].value
    assert preview.startswith("| funnel | step |")
    manifest = materialized[("raw", "file_manifest")][0].metadata
    assert manifest["files"].value == manifest["dagster/row_count"].value > 0


def test_a_backfill_is_one_run_and_equals_a_full_refresh(env, tmp_path):
    job, days, day1, _ = env
    backfilled = tmp_path / "backfilled.duckdb"
    shutil.copy(day1, backfilled)
    result = _run(job, backfilled, days=days[1:])
    assert result.success
    # One run, one step per dbt op, however many days the range holds.
    started = _steps(result, DagsterEventType.STEP_START)
    assert sorted(s for s in started if s.startswith("spoor_dbt")) == sorted(DBT_OPS)
    partitions = {m.partition for m in _materialized(result)[("raw", "events")]}
    assert partitions == {d.isoformat() for d in days[1:]}

    # A full refresh over the same raw layer (a copy: same load ids, nothing new to load).
    full = tmp_path / "full.duckdb"
    shutil.copy(backfilled, full)
    assert _run(job, full, days=days, full_refresh=True, everything_new=True).success
    assert _differing(backfilled, full) == {}


def test_a_bad_day_stops_the_marts_and_keeps_the_previous_ones(env, tmp_path):
    job, days, day1, _ = env
    warehouse = tmp_path / "bad.duckdb"
    shutil.copy(day1, warehouse)
    # A row no validated load could write (as if a loader bug slipped it in): no type,
    # on the second day, in a file the manifest does not know.
    con = duckdb.connect(str(warehouse))
    con.execute(
        "insert into raw.events select * replace (null as type, $day as received_day, "
        "'corrupt.jsonl' as file) from raw.events limit 1",
        {"day": days[1]},
    )
    con.close()
    result = _run(job, warehouse, partition=days[1].isoformat())

    assert not result.success
    failed_checks = {
        e.event_specific_data.check_name
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        and not e.event_specific_data.passed
    }
    assert {"lines_reconcile", "gx_raw_envelope_contract"} <= failed_checks
    # The raw layer took the day's files; no dbt step ran, so no mart moved.
    assert ("raw", "events") in _materialized(result)
    assert not [s for s in _steps(result, DagsterEventType.STEP_START) if s.startswith("spoor_dbt")]
    assert _differing(day1, warehouse) == {}
