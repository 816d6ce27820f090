"""Read collected event files into batches of raw lines, surviving hostile files.

Python only does what must be sequential: decompress (ISA-L, C speed), find the newlines
(numpy) and account per file. The lines are never copied one by one: a batch is an Arrow
column over the decompressed buffers themselves. Validation happens later, in bulk, in
DuckDB.

Guarantees, per file:
- every physical line gets a 1-based `line_number`; a line is either handed on for
  validation or carries a pre-decided rejection (`line_too_long`, `truncated_line`);
- memory stays bounded: at most `max_line_bytes` of a partial line is held, and at most
  `DECOMPRESS_STEP` bytes of decompressed output per step (a bomb cannot blow up RAM);
- a file is never skipped: problems end up in `status` / `detail` of the file result.

Statuses (raw.file_manifest.status), most severe wins:
  expansion_limit  decompressed size passed `max_decompressed_bytes`; lines after the cut
                   are not read (the cut line is rejected as `truncated_line`)
  truncated        the gzip stream ended early or is corrupt; complete lines are kept, the
                   partial last line is rejected as `truncated_line`
  not_gzip         named *.gz but not gzip (no magic bytes): read as plain text
  empty            no bytes, or no lines
  ok
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa

# ISA-L's inflate: zlib's API, ~3x its speed (1.5 GB/s against 0.5 on the bench files)
from isal import isal_zlib

from ingestion.line_bytes import byte_positions, take

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
READ_STEP = 1 << 20  # compressed bytes read per call
DECOMPRESS_STEP = 8 << 20  # decompressed bytes produced per inflate call (bounds memory)
# How much of an over-long line raw_line keeps: its first KEPT_PREFIX_BYTES, or
# max_line_bytes when lower (so it does not depend on where the chunks were cut).
KEPT_PREFIX_BYTES = 4096

DEFAULT_MAX_LINE_BYTES = 1 << 20  # 1 MiB, docs/design.md
MAX_LINE_BYTES_LIMIT = (1 << 31) - DECOMPRESS_STEP
# A decompression bomb is cut here. 2 GiB is ~10x the largest real daily file we expect
# (200 MB gz / day of 5M events expands to ~1.5 GB); raise it for bigger files.
DEFAULT_MAX_DECOMPRESSED_BYTES = 2 << 30
# Lines per validation statement. 245,760 (two of DuckDB's 122,880-row row groups, so both
# threads work on one statement) made parquet files that the load step, under its 1 GB
# memory_limit, could not commit on the full 5M-event set (Out of Memory): kept at 65,536.
DEFAULT_BATCH_LINES = 65_536
# Lines per reader batch (the read-ahead queue holds a few): the statement pools several.
READ_BATCH_LINES = 65_536

STATUS_SEVERITY = ["ok", "empty", "not_gzip", "truncated", "expansion_limit"]
_DAY_MS = re.compile(r"^[0-9]{1,15}$")


@dataclass(frozen=True)
class FileRef:
    """One input file: where to open it and the lineage it gives its lines."""

    path: str  # path inside the fsspec filesystem
    file: str  # path relative to the events root, '/'-separated (raw.*.file)
    size: int
    source_id: str | None
    received_day: date | None


@dataclass
class LineBatch:
    """Consecutive physical lines of one file, starting at `first_line`, as one binary
    Arrow column over the decompressed bytes: each value keeps its line's terminator
    (b"\\n" or b"\\r\\n"; none on a last line without one), which JSON reads as whitespace.
    `lines_at` gives lines without it, as the file holds them."""

    first_line: int
    text: pa.ChunkedArray  # binary
    # line index -> (reason code, human message), decided by the reader
    problems: dict[int, tuple[str, str]] = field(default_factory=dict)
    # line index -> what raw_line keeps of an over-long line (its first KEPT_PREFIX_BYTES)
    kept: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def of_lines(
        cls, first_line: int, lines: list[bytes], problems: dict | None = None
    ) -> LineBatch:
        text = pa.chunked_array([pa.array([x + b"\n" for x in lines], pa.binary())])
        return cls(first_line, text, problems or {})

    def __len__(self) -> int:
        return len(self.text)

    def lines_at(self, indices: list[int]) -> list[bytes]:
        raw = take(self.text, indices).to_pylist()
        return [
            self.kept[i] if i in self.kept else _content(x)
            for i, x in zip(indices, raw, strict=True)
        ]

    @property
    def lines(self) -> list[bytes]:
        return self.lines_at(list(range(len(self))))


def _content(raw: bytes) -> bytes:
    """A line without its terminator: the newline, then one carriage return."""
    raw = raw[:-1] if raw.endswith(b"\n") else raw
    return raw[:-1] if raw.endswith(b"\r") else raw


def _over(data: bytes, offsets: np.ndarray) -> pa.Array:
    """The values data[offsets[i]:offsets[i + 1]] as a binary array over `data` (no copy)."""
    buffers = [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.binary(), len(offsets) - 1, buffers)


def parse_layout(relative_path: str) -> tuple[str | None, date | None]:
    """(source_id, received_day) from `.../segment-logs/<source_id>/<day_ms>/<name>`.

    Files outside that layout get (None, None); they are still loaded.
    """
    parts = relative_path.split("/")
    for i in range(len(parts) - 4, -1, -1):
        if parts[i] == "segment-logs":
            source_id, day_ms = parts[i + 1], parts[i + 2]
            if not source_id or not _DAY_MS.match(day_ms):
                return None, None
            try:
                day = datetime.fromtimestamp(int(day_ms) / 1000, tz=UTC).date()
            except (OverflowError, OSError, ValueError):
                return source_id, None
            return source_id, day
    return None, None


class FileReader:
    """Iterate `batches()` once; afterwards `status`, `detail`, `lines` describe the file."""

    def __init__(
        self,
        fs: Any,
        ref: FileRef,
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
        batch_lines: int = DEFAULT_BATCH_LINES,
    ) -> None:
        if max_line_bytes >= MAX_LINE_BYTES_LIMIT:  # a batch's buffers take 32-bit offsets
            raise ValueError(f"max_line_bytes must be below {MAX_LINE_BYTES_LIMIT}")
        self.fs, self.ref = fs, ref
        self.max_line_bytes = max_line_bytes
        self.max_decompressed_bytes = max_decompressed_bytes
        self.batch_lines = batch_lines
        self.status = "ok"
        self.details: list[str] = []
        self.lines = 0  # physical lines seen (numbered)
        self.decompressed_bytes = 0

    @property
    def detail(self) -> str | None:
        return "; ".join(self.details) or None

    def _flag(self, status: str, detail: str | None = None) -> None:
        if STATUS_SEVERITY.index(status) > STATUS_SEVERITY.index(self.status):
            self.status = status
        if detail:
            self.details.append(detail)

    # -- decompression -------------------------------------------------------------
    def _chunks(self, f: Any) -> Iterator[bytes]:
        """Decompressed (or plain) bytes, sniffing gzip by magic bytes, not by name."""
        head = f.read(READ_STEP)
        if not head:
            return
        if head[:2] != GZIP_MAGIC:
            if self.ref.file.lower().endswith(".gz"):
                self._flag("not_gzip", "no gzip magic bytes; read as plain text")
            data = head
            while data:
                yield from self._limited(data)
                if self.status == "expansion_limit":
                    return
                data = f.read(READ_STEP)
            return
        yield from self._gunzip(f, head)

    def _limited(self, out: bytes) -> Iterator[bytes]:
        room = self.max_decompressed_bytes - self.decompressed_bytes
        if len(out) > room:
            self._flag(
                "expansion_limit",
                f"stopped after max_decompressed_bytes={self.max_decompressed_bytes}",
            )
            out = out[:room]
        self.decompressed_bytes += len(out)
        if out:
            yield out

    def _gunzip(self, f: Any, data: bytes) -> Iterator[bytes]:
        d = isal_zlib.decompressobj(isal_zlib.MAX_WBITS | 16)
        in_member = True
        try:
            while True:
                if not data:
                    data = f.read(READ_STEP)
                    if not data:
                        break
                if not in_member:
                    # between members: concatenated gzip, or trailing padding/garbage
                    if not data.strip(b"\x00"):
                        data = b""
                        continue
                    if data[:2] != GZIP_MAGIC:
                        self.details.append("ignored trailing bytes after the gzip stream")
                        return
                    d, in_member = isal_zlib.decompressobj(isal_zlib.MAX_WBITS | 16), True
                out = d.decompress(data, DECOMPRESS_STEP)
                data = d.unconsumed_tail
                yield from self._limited(out)
                if self.status == "expansion_limit":
                    return
                while len(out) == DECOMPRESS_STEP and not data and not d.eof:
                    # inflate may still hold output for the input it already took
                    out = d.decompress(b"", DECOMPRESS_STEP)
                    data = d.unconsumed_tail
                    yield from self._limited(out)
                    if self.status == "expansion_limit":
                        return
                if d.eof:
                    data, in_member = d.unused_data + data, False
        except isal_zlib.error as e:
            self._flag("truncated", f"corrupt gzip data: {e}")
            return
        if in_member:
            self._flag("truncated", "gzip stream ends before its end marker")

    # -- line splitting ------------------------------------------------------------
    def batches(self) -> Iterator[LineBatch]:
        pieces: list[pa.Array] = []  # of the batch being filled
        count = 0  # its lines
        problems: dict[int, tuple[str, str]] = {}
        kept: dict[int, bytes] = {}
        first_line = 1
        pending = b""  # partial last line, never longer than max_line_bytes
        overlong: int | None = None  # byte length so far of an over-long line being skipped
        overlong_prefix = b""
        last = b""  # the last byte of the over-long line so far (a CR before its newline)
        head: bytes | None = b""  # the first chunks, until a BOM is ruled out
        limit = self.max_line_bytes
        keep = min(KEPT_PREFIX_BYTES, limit)  # bytes kept of an over-long line

        def too_long(prefix: bytes, length: int) -> tuple[str, str]:
            msg = (
                f"line of {length} bytes exceeds max_line_bytes={limit}; "
                f"raw_line keeps the first {len(prefix)} bytes"
            )
            return "line_too_long", msg

        def one(line: bytes) -> pa.Array:  # a line that is in no buffer of the file
            return pa.array([line], pa.binary())

        def add_overlong(length: int) -> None:
            """Add the over-long line being skipped, of `length` bytes, as its prefix."""
            nonlocal count
            problems[count] = too_long(overlong_prefix, length)
            kept[count] = overlong_prefix
            pieces.append(one(overlong_prefix))
            count += 1

        def split(data: bytes, begin: int) -> bytes:
            """Add the complete lines of data[begin:] to the batch; return the rest."""
            nonlocal count
            byte = np.frombuffer(data, np.uint8)
            ends = byte_positions(byte[begin:], ord("\n")) + (begin + 1)
            if not len(ends):
                return data[begin:]
            offsets = np.concatenate([[begin], ends])
            lengths = np.diff(offsets) - 1  # without the newline ...
            if b"\r" in data:  # ... and without a carriage return before it
                lengths -= (lengths > 0) & (byte[ends - 2] == ord("\r"))
            for i in np.flatnonzero(lengths > limit).tolist():
                start = int(offsets[i])
                kept[count + i] = data[start : start + keep]
                problems[count + i] = too_long(kept[count + i], int(lengths[i]))
            pieces.append(_over(data, offsets))
            count += len(ends)
            return data[ends[-1] :]

        with self.fs.open(self.ref.path, "rb") as f:
            for chunk in self._chunks(f):
                if head is not None:  # the file's first bytes: drop a BOM, even a split one
                    head += chunk
                    if len(head) < len(UTF8_BOM) and UTF8_BOM.startswith(head):
                        continue
                    chunk, head = head.removeprefix(UTF8_BOM), None
                if overlong is not None:
                    nl = chunk.find(b"\n")
                    if nl < 0:
                        overlong, last = overlong + len(chunk), chunk[-1:]
                        continue
                    cr = (chunk[nl - 1 : nl] if nl else last) == b"\r"  # not counted, as below
                    add_overlong(overlong + nl - cr)
                    overlong, overlong_prefix = None, b""
                    chunk = chunk[nl + 1 :]
                # A line begun in the previous chunk is split off on its own when it ends
                # here: prepending it to the whole chunk copied every byte once more.
                nl = chunk.find(b"\n") if pending else -1
                if nl >= 0:
                    split(pending + chunk[: nl + 1], 0)
                    pending = split(chunk, nl + 1)
                else:
                    pending = split(pending + chunk if pending else chunk, 0)
                if len(pending) > limit:
                    overlong, overlong_prefix = len(pending), pending[:keep]
                    last = pending[-1:]  # the skipped line's last byte so far
                    pending = b""
                if count >= self.batch_lines:
                    text = pa.chunked_array(pieces, pa.binary())
                    yield LineBatch(first_line, text, problems, kept)
                    self.lines += count
                    first_line += count
                    pieces, count, problems, kept = [], 0, {}, {}

        if head:  # a file of one or two bytes that begin a BOM
            pending = head
        cut = self.status in ("truncated", "expansion_limit")
        if overlong is not None:
            add_overlong(overlong)
        elif pending:
            if cut:
                problems[count] = (
                    "truncated_line",
                    f"partial last line: the file is {self.status} ({self.detail})",
                )
            pieces.append(one(pending))
            count += 1
        if count:
            yield LineBatch(first_line, pa.chunked_array(pieces, pa.binary()), problems, kept)
            self.lines += count
        if self.lines == 0:
            self._flag("empty", "no lines" if self.ref.size else "zero bytes")
