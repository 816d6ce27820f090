"""Exactly-once per file, late files, replay after a plan fix, reconciliation."""

from __future__ import annotations

import shutil

import duckdb
import yaml

from ingestion.load import run_load
from ingestion.reconcile import reconcile
from ingestion.replay import run_replay
from tests.ingestion.conftest import DAY_MS, PLAN, day_dir, line, msg, write_gz


def test_load_twice_adds_nothing_and_late_day_is_picked_up(events_root, wh):
    write_gz(day_dir(events_root) / "a.gz", [line(msg(i)) for i in range(5)] + [b"x"])
    first = run_load(str(events_root), wh.path, PLAN)
    assert (first.files, first.rows_valid, first.rows_rejected) == (1, 5, 1)
    again = run_load(str(events_root), wh.path, PLAN)
    assert (again.files, again.rows_valid, again.rows_rejected) == (0, 0, 0)
    assert (wh.count("events"), wh.count("rejected_events"), wh.count("file_manifest")) == (5, 1, 1)
    late = day_dir(events_root, day_ms=DAY_MS - 86_400_000)  # an older day, arriving late
    write_gz(late / "late.gz", [line(msg(i)) for i in range(3)])
    third = run_load(str(events_root), wh.path, PLAN)
    assert (third.files, third.rows_valid) == (1, 3)
    assert wh.count("events") == 8
    assert str(wh.manifest("late.gz")["day"]) == "2023-12-31"
    assert reconcile(wh.path).passed


def test_day_window(events_root, wh):
    from datetime import date

    write_gz(day_dir(events_root) / "d1.gz", [line(msg(1))])
    write_gz(day_dir(events_root, day_ms=DAY_MS + 86_400_000) / "d2.gz", [line(msg(2))])
    s = run_load(
        str(events_root), wh.path, PLAN, day_from=date(2024, 1, 2), day_until=date(2024, 1, 3)
    )
    assert s.files == 1 and wh.q("SELECT file FROM raw.file_manifest")[0][0].endswith("d2.gz")
    assert run_load(str(events_root), wh.path, PLAN).files == 1  # the rest


def test_replay_after_plan_fix(tmp_path, events_root, wh):
    jpy = line(msg(1, properties={**msg(0)["properties"], "currency": "JPY"}))
    write_gz(day_dir(events_root) / "r.gz", [line(msg(0)), jpy, b"{broken", jpy])
    run_load(str(events_root), wh.path, PLAN)
    assert wh.rejected() == [(2, ["property_enum"]), (3, ["invalid_json"]), (4, ["property_enum"])]

    fixed = tmp_path / "plan"
    shutil.copytree(PLAN, fixed)
    f = fixed / "events" / "product_added.yml"
    doc = yaml.safe_load(f.read_text())
    doc["properties"]["properties"]["currency"]["enum"].append("JPY")
    f.write_text(yaml.safe_dump(doc))

    r = run_replay(wh.path, fixed)
    assert (r.candidates, r.replayed) == (3, 2)
    rows = wh.q(
        "SELECT file, line_number, source_id, received_day FROM raw.events "
        "WHERE _dlt_load_id = ? ORDER BY line_number",
        [r.load_id],
    )
    assert [x[1] for x in rows] == [2, 4] and rows[0][0].endswith("r.gz") and rows[0][2] == "src1"
    assert wh.q("SELECT count(*) FROM raw.replayed_rejections")[0][0] == 2
    again = run_replay(wh.path, fixed)
    assert (again.candidates, again.replayed) == (1, 0)
    assert wh.count("events") == 3
    assert reconcile(wh.path).passed


def test_reconcile_detects_tampering(events_root, wh):
    write_gz(day_dir(events_root) / "t.gz", [line(msg(i)) for i in range(4)])
    run_load(str(events_root), wh.path, PLAN)
    assert reconcile(wh.path).passed
    con = duckdb.connect(str(wh.path))
    con.execute("DELETE FROM raw.events WHERE line_number = 2")
    con.close()
    res = reconcile(wh.path)
    assert not res.passed
    assert [(m.problem, m.file.endswith("t.gz")) for m in res.failing] == [
        ("events_mismatch", True)
    ]
