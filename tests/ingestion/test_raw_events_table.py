"""raw.events is created before dlt's first load, with zstd JSON and id columns: exactly the table
dlt would create otherwise, holding the same rows."""

from __future__ import annotations

from ingestion import load as load_module
from ingestion.load import ZSTD_COLUMNS, run_load
from tests.ingestion.conftest import PLAN, Warehouse, day_dir, line, msg, write_gz


def test_events_table_is_dlts_with_zstd_columns(events_root, tmp_path, monkeypatch):
    messages = [msg(i, traits={"plan": "pro"}) for i in range(300)]
    write_gz(day_dir(events_root) / "a.gz", [line(m) for m in messages])
    ours = Warehouse(tmp_path / "ours" / "spoor.duckdb")
    run_load(str(events_root), ours.path, PLAN)

    monkeypatch.setattr(load_module, "create_events_table", lambda *_: False)
    dlts = Warehouse(tmp_path / "dlt" / "spoor.duckdb")
    run_load(str(events_root), dlts.path, PLAN)

    describe = 'SELECT column_name, column_type, "null" FROM (DESCRIBE raw.events)'
    assert ours.q(describe) == dlts.q(describe)
    assert len(ours.q(describe)) == 20
    rows = "SELECT * EXCLUDE (_dlt_load_id) FROM raw.events ORDER BY line_number"
    assert ours.q(rows) == dlts.q(rows) and len(ours.q(rows)) == 300

    compressions = (
        "SELECT DISTINCT column_name, compression FROM pragma_storage_info('raw.events') "
        "WHERE segment_type IN ('JSON', 'VARCHAR') AND compression = 'ZSTD' ORDER BY ALL"
    )
    assert ours.q(compressions) == [(c, "ZSTD") for c in sorted(ZSTD_COLUMNS)]
    assert dlts.q(compressions) == []
