"""The nightly schedule and the new-file sensor, evaluated with Dagster's test contexts
against real files and a real raw layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest

from ingestion.load import run_load
from orchestration.defs.automation.jobs import new_files, nightly, refresh
from orchestration.partitions import window_from_tags
from spoor.settings import DEFAULTS
from tests.orchestration.conftest import received_days


def test_nightly_refreshes_the_previous_received_day():
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2025, 1, 9, 2, 30, tzinfo=UTC)
    )
    request = nightly(context)
    assert request.partition_key == "2025-01-08"
    assert request.run_key == "nightly-2025-01-08"
    assert nightly.job_name == refresh.name


@pytest.fixture
def env(three_days, tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SPOOR_EVENTS_URL", str(three_days.events))
    monkeypatch.setenv("SPOOR_WAREHOUSE", str(warehouse))
    return three_days, warehouse


def _tick(instance: dg.DagsterInstance) -> dg.SensorResult:
    result = new_files(dg.build_sensor_context(instance=instance))
    if isinstance(result, dg.RunRequest):
        return dg.SensorResult(run_requests=[result])
    return dg.SensorResult(skip_reason=result)


def test_sensor_requests_the_days_of_new_files_once(env):
    sim, warehouse = env
    days = received_days(sim.events)
    with dg.instance_for_test() as instance:
        # Nothing loaded: every day is pending, as one run over the range.
        request = _tick(instance).run_requests[0]
        window = window_from_tags(request.tags)
        assert (window.start, window.last_day) == (days[0], days[-1])

        # The first day loaded: the request starts at the second day, with a new run key.
        run_load(str(sim.events), warehouse, DEFAULTS["SPOOR_TRACKING_PLAN"], day_until=days[1])
        later = _tick(instance).run_requests[0]
        assert window_from_tags(later.tags).start == days[1]
        assert later.run_key != request.run_key

        # Everything loaded: nothing to do.
        run_load(str(sim.events), warehouse, DEFAULTS["SPOOR_TRACKING_PLAN"])
        result = _tick(instance)
        assert not result.run_requests
        assert "no new files" in result.skip_reason.skip_message


def test_sensor_skips_while_a_run_holds_the_warehouse(env):
    _, warehouse = env
    writer = duckdb.connect(str(warehouse))  # another process would hold this lock
    try:
        writer.execute("create schema raw")
        # DuckDB's lock is per process, so hold it from a child process.
        import subprocess
        import sys

        writer.close()
        holder = subprocess.Popen(
            [sys.executable, "-c",
             f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); "
             "print('locked', flush=True); time.sleep(60)"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert holder.stdout.readline().strip() == "locked"
        with dg.instance_for_test() as instance:
            result = _tick(instance)
        assert not result.run_requests
        assert "busy" in result.skip_reason.skip_message
    finally:
        holder.kill()
        holder.wait(timedelta(seconds=10).seconds)
