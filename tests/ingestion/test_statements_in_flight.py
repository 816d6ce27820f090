"""Several validation statements run at once: each file's manifest row still counts
exactly its own lines, whichever statements held them, and the raw rows are the same as
with one statement at a time."""

from __future__ import annotations

from pathlib import Path

from ingestion.load import run_load
from ingestion.reconcile import reconcile
from tests.ingestion.conftest import PLAN, Warehouse, day_dir, line, msg, write_gz

BATCH = 100


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Files of sizes around the statement size (a file ending exactly on a statement
    boundary, one spanning several, many small ones, an empty one); returns file ->
    (valid, rejected) lines."""
    sizes = [BATCH, 3 * BATCH + 7, 1, 0, *range(5, 60, 9), BATCH - 1, 2 * BATCH]
    expected, i = {}, 0
    for n, size in enumerate(sizes):
        # one line that is not JSON, one that breaks the envelope rules
        bad = [b"{not json", line(msg(i, type="nope"))][: min(2, size // 2)] if n % 2 else []
        good = [line(msg(i + k)) for k in range(size - len(bad))]
        i += size
        write_gz(day_dir(root) / f"f{n:02d}.gz", good + bad)
        expected[f"f{n:02d}.gz"] = (len(good), len(bad))
    return expected


def _raw(wh: Warehouse) -> list[tuple]:
    return wh.q(
        "SELECT 'event', file, line_number, message_id FROM raw.events UNION ALL "
        "SELECT 'rejected', file, line_number, array_to_string(reasons, ',') "
        "FROM raw.rejected_events ORDER BY ALL"
    )


def test_statements_in_flight_count_every_file_exactly(tmp_path):
    expected = _files(tmp_path / "events")
    loaded = {}
    for workers in (1, 3):
        wh = Warehouse(tmp_path / f"w{workers}.duckdb")
        s = run_load(
            str(tmp_path / "events"), wh.path, PLAN, batch_lines=BATCH, validation_workers=workers
        )
        assert (s.files, s.rows_valid, s.rows_rejected) == (
            len(expected),
            sum(v for v, _ in expected.values()),
            sum(r for _, r in expected.values()),
        )
        manifest = wh.q("SELECT file, valid, rejected, lines FROM raw.file_manifest")
        assert {f.rsplit("/", 1)[-1]: (v, r) for f, v, r, _ in manifest} == expected
        assert all(lines == v + r for _, v, r, lines in manifest)
        assert reconcile(wh.path).passed
        loaded[workers] = _raw(wh)
    assert loaded[1] == loaded[3]
    assert {r[3] for r in loaded[1] if r[0] == "rejected"} == {"invalid_json", "unknown_type"}
