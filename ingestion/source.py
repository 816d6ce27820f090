"""The dlt source for collected event files: the raw layer (dataset `raw`).

Files are read in bounded batches (reader.py) and validated in bulk in DuckDB
(validate.py). The valid and rejected rows are appended to a few large parquet files
(spool.py) that dlt imports into its load package as they are (no rewrite by dlt) and
copies into DuckDB, one INSERT per file.

Exactly-once per file: the set of loaded files lives in the dlt source state, which dlt
commits together with the load package. A run killed before its package is committed
leaves the state untouched (the files are read again); a run killed after it leaves a
pending package that the next `pipeline.run` loads before extracting anything new.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dlt
import fsspec
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.line_bytes import depth_bounds
from ingestion.plan import load_tracking_plan
from ingestion.reader import (
    DEFAULT_BATCH_LINES,
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    READ_BATCH_LINES,
    FileReader,
    FileRef,
    parse_layout,
)
from ingestion.spool import Spooled
from ingestion.validate import (
    EVENTS_SCHEMA,
    REJECTED_SCHEMA,
    Validated,
    Validator,
    batch_to_table,
)
from spoor.progress import stage

SOURCE_NAME = "spoor_events"
LOADED_FILES_KEY = "loaded_files"

MANIFEST_SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("source_id", pa.string()),
        ("received_day", pa.date32()),
        ("bytes", pa.int64()),
        ("lines", pa.int64()),
        ("valid", pa.int64()),
        ("rejected", pa.int64()),
        ("status", pa.string()),
        ("detail", pa.string()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)
# Arrow has no JSON type: these string columns become DuckDB JSON through dlt hints.
EVENTS_HINTS = {
    "properties": {"data_type": "json"},
    "traits": {"data_type": "json"},
    "context": {"data_type": "json"},
    "message_id": {"nullable": False},
    "received_at": {"nullable": False},
}


class _JsonHintNoise(logging.Filter):
    """dlt warns on every batch that our json hints differ from Arrow's string type; that
    difference is intended, so drop exactly that warning for our tables."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (
            msg.startswith("In resource: events, when merging arrow schema")
            or msg.startswith("In resource: rejected_events, when merging arrow schema")
        )


logging.getLogger("dlt").addFilter(_JsonHintNoise())


@dataclass
class _FileResult:
    """What one file produced: a validated batch, or (at the end) its manifest row."""

    validated: Validated | None = None
    manifest: pa.Table | None = None
    first: bool = False  # the empty first item: creates every table before its first row


# Undecided lines (those failing a check, ~1%) pooled before the full statement decides
# them: ~105 ms of planning per call, so rarely; bounds the lines held meanwhile.
DECIDE_LINES = 16_384


