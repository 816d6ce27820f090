"""Every batch of a load goes through one streaming validation query: each file's
manifest row still counts exactly its own lines, whichever batches held them, and the raw
rows are the same whatever the batch size (one line per batch: hundreds of batches
through the stream; or one batch for everything: its rows come out only once the input
has ended)."""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ingestion import source
from ingestion.line_bytes import line_depths
from ingestion.load import run_load
from ingestion.plan import load_tracking_plan
from ingestion.reader import LineBatch
from ingestion.reconcile import reconcile
from ingestion.source import DECIDE_LINES
from ingestion.validate import Validator, batch_to_table
from ingestion.validation_stream import ValidationStream
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


@pytest.mark.parametrize("decide_lines", [1, 3, DECIDE_LINES])
def test_streamed_batches_count_every_file_exactly(tmp_path, monkeypatch, decide_lines):
    """Also when the undecided lines (here: an unknown type) are decided every line, every
    few, or only at the end: files wait for theirs before their manifest row."""
    monkeypatch.setattr(source, "DECIDE_LINES", decide_lines)
    expected = _files(tmp_path / "events")
    loaded = {}
    for batch_lines in (1, BATCH, 100 * BATCH):
        wh = Warehouse(tmp_path / f"w{batch_lines}.duckdb")
        s = run_load(str(tmp_path / "events"), wh.path, PLAN, batch_lines=batch_lines)
        assert (s.files, s.rows_valid, s.rows_rejected) == (
            len(expected),
            sum(v for v, _ in expected.values()),
            sum(r for _, r in expected.values()),
        )
        manifest = wh.q("SELECT file, valid, rejected, lines FROM raw.file_manifest")
        assert {f.rsplit("/", 1)[-1]: (v, r) for f, v, r, _ in manifest} == expected
        assert all(lines == v + r for _, v, r, lines in manifest)
        assert reconcile(wh.path).passed
        loaded[batch_lines] = _raw(wh)
    assert loaded[1] == loaded[BATCH] == loaded[100 * BATCH]
    assert {r[3] for r in loaded[1] if r[0] == "rejected"} == {"invalid_json", "unknown_type"}


# -- the stream itself -----------------------------------------------------------------


def _batches(sizes: list[int]) -> list[pa.Table]:
    """Tables as the read-ahead makes them: good lines with a bad one now and then (not
    JSON, or a CRLF-ended array: decided by the stream; or failing a check: left
    undecided)."""
    tables, i = [], 0
    for n, size in enumerate(sizes):
        lines = [
            b"{not json"
            if (i + k) % 7 == 3
            else b"[1, 2]\r"
            if (i + k) % 13 == 4
            else line(msg(i + k, type="nope" if (i + k) % 11 == 5 else "track"))
            for k in range(size)
        ]
        table = batch_to_table(
            LineBatch.of_lines(1, lines), file=f"f{n}.gz", source_id="src1", received_day=None
        )
        tables.append(table.append_column("max_depth", line_depths(table["line"])))
        i += size
    return tables


def _stream_all(stream: ValidationStream, tables: list[pa.Table]) -> list[pa.Table]:
    """The protocol `_Batcher` follows: never wait for a result while holding input."""
    running: deque[Future[pa.Table]] = deque()
    results = []
    for table in tables:
        while not stream.has_room():
            stream.wait(running[0] if running else None)
            while running and running[0].done():
                results.append(running.popleft().result())
        running.append(stream.submit(table))
    stream.close()
    results += [f.result(timeout=60) for f in running]
    return results


@pytest.fixture(scope="module")
def validator():
    v = Validator(load_tracking_plan(PLAN))
    yield v
    v.close()


@pytest.mark.parametrize("sizes", [[1], [3000], [1, 2, 2048, 2049, 1, 5000, 7, 4096]])
def test_each_batch_gets_exactly_the_rows_of_its_own_statement(validator, sizes):
    tables = _batches(sizes)
    streamed = _stream_all(validator.stream(), tables)
    assert [t.num_rows for t in streamed] == sizes
    undecided_lines = 0
    for table, result in zip(tables, streamed, strict=True):
        full = validator._execute(table)  # the one-statement-per-batch path
        decided = pc.is_valid(result["is_valid"])
        # a stream leaves raw_line to split (from the line it carries): compared below
        same = [c for c in full.column_names if c != "raw_line"]
        assert result.select(same).filter(decided).equals(full.select(same).filter(decided))
        mine, theirs = validator.split(result), validator.split(full.filter(decided))
        assert mine.valid.equals(theirs.valid)
        assert mine.rejected.equals(theirs.rejected)
        # the lines left undecided: deciding them gives exactly the full statement's rows
        undecided = mine.undecided
        if undecided is not None:
            undecided_lines += undecided.num_rows
            assert validator._execute(undecided).equals(full.filter(pc.invert(decided)))
        texts = [x.rstrip("\n") for x in table["line"].to_pylist()]
        bad = texts.count("{not json") + texts.count("[1, 2]\r")
        assert result["is_valid"].to_pylist().count(False) == bad
        # as the file holds them: CR and LF both stripped
        stripped = {"{not json": "{not json", "[1, 2]\r": "[1, 2]"}
        expected = sorted(stripped[x] for x in texts if x in stripped)
        assert sorted(mine.rejected["raw_line"].to_pylist()) == expected
        nope = sum(b'"type": "nope"' in x.encode() for x in table["line"].to_pylist())
        assert result["is_valid"].null_count == nope
    assert undecided_lines > 0 or sum(sizes) < 6


def test_abort_stops_a_query_that_still_waits_for_input(validator):
    stream = validator.stream()
    futures = [stream.submit(t) for t in _batches([500, 500])]  # never closed
    stopper = threading.Thread(target=stream.abort)
    stopper.start()
    stopper.join(timeout=60)
    assert not stopper.is_alive()
    for f in futures:  # each resolved, with its rows or with the interruption
        assert f.done()


def test_a_failing_query_fails_every_waiting_result_instead_of_hanging(validator):
    stream = validator.stream()
    good, bad = _batches([100, 100])
    first = stream.submit(good)
    second = stream.submit(bad.drop_columns(["max_depth"]))  # not the stream's schema
    stream.close()
    with pytest.raises(Exception, match="10 were expected"):
        second.result(timeout=60)
    assert first.done()
    assert stream.has_room()  # a failed stream never blocks its caller
    stream.wait(None)
    with pytest.raises(RuntimeError, match="closed"):
        stream.submit(good)
