"""ONE validation query over every batch of a load, fed batch by batch.

`Validator._execute` runs the statement once per batch: DuckDB binds and plans it again
each time (~105 ms) and the batch is first inserted into a table. Here the statement reads
a pyarrow RecordBatchReader whose batches come from `submit`, and a reader thread takes
the results (`to_arrow_reader`) and cuts them back into one Arrow table per submitted
batch, resolving that batch's Future (statement CPU on real lines: ~13 -> ~8.5 us/line).

Why it cannot stall: DuckDB hands out a batch's last rows only once its scan has taken
the NEXT input (or the input has ended), and the thread that pulls the results may itself
be the one blocked in the input, waiting for a batch. So a caller must never wait for a
result while it still holds input to give: `submit` never blocks, `wait` returns when
there is room in the inbox OR the oldest result is ready, and `close` ends the input
before the last results are awaited. The input can then always be refilled while DuckDB
waits for it, and every result is eventually handed out.

Order: the result rows come in input order (preserve_insertion_order, DuckDB's default);
each cut is checked against its batch's (file, line_number), and any mismatch fails the
load rather than misattributing a line.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb

# Rows per Arrow batch read from the result: DuckDB's vector size x 4.
RESULT_BATCH_ROWS = 8192
ABORT_TIMEOUT_S = 60


@dataclass
class _Pending:
    """A submitted batch whose result rows are not all in yet."""

    lineage: pa.Table  # its (file, line_number): the result must come in the same order
    carried: pa.Table  # its columns handed on with the result
    future: Future[pa.Table] = field(default_factory=Future)
    parts: list[pa.RecordBatch] = field(default_factory=list)
    received: int = 0


class ValidationStream:
    """Feed tables (BATCH_SCHEMA) with `submit`; each Future gives that table's result
    rows (the statement's output for exactly its lines, in order)."""

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        sql: str,
        source: str,
        schema: pa.Schema,
        inbox_size: int = 2,
        carry: tuple[str, ...] = (),
    ) -> None:
        """`sql` reads the relation `source`: the batches, registered on `cursor`. The
        input columns named in `carry` are appended to each batch's result as they are, so
        the query need not pass them through (e.g. long texts it only reads)."""
        self._cursor = cursor
        self._sql = sql
        self._source = source
        self._schema = schema
        self._inbox_size = inbox_size
        self._carry = list(carry)
        self._inbox: deque[pa.Table | None] = deque()
        self._pending: deque[_Pending] = deque()
        self._changed = threading.Condition()
        self._error: BaseException | None = None
        self._closed = False
        # a daemon: a stream nobody closed must not keep the process alive at exit
        self._thread = threading.Thread(
            target=self._read_results, name="spoor-validate-stream", daemon=True
        )
        self._thread.start()

    # -- the caller's side -------------------------------------------------------------

    def has_room(self) -> bool:
        with self._changed:
            return len(self._inbox) < self._inbox_size or self._error is not None

    def submit(self, table: pa.Table) -> Future[pa.Table]:
        """Queue `table` (never blocks; call `wait` first to keep the inbox bounded)."""
        if not table.num_rows:
            raise ValueError("an empty batch has no result rows to wait for")
        pending = _Pending(table.select(["file", "line_number"]), table.select(self._carry))
        with self._changed:
            if self._closed:
                raise RuntimeError("validation stream is closed")
            if self._error is not None:
                pending.future.set_exception(self._error)
                return pending.future
            self._pending.append(pending)
            self._inbox.append(table)
            self._changed.notify_all()
        return pending.future

    def wait(self, oldest: Future[pa.Table] | None) -> None:
        """Block until the inbox has room or `oldest` is done (or the query failed)."""
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    len(self._inbox) < self._inbox_size
                    or (oldest is not None and oldest.done())
                    or self._error is not None
                )
            )

    def close(self) -> None:
        """End the input: DuckDB finishes the query and every Future resolves."""
        with self._changed:
            if not self._closed:
                self._closed = True
                self._inbox.append(None)
                self._changed.notify_all()

    def abort(self) -> None:
        """Stop now (a failed load) and release the cursor: interrupt DuckDB, end the
        input, wait for the thread. After a finished query, only releases the cursor."""
        self.close()
        if self._thread.is_alive():
            self._cursor.interrupt()
        self._thread.join(ABORT_TIMEOUT_S)
        if self._thread.is_alive():
            raise RuntimeError(f"the validation query did not stop within {ABORT_TIMEOUT_S} s")
        self._cursor.close()

    # -- DuckDB's side -----------------------------------------------------------------

    def _batches(self) -> Iterator[pa.RecordBatch]:
        """The input as DuckDB scans it; blocks while the inbox is empty."""
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._inbox or self._error is not None)
                if self._error is not None:  # the results' side failed: end the input
                    return
                table = self._inbox.popleft()
                self._changed.notify_all()  # room in the inbox
            if table is None:
                return
            yield from table.to_batches()

    def _read_results(self) -> None:
        """Runs the query (created here: to_arrow_reader pulls the first input on the
        calling thread) and cuts its rows into the submitted batches' results."""
        try:
            reader = pa.RecordBatchReader.from_batches(self._schema, self._batches())
            self._cursor.register(self._source, reader)
            results = self._cursor.sql(self._sql).to_arrow_reader(RESULT_BATCH_ROWS)
            for batch in results:
                self._take(batch)
            with self._changed:
                if self._pending:
                    raise RuntimeError(
                        f"validation query ended with {len(self._pending)} batches unanswered"
                    )
        except BaseException as e:  # handed to every waiting Future
            self._fail(e)

    def _take(self, batch: pa.RecordBatch) -> None:
        while batch.num_rows:
            with self._changed:
                if not self._pending:
                    raise RuntimeError("validation query returned more rows than it was given")
                head = self._pending[0]
            want = head.lineage.num_rows - head.received
            part, batch = batch.slice(0, want), batch.slice(want)
            head.parts.append(part)
            head.received += part.num_rows
            if head.received == head.lineage.num_rows:
                result = pa.Table.from_batches(head.parts, schema=batch.schema)
                _check_order(head.lineage, result)
                for name in self._carry:
                    result = result.append_column(name, head.carried[name])
                with self._changed:
                    self._pending.popleft()
                    head.future.set_result(result)
                    self._changed.notify_all()

    def _fail(self, error: BaseException) -> None:
        with self._changed:
            self._error = error
            for pending in self._pending:
                if not pending.future.done():
                    pending.future.set_exception(error)
            self._pending.clear()
            self._inbox.clear()
            self._changed.notify_all()


def _check_order(lineage: pa.Table, result: pa.Table) -> None:
    if not (
        result["line_number"].equals(lineage["line_number"])
        and result["file"].equals(lineage["file"])
    ):
        raise RuntimeError("validation results came back out of input order")
