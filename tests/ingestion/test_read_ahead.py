"""The read-ahead thread: files in order, bounded by lines (not items), errors raised in
the consumer, and a consumer that stops early does not leave the thread hanging."""

from __future__ import annotations

import threading
import time

import pytest

from ingestion.reader import FileReader
from ingestion.source import _read_ahead, list_event_files
from tests.ingestion.conftest import day_dir, line, msg, write_gz

FILES, LINES, BATCH = 12, 100, 40
AHEAD = 5 * LINES


@pytest.fixture
def refs(events_root):
    for f in range(FILES):
        write_gz(
            day_dir(events_root) / f"{f:02}.gz", [line(msg(f * LINES + i)) for i in range(LINES)]
        )
    fs, refs = list_event_files(str(events_root))
    return fs, refs


def test_files_arrive_in_order_and_the_reader_stays_within_its_line_budget(refs):
    fs, refs = refs
    readers: list[FileReader] = []  # every reader opened, by the read-ahead thread

    def open_reader(ref):
        readers.append(FileReader(fs, ref, batch_lines=BATCH))
        return readers[-1]

    consumed, most_ahead, kinds = 0, 0, []
    for kind, ref, value in _read_ahead(refs, open_reader, ahead_lines=AHEAD, depth_cap=8):
        if not kinds or kinds[-1] != (kind, ref.file):
            kinds.append((kind, ref.file))
        if kind == "table":
            consumed += value.num_rows
            time.sleep(0.02)  # a slow validator: the reader runs as far ahead as allowed
            most_ahead = max(most_ahead, sum(r.lines for r in readers) - consumed)
    assert consumed == FILES * LINES
    assert kinds == [(k, r.file) for r in refs for k in ("file", "table", "end")]
    # Several small files ahead (a queue of a few items allowed one or two), and never
    # more than the budget, overshot by one table, plus the table being read.
    assert AHEAD - LINES <= most_ahead <= AHEAD + 2 * LINES, most_ahead


def test_a_reader_error_reaches_the_consumer_and_stopping_early_ends_the_thread(refs):
    fs, refs = refs

    def failing(ref):
        if ref is refs[3]:
            raise OSError("disk on fire")
        return FileReader(fs, ref, batch_lines=BATCH)

    seen = []
    with pytest.raises(OSError, match="disk on fire"):
        for _kind, ref, _ in _read_ahead(refs, failing, ahead_lines=BATCH, depth_cap=8):
            seen.append(ref.file)
    assert seen and refs[3].file not in seen

    before = threading.active_count()
    items = _read_ahead(
        refs, lambda r: FileReader(fs, r, batch_lines=BATCH), ahead_lines=BATCH, depth_cap=8
    )
    next(items)
    items.close()  # the consumer stops: the thread must end (join in the finally)
    assert threading.active_count() == before
    assert not [t for t in threading.enumerate() if t.name == "spoor-read-ahead"]