class _Batcher:
    """Validates lines of many files together: small files are pooled into batches of up
    to `batch_lines` lines (lineage columns keep file and line number), so the work
    follows the number of lines, not of files.

    Every batch goes into ONE validation query (Validator.stream); results are taken in
    order. The lines it leaves undecided are pooled and decided together by the full
    statement every DECIDE_LINES, and at the end. Yields one `_FileResult` per batch or
    pool (any parquet files of valid and rejected rows it completed) and, after it, one
    with the manifest rows of the files it completed; `finish` yields the rest and the
    last, partly filled parquet files."""

    def __init__(self, validator: Validator, batch_lines: int) -> None:
        self.validator = validator
        self.stream = validator.stream()
        self.batch_lines = max(1, batch_lines)
        self.tables: list[pa.Table] = []
        self.lines = 0
        self.open: dict[str, _FileCount] = {}  # files with lines not yet counted
        self.ended: list[_FileCount] = []  # files whose last lines are in the pending batch
        # submitted batches, oldest first: (result, the files whose last lines it holds)
        self.running: deque[tuple[Future[pa.Table], list[_FileCount]]] = deque()
        self.undecided: list[pa.Table] = []  # the pool
        self.undecided_files: set[str] = set()  # the files with lines in it
        self.waiting: list[_FileCount] = []  # files read to the end, with lines in the pool

    def add_file(self, ref: FileRef, reader: FileReader) -> None:
        self.open[ref.file] = _FileCount(ref, reader)

    def add_table(self, table: pa.Table) -> Iterator[_FileResult]:
        self.tables.append(table)
        self.lines += table.num_rows
        if self.lines >= self.batch_lines:
            yield from self.flush()

    def end_file(self, ref: FileRef) -> Iterator[_FileResult]:
        counts = self.open[ref.file]
        if self.tables:  # its last lines are in the pending batch
            self.ended.append(counts)
        elif self.running:  # ... or in the newest submitted batch
            self.running[-1][1].append(counts)
        else:  # every line taken (e.g. an empty file): its row is ready now, or once
            yield from self._files_done([counts])  # its undecided lines are

    def flush(self) -> Iterator[_FileResult]:
        """Submit the pending batch once the stream's inbox has room, taking the results
        that are ready meanwhile (never waiting for one while holding input: see
        validation_stream.py)."""
        if not self.tables:
            return
        table = pa.concat_tables(self.tables)
        self.tables, self.lines = [], 0
        while not self.stream.has_room():
            self.stream.wait(self.running[0][0] if self.running else None)
            yield from self._take_ready()
        self.running.append((self.stream.submit(table), self.ended))
        self.ended = []
        yield from self._take_ready()

    def _take_ready(self) -> Iterator[_FileResult]:
        while self.running and self.running[0][0].done():
            yield from self._take_oldest()

    def _take_oldest(self) -> Iterator[_FileResult]:
        future, done = self.running.popleft()
        result = self._counted(self.validator.split(future.result()))
        yield _FileResult(validated=result)
        if result.undecided is not None:
            self.undecided.append(result.undecided)
            self.undecided_files.update(pc.unique(result.undecided["file"]).to_pylist())
        yield from self._files_done(done)
        if sum(t.num_rows for t in self.undecided) >= DECIDE_LINES:
            yield from self._decide()

    def _counted(self, result: Validated) -> Validated:
        for file, (valid, rejected, blank) in result.by_file.items():
            counts = self.open[file]
            counts.valid += valid
            counts.rejected += rejected
            counts.blank += blank
        return result

    def _files_done(self, done: list[_FileCount]) -> Iterator[_FileResult]:
        """Manifest rows of files whose lines are all taken, unless some are undecided."""
        ready = [c for c in done if c.ref.file not in self.undecided_files]
        self.waiting += [c for c in done if c.ref.file in self.undecided_files]
        if ready:
            yield self._manifest(ready)

    def _decide(self) -> Iterator[_FileResult]:
        """The pooled undecided lines, by the full statement, then the files waiting."""
        if self.undecided:
            table = pa.concat_tables(self.undecided)
            self.undecided, self.undecided_files = [], set()
            yield _FileResult(validated=self._counted(self.validator.validate_table(table)))
        waiting, self.waiting = self.waiting, []
        if waiting:
            yield self._manifest(waiting)

    def _manifest(self, done: list[_FileCount]) -> _FileResult:
        for c in done:
            del self.open[c.ref.file]
        rows = [c.manifest_row() for c in done]
        return _FileResult(manifest=pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA))

    def finish(self) -> Iterator[_FileResult]:
        """The pending batch and every submitted one, then the validator's last spooled
        files."""
        yield from self.flush()
        self.stream.close()  # the last batch's rows come out once the input has ended
        while self.running:
            yield from self._take_oldest()
        yield from self._decide()
        yield _FileResult(validated=self.validator.flush_spools())


