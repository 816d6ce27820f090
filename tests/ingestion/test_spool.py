"""Validated rows reach dlt as a few large parquet files: rotation loses and adds nothing."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import ingestion.spool
from ingestion.load import default_pipelines_dir, run_load
from ingestion.reconcile import reconcile
from ingestion.spool import ParquetSpool
from ingestion.validate import EVENTS_FILE_SCHEMA
from tests.ingestion.conftest import PLAN, day_dir, line, msg, write_gz


def test_spool_rotates_files_and_keeps_the_declared_schema(tmp_path):
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), ("doc", pa.json_())])
    spool = ParquetSpool(tmp_path, "t", schema, rows_per_file=3)
    batch = pa.table({"id": [1, 2], "doc": ['{"a":1}', None]})
    done = [spool.write(batch), spool.write(batch), spool.write(batch.slice(0, 0))]
    assert [d and d.rows for d in done] == [None, 4, None]
    assert spool.write(batch) is None
    last = spool.close()
    assert (last.rows, spool.close()) == (2, None)
    first = pq.read_table(done[1].path)
    assert first.schema == schema  # nullability and the JSON type as declared
    assert first["id"].to_pylist() == [1, 2, 1, 2]
    assert pq.read_table(last.path)["doc"].to_pylist() == ['{"a":1}', None]


def test_spool_writes_only_the_masked_rows_with_the_constant_columns(tmp_path):
    schema = pa.schema([("id", pa.int64()), ("load", pa.string())])
    spool = ParquetSpool(tmp_path, "t", schema, rows_per_file=3, constants={"load": "L1"})
    batch = pa.table({"id": [1, 2, 3, 4]})
    keep = pa.chunked_array([[True, False, True, False]])
    assert spool.write(batch, keep) is None  # 2 rows: under rows_per_file
    assert spool.write(batch, pa.chunked_array([[False] * 4])) is None  # nothing to add
    done = spool.write(batch, pa.chunked_array([[False, False, False, True]]))
    assert done.rows == 3
    assert pq.read_table(done.path).to_pylist() == [{"id": i, "load": "L1"} for i in (1, 3, 4)]
    spool.shutdown()


def test_events_file_schema_matches_the_declared_nullability():
    required = {f.name for f in EVENTS_FILE_SCHEMA if not f.nullable}
    assert required == {"message_id", "received_at"}
    assert EVENTS_FILE_SCHEMA.field("properties").type == pa.json_()


def test_load_across_many_spooled_files_loses_nothing(events_root, wh, monkeypatch):
    monkeypatch.setattr(ingestion.spool, "ROWS_PER_FILE", 700)
    bad = [b"{not json", line(msg(9999, type="nope"))]
    write_gz(day_dir(events_root) / "a.gz", [line(msg(i)) for i in range(1500)] + bad)
    write_gz(day_dir(events_root) / "b.gz", [line(msg(i)) for i in range(1500, 2500)])
    s = run_load(str(events_root), wh.path, PLAN, batch_lines=400)
    assert (s.files, s.rows_valid, s.rows_rejected) == (2, 2500, 2)
    assert wh.q("SELECT count(DISTINCT message_id) FROM raw.events")[0][0] == 2500
    assert wh.q("SELECT count(*) FROM raw.rejected_events")[0][0] == 2
    assert reconcile(wh.path).passed
    # dlt imported the rows as several files (kept in its completed package)
    jobs = Path(default_pipelines_dir(wh.path)).glob("*/load/loaded/*/completed_jobs/events.*")
    rows = [pq.ParquetFile(j).metadata.num_rows for j in jobs]
    assert sum(rows) == 2500 and len([n for n in rows if n]) >= 2, rows
