"""Runs never overlap on one warehouse: a run waits for the run lock, taken by the
warehouse resource for the whole run (real Dagster materializations)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import dagster as dg
import duckdb
import pytest

from orchestration.defs.ingestion.analytics_definitions import analytics_definitions
from orchestration.run_lock import holder, warehouse_run_lock
from orchestration.warehouse import WarehouseResource
from spoor.settings import DBT_PROJECT_DIR


@pytest.fixture
def analytics_env(monkeypatch):
    monkeypatch.setenv("SPOOR_ANALYTICS", str(DBT_PROJECT_DIR / "analytics.yml"))


def _materialize(warehouse: str, results: list) -> None:
    results.append(
        dg.materialize(
            [analytics_definitions],
            resources={"warehouse": WarehouseResource(path=warehouse)},
            raise_on_error=False,
        )
    )


def test_a_run_waits_while_another_holds_the_warehouse(tmp_path, analytics_env):
    warehouse = str(tmp_path / "spoor.duckdb")
    results: list = []
    with warehouse_run_lock(warehouse):  # another run, in progress
        assert holder(warehouse) is not None
        run = threading.Thread(target=_materialize, args=(warehouse, results))
        run.start()
        time.sleep(2)
        assert run.is_alive(), "the run did not wait for the lock"
        assert not (tmp_path / "spoor.duckdb").exists(), "the run opened the warehouse"
    run.join(timeout=120)
    assert not run.is_alive()
    assert results[0].success
    assert holder(warehouse) is None  # released at the end of the run
    con = duckdb.connect(warehouse, read_only=True)
    try:
        assert con.execute("select count(*) from config.funnels").fetchall()[0][0] > 0
    finally:
        con.close()


def test_a_killed_run_frees_the_lock(tmp_path):
    warehouse = str(tmp_path / "spoor.duckdb")
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from orchestration.run_lock import warehouse_run_lock\n"
         "with warehouse_run_lock(sys.argv[1]):\n"
         "    print('held', flush=True); time.sleep(600)", warehouse],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "held"
        assert holder(warehouse) == f"pid {child.pid}"
    finally:
        child.kill()
        child.wait(timeout=30)
    assert holder(warehouse) is None


def test_the_sensor_skips_while_a_run_is_in_progress(tmp_path, monkeypatch):
    from orchestration.defs.automation.jobs import new_files

    warehouse = tmp_path / "spoor.duckdb"
    (tmp_path / "events").mkdir()
    monkeypatch.setenv("SPOOR_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SPOOR_EVENTS_URL", str(tmp_path / "events"))
    with warehouse_run_lock(warehouse), dg.instance_for_test() as instance:
        result = new_files(dg.build_sensor_context(instance=instance))
    assert "a run is in progress: a run of pid" in result.skip_message
    with dg.instance_for_test() as instance:  # the run ended: the sensor looks again
        result = new_files(dg.build_sensor_context(instance=instance))
    assert result.skip_message == "no new files"
