"""publish() on small real DuckDB files: the layout, a failed publish, pruning old versions."""

from __future__ import annotations

import json
import os
import time

import duckdb
import pytest

from orchestration.serving import Relation, ServingLayout, publish
from orchestration.serving.prune import prune

RELATIONS = [Relation("marts", "fct_events"), Relation("audit", "rejected_events")]


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema audit; create schema staging")
        con.execute("create table marts.fct_events as select range as event_id from range(5)")
        con.execute("create table staging.rejected as select 'invalid_json' as reason")
        # audit models are views over staging: the snapshot must hold them as tables
        con.execute("create view audit.rejected_events as select * from staging.rejected")
    return path


def add_event(warehouse, n: int = 1) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"insert into marts.fct_events select 100 + range from range({n})")


def test_publish_lays_out_snapshot_parquet_and_manifest(warehouse, tmp_path):
    serving = tmp_path / "serving"
    first = publish(warehouse, serving, RELATIONS, run_id="r1")
    layout = ServingLayout(serving)
    assert first.tables == {"marts.fct_events": 5, "audit.rejected_events": 1}
    assert json.loads(layout.manifest.read_text())["publish_id"] == first.publish_id
    assert os.readlink(layout.parquet) == f"versions/{first.publish_id}"
    with duckdb.connect(str(layout.snapshot), read_only=True) as con:
        kinds = con.execute(
            "select table_schema, table_type from information_schema.tables "
            "where table_name = 'rejected_events'"
        ).fetchall()
        assert kinds == [("audit", "BASE TABLE")]  # a table, needing nothing else
        assert con.execute("select run_id from serving.publish").fetchone() == ("r1",)
        parquet = str(layout.parquet_file("marts", "fct_events"))
        assert con.execute("select count(*) from read_parquet(?)", [parquet]).fetchone() == (5,)
    assert not list(serving.glob(".tmp-*"))
    assert not list(serving.glob("*.wal"))

    add_event(warehouse)
    second = publish(warehouse, serving, RELATIONS, run_id="r2")
    assert second.tables["marts.fct_events"] == 6
    assert os.readlink(layout.parquet) == f"versions/{second.publish_id}"
    # the previous version stays within the grace period, for readers that resolved it
    assert layout.version(first.publish_id).exists()


def test_a_failed_publish_changes_nothing(warehouse, tmp_path):
    serving = tmp_path / "serving"
    good = publish(warehouse, serving, RELATIONS, run_id="good")
    layout = ServingLayout(serving)
    before = (
        layout.snapshot.stat().st_ino,
        layout.manifest.read_text(),
        os.readlink(layout.parquet),
    )
    add_event(warehouse)
    with pytest.raises(duckdb.CatalogException):
        publish(warehouse, serving, [*RELATIONS, Relation("marts", "missing")], run_id="bad")
    after = (
        layout.snapshot.stat().st_ino,
        layout.manifest.read_text(),
        os.readlink(layout.parquet),
    )
    assert after == before
    assert sorted(p.name for p in layout.versions.iterdir()) == [good.publish_id]
    assert not list(serving.glob(".tmp-*"))


def test_a_reader_keeps_its_build_across_a_publish(warehouse, tmp_path):
    serving = tmp_path / "serving"
    publish(warehouse, serving, RELATIONS, run_id="r1")
    layout = ServingLayout(serving)
    with duckdb.connect(str(layout.snapshot), read_only=True) as reader:
        add_event(warehouse, 3)
        publish(warehouse, serving, RELATIONS, run_id="r2")  # not blocked by the reader
        assert reader.execute("select count(*) from marts.fct_events").fetchone() == (5,)
    with duckdb.connect(str(layout.snapshot), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.fct_events").fetchone() == (8,)


def test_prune_waits_a_grace_period_after_a_version_is_replaced(warehouse, tmp_path):
    serving = tmp_path / "serving"
    ids = []
    for run in range(3):
        ids.append(publish(warehouse, serving, RELATIONS, run_id=str(run)).publish_id)
    layout = ServingLayout(serving)
    assert prune(layout, grace_seconds=3600) == []
    (serving / ".tmp-orphan.duckdb").write_text("killed mid-publish")
    removed = prune(layout, grace_seconds=60, now=time.time() + 120)
    assert sorted(removed) == sorted([*ids[:2], ".tmp-orphan.duckdb"])
    assert [p.name for p in layout.versions.iterdir()] == [ids[2]]  # current is never pruned