class _LineBudget:
    """How many lines the reader may hold ahead of the validator. A budget of lines, not
    a queue depth: files are small (~2k lines) and pooled into 65k-line batches, so a
    queue of a few items let the reader get only a file or two ahead, and the validator
    then waited for the next ~30 files after every batch (~30% of the extract)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.pending = limit, 0
        self.changed = threading.Condition()

    def take(self, lines: int, stop: threading.Event) -> bool:
        """Wait until under the limit (one batch may overshoot it), then hold `lines`."""
        with self.changed:
            while self.pending >= self.limit:
                if stop.is_set():
                    return False
                self.changed.wait(0.1)
            self.pending += lines
            return True

    def give_back(self, lines: int) -> None:
        with self.changed:
            self.pending -= lines
            self.changed.notify()


def _read_ahead(
    refs: list[FileRef],
    open_reader: Callable[[FileRef], FileReader],
    ahead_lines: int,
    depth_cap: int,
) -> Iterator[tuple[str, FileRef, Any]]:
    """("file", ref, reader), then ("table", ref, BATCH_SCHEMA table) per batch,
    then ("end", ref, None), for each file in order. Reading, gunzip, splitting and the
    Arrow/depth work run in a background thread (zlib, Arrow, numpy and DuckDB release the
    GIL), at most `ahead_lines` lines ahead, while the caller validates earlier lines.
    Nesting depths are exact above `depth_cap` (the plan's max_nesting_depth)."""
    items: queue.SimpleQueue[tuple[str, Any, Any]] = queue.SimpleQueue()
    budget = _LineBudget(ahead_lines)
    stop = threading.Event()

    def put(item: tuple[str, Any, Any]) -> bool:
        if item[0] == "table" and not budget.take(item[2].num_rows, stop):
            return False
        items.put(item)
        return not stop.is_set()

    def produce() -> None:
        try:
            for ref in refs:
                reader = open_reader(ref)
                if not put(("file", ref, reader)):
                    return
                for batch in reader.batches():
                    table = batch_to_table(
                        batch,
                        file=ref.file,
                        source_id=ref.source_id,
                        received_day=ref.received_day,
                    )
                    depths = depth_bounds(table["line"], depth_cap)
                    table = table.append_column("max_depth", depths)
                    if not put(("table", ref, table)):
                        return
                if not put(("end", ref, None)):
                    return
            put(("done", None, None))
        except BaseException as e:  # handed to the consumer, raised there
            put(("error", None, e))

    thread = threading.Thread(target=produce, name="spoor-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, ref, value = items.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            if kind == "table":
                budget.give_back(value.num_rows)
            yield kind, ref, value
    finally:
        stop.set()
        thread.join()


@dataclass
class _FileCount:
    ref: FileRef
    reader: FileReader
    valid: int = 0
    rejected: int = 0
    blank: int = 0

    def manifest_row(self) -> dict[str, Any]:
        details = [self.reader.detail] if self.reader.detail else []
        if self.blank:
            details.append(f"{self.blank} blank line(s) skipped")
        return {
            "file": self.ref.file,
            "source_id": self.ref.source_id,
            "received_day": self.ref.received_day,
            "bytes": self.ref.size,
            "lines": self.valid + self.rejected,
            "valid": self.valid,
            "rejected": self.rejected,
            "status": self.reader.status,
            "detail": "; ".join(details) or None,
            "loaded_at": datetime.now(UTC),
        }


def list_event_files(
    events_url: str,
    *,
    storage_options: dict[str, Any] | None = None,
    day_from: date | None = None,
    day_until: date | None = None,
) -> tuple[Any, list[FileRef]]:
    """All files under the events root (recursively), sorted by (received_day, file).

    With a day window [day_from, day_until) only files whose path gives a received_day in
    it are returned; files outside the segment-logs layout are picked up by unwindowed runs.
    """
    fs, root = fsspec.core.url_to_fs(events_url, **(storage_options or {}))
    root = root.rstrip("/")
    found = fs.find(root, detail=True) if fs.exists(root) else {}
    refs = []
    for path, info in found.items():
        if info.get("type") != "file":
            continue
        rel = path[len(root) + 1 :] if path.startswith(root + "/") else path.rsplit("/", 1)[-1]
        source_id, day = parse_layout(rel)
        if (day_from or day_until) and (
            day is None or (day_from and day < day_from) or (day_until and day >= day_until)
        ):
            continue
        refs.append(FileRef(path, rel, int(info.get("size") or 0), source_id, day))
    refs.sort(key=lambda r: (r.received_day or date.min, r.file))
    return fs, refs


def _spool_dir() -> Path:
    """A fresh folder for the validator's parquet files inside the pipeline's working
    folder: the same file system as the load package, so dlt imports them by hard link.
    Each file is removed once imported; a killed run's leftovers are removed here."""
    spool = Path(dlt.current.pipeline().working_dir) / "spoor_spool"
    shutil.rmtree(spool, ignore_errors=True)
    spool.mkdir(parents=True)
    return spool


def _rows(
    item: _FileResult, table: pa.Table | None, spooled: Spooled | None, schema: pa.Schema
) -> Iterator[Any]:
    """A batch's rows for a resource: the Arrow table of the (empty) first item, or a
    completed spooled parquet file, imported as is (`hints` gives dlt the Arrow schema)."""
    if item.first and table is not None:
        yield _with_load_id(table)
    elif spooled is not None:
        hints = _with_load_id(schema.empty_table())
        yield dlt.mark.with_file_import(spooled.path, "parquet", spooled.rows, hints=hints)
        # resumed once dlt has taken the item: its package holds its own link (or copy)
        Path(spooled.path).unlink(missing_ok=True)


def _with_load_id(table: pa.Table) -> pa.Table:
    load_id = dlt.current.load_package_state()["load_id"]
    return table.append_column("_dlt_load_id", pa.repeat(pa.scalar(load_id), table.num_rows))


@dlt.source(name=SOURCE_NAME, max_table_nesting=0)
def spoor_events(
    events_url: str = dlt.config.value,
    tracking_plan_path: str = dlt.config.value,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    batch_lines: int = DEFAULT_BATCH_LINES,
    accept_unknown_events: bool | None = None,
    day_from: date | None = None,
    day_until: date | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """Collected Segment-spec event files (`segment-logs/<source_id>/<day_ms>/*`).

    Resources (all append-only, Arrow/parquet):
      events           one row per valid line (raw.events in docs/design.md)
      rejected_events  one row per rejected line, with reason codes (raw.rejected_events)
      file_manifest    one row per file: bytes, lines, valid, rejected, status (raw.file_manifest)

    Args:
      events_url: the events root: a local path or any fsspec URL (file://, s3://, ...).
      tracking_plan_path: the tracking plan folder.
      max_line_bytes: longer lines are rejected as `line_too_long`.
      max_decompressed_bytes: a file is cut here (status `expansion_limit`).
      batch_lines: lines per batch fed to the validation query (bounds memory).
      accept_unknown_events: overrides the plan's `unknown_events` (None keeps it).
      day_from, day_until: optional received_day window [from, until).
      storage_options: passed to fsspec (credentials, endpoint_url, ...).
    """
    plan = load_tracking_plan(tracking_plan_path).with_unknown_events(accept_unknown_events)

    @dlt.resource(name="_event_files", selected=False)
    def event_files() -> Iterator[_FileResult]:
        loaded: dict[str, int] = dlt.current.source_state().setdefault(LOADED_FILES_KEY, {})
        fs, refs = list_event_files(
            events_url, storage_options=storage_options, day_from=day_from, day_until=day_until
        )
        new = [ref for ref in refs if ref.file not in loaded]
        validator = Validator(plan)
        validator.spool_to(_spool_dir(), dlt.current.load_package_state()["load_id"])
        # An empty first item makes every table exist (typed) even before its first row.
        yield _FileResult(
            Validated(EVENTS_SCHEMA.empty_table(), REJECTED_SCHEMA.empty_table(), 0),
            MANIFEST_SCHEMA.empty_table(),
            first=True,
        )
        batches = _Batcher(validator, batch_lines)
        try:
            with stage("load files", total=len(new), unit="files") as progress:
                for kind, ref, value in _read_ahead(
                    new,
                    lambda ref: _reader(fs, ref),
                    ahead_lines=2 * batch_lines,
                    depth_cap=plan.max_nesting_depth,
                ):
                    if kind == "file":
                        batches.add_file(ref, value)
                    elif kind == "table":
                        yield from batches.add_table(value)
                    else:
                        yield from batches.end_file(ref)
                        progress.advance()
                yield from batches.finish()
                # every file's rows and manifest row are yielded: record them as loaded
                # (committed with this load package, so a killed run records nothing)
                for ref in new:
                    loaded[ref.file] = ref.size
        finally:
            validator.close()

    def _reader(fs: Any, ref: FileRef) -> FileReader:
        return FileReader(
            fs,
            ref,
            max_line_bytes=max_line_bytes,
            max_decompressed_bytes=max_decompressed_bytes,
            batch_lines=min(batch_lines, READ_BATCH_LINES),
        )

    @dlt.transformer(
        data_from=event_files,
        name="events",
        write_disposition="append",
        columns=EVENTS_HINTS,
        file_format="parquet",
    )
    def events(item: _FileResult) -> Iterator[Any]:
        if item.validated is not None:
            yield from _rows(item, item.validated.valid, item.validated.valid_file, EVENTS_SCHEMA)

    @dlt.transformer(
        data_from=event_files,
        name="rejected_events",
        write_disposition="append",
        file_format="parquet",
    )
    def rejected_events(item: _FileResult) -> Iterator[Any]:
        if item.validated is not None:
            v = item.validated
            yield from _rows(item, v.rejected, v.rejected_file, REJECTED_SCHEMA)

    @dlt.transformer(
        data_from=event_files,
        name="file_manifest",
        write_disposition="append",
        file_format="parquet",
    )
    def file_manifest(item: _FileResult) -> Iterator[pa.Table]:
        if item.manifest is not None:
            yield _with_load_id(item.manifest)

    return events, rejected_events, file_manifest


__all__ = [
    "EVENTS_SCHEMA",
    "MANIFEST_SCHEMA",
    "REJECTED_SCHEMA",
    "list_event_files",
    "spoor_events",
]
