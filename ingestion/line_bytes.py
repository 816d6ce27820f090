"""Byte-level scans of a column of raw lines, vectorised with numpy over its Arrow buffers:
which lines are not valid UTF-8, and how deeply each one nests (the too_deep check).

The reader's column holds ~1 KB JSON lines; these scans pass over every byte of them, so
they work in cache-sized blocks with positions, not with one temporary array per byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_BLOCK = 1 << 20  # bytes per numpy pass: scratch arrays that stay in the CPU cache
_SLICE = 32_768  # lines per exact depth scan (bounds its scratch arrays)


# -- the buffers of a string or binary array -------------------------------------------


def _chunks(arr: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    return arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]


def _offsets(arr: pa.Array) -> np.ndarray:
    """The offsets of a string or binary array's values into its data buffer."""
    large = arr.type in (pa.large_string(), pa.large_binary())
    kind = np.dtype(np.int64 if large else np.int32)
    return np.frombuffer(arr.buffers()[1], kind, len(arr) + 1, arr.offset * kind.itemsize)


def _data(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets relative to the first value, the bytes of all values) of an array, read in
    place (a NULL element spans whatever its slot does, normally nothing)."""
    offsets = _offsets(arr)
    start, end = int(offsets[0]), int(offsets[-1])
    buffer = arr.buffers()[2]
    if buffer is None or end == start:
        return offsets - start, np.zeros(0, np.uint8)
    return offsets - start, np.frombuffer(buffer, np.uint8, end - start, start)


def take(arr: pa.ChunkedArray | pa.Array, indices: list[int] | np.ndarray) -> pa.Array:
    """`arr.take(indices)`, chunk by chunk: Arrow's take on a chunked array first
    concatenates every chunk (a ~60 MB copy per reader batch, for a few lines)."""
    wanted = np.asarray(indices, np.int64)
    order = np.argsort(wanted, kind="stable")
    ordered, parts, base = wanted[order], [], 0
    for chunk in _chunks(arr):
        lo, hi = np.searchsorted(ordered, [base, base + len(chunk)]).tolist()
        if hi > lo:
            parts.append(chunk.take(pa.array(ordered[lo:hi] - base)))
        base += len(chunk)
    taken = pa.chunked_array(parts, arr.type).combine_chunks()
    return taken.take(pa.array(np.argsort(order)))


def _blocks(data: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(offset, block, a boolean scratch array as long) over `data`, one cache-sized block
    at a time; the scratch is reused from block to block."""
    scratch = np.empty(min(len(data), _BLOCK), np.bool_)
    for at in range(0, len(data), _BLOCK):
        block = data[at : at + _BLOCK]
        yield at, block, scratch[: len(block)]


def byte_positions(data: np.ndarray, value: int) -> np.ndarray:
    """Sorted positions of the byte `value` in `data`, found block by block."""
    found = [np.zeros(0, np.intp)]
    for at, block, out in _blocks(data):
        np.equal(block, value, out=out)
        found.append(np.flatnonzero(out) + at)
    return np.concatenate(found)


def _per_line(
    offsets: np.ndarray, data: np.ndarray, match: Callable[[np.ndarray, np.ndarray], bool]
) -> np.ndarray:
    """How many bytes of each value (`offsets` into `data`) `match(block, out)` selects,
    counted block by block: memory stays bounded whatever the data (a line of CJK text is
    mostly bytes >= 0x80)."""
    counts = np.zeros(len(offsets) - 1, np.int32)
    for at, block, out in _blocks(data):
        if not match(block, out):
            continue
        hits = np.flatnonzero(out)
        if len(hits):  # values lo..hi-1 overlap the block
            lo = int(np.searchsorted(offsets, at, side="right")) - 1
            hi = int(np.searchsorted(offsets, at + len(block), side="left"))
            bounds = np.clip(offsets[lo : hi + 1] - at, 0, len(block))
            counts[lo:hi] += np.diff(np.searchsorted(hits, bounds)).astype(np.int32)
    return counts


# Byte matchers for _per_line: fill `out` and return True, or return False for a block
# without a match.


def _is_opening(block: np.ndarray, out: np.ndarray) -> bool:
    np.bitwise_or(block, 0x20, out=out.view(np.uint8))  # '[' 0x5b -> 0x7b, '{' itself
    np.equal(out.view(np.uint8), ord("{"), out=out)
    return True


def _is_high(block: np.ndarray, out: np.ndarray) -> bool:
    if block.max() < 0x80:  # most blocks: one reduction, no temporary array
        return False
    np.greater_equal(block, 0x80, out=out)
    return True


# -- UTF-8 -------------------------------------------------------------------------------


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def invalid_utf8(binary: pa.Array | pa.ChunkedArray) -> list[int]:
    """Indices of the elements that are not valid UTF-8. Only an element holding a byte
    >= 0x80 can be one (ASCII is UTF-8); those are checked with Arrow's whole-array check,
    bisected down to single elements (only halves holding a bad one are split)."""
    suspects, base = [], 0
    for chunk in _chunks(binary):
        offsets, data = _data(chunk)
        suspects += (np.flatnonzero(_per_line(offsets, data, _is_high)) + base).tolist()
        base += len(chunk)
    if not suspects:
        return []
    return [suspects[i] for i in _bisect_invalid(take(binary, suspects))]


def _bisect_invalid(binary: pa.Array | pa.ChunkedArray) -> list[int]:
    try:
        binary.cast(pa.string())
        return []
    except pa.ArrowInvalid:
        if len(binary) == 1:
            return [0]
    half = len(binary) // 2
    return _bisect_invalid(binary.slice(0, half)) + [
        half + i for i in _bisect_invalid(binary.slice(half))
    ]


def null_where(text: pa.ChunkedArray, mask: np.ndarray) -> pa.ChunkedArray:
    """`text` with its elements where `mask` is true made NULL, over the same offsets and
    data buffers (a copy of ~60 MB per batch otherwise, for the one bad line it holds)."""
    out, start = [], 0
    for chunk in text.chunks:
        part = mask[start : start + len(chunk)]
        start += len(chunk)
        if not part.any():
            out.append(chunk)
        elif chunk.null_count:
            out.append(pc.if_else(pa.array(part), pa.scalar(None, chunk.type), chunk))
        else:
            valid = np.concatenate([np.ones(chunk.offset, np.bool_), ~part])
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
            buffers = [bitmap, *chunk.buffers()[1:]]
            nulls = int(part.sum())
            out.append(pa.Array.from_buffers(chunk.type, len(chunk), buffers, nulls, chunk.offset))
    return pa.chunked_array(out, text.type)


# -- nesting depth -----------------------------------------------------------------------

# Everything but brackets, quotes and the line separator is dropped before the depth scan.
_DEPTH_DELETE = bytes(b for b in range(256) if b not in b'{}[]"\n')


def line_depths(lines: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Exact JSON nesting depth of every line (brackets inside strings do not count; the
    message object is depth 1), int32, 0 for NULL / bracket-free lines. Only meaningful for
    valid JSON. Vectorised: C-speed byte deletion, then prefix sums in numpy."""
    out = [np.zeros(0, np.int32)]
    for chunk in _chunks(lines):
        for start in range(0, len(chunk), _SLICE):
            out.append(_depth_slice(chunk.slice(start, _SLICE)))
    return pa.array(np.concatenate(out), pa.int32())


def depth_bounds(text: pa.ChunkedArray | pa.Array, cap: int) -> pa.Array:
    """Per line, a nesting depth exact wherever it exceeds `cap`, all the too_deep check
    reads. A line holding at most `cap` opening brackets cannot nest deeper, and gets that
    count; only the others are scanned exactly: in place when each ends with its newline
    (the reader's column), else as `line_depths` does (a file's last line, other inputs)."""
    out = [np.zeros(0, np.int32)]
    for chunk in _chunks(text):
        offsets, data = _data(chunk)
        counts = _per_line(offsets, data, _is_opening)
        over = np.flatnonzero(counts > cap)
        for start in range(0, len(over), _SLICE):
            part = over[start : start + _SLICE]
            depths = _terminated_depths(chunk, part)
            if depths is None:
                depths = _depth_slice(chunk.take(pa.array(part)))
            counts[part] = depths
        out.append(counts)
    return pa.array(np.concatenate(out), pa.int32())


def _terminated_depths(arr: pa.Array, part: np.ndarray) -> np.ndarray | None:
    """`line_depths` of elements `part` of a string or binary array whose values each end
    with a newline (the reader's column): taken together, that is already the newline-
    separated text the scan takes. None when one does not end so (a file's last line).
    Arrow's take gathers them in C (a Python join of slices cost ~40% of the scan); a NULL
    element (a nulled invalid-UTF-8 line) is taken as its slot's bytes, whose depth no
    check reads."""
    slots = pa.Array.from_buffers(arr.type, len(arr), [None, *arr.buffers()[1:]], 0, arr.offset)
    taken = slots.take(pa.array(part))
    _, data = _data(taken)
    text = _brackets(data.tobytes())  # leading newline, and the last line's own
    if not text.endswith(b"\n") or text.count(b"\n") != len(part) + 1:
        return None
    return _depths(text[:-1], len(part))


def _brackets(joined: bytes) -> bytes:
    """Newline-joined lines -> a leading newline, then only their brackets, quotes and
    newlines; escaped backslashes and quotes removed first (so every remaining quote opens
    or closes a string). Adjacent quotes are dropped too: a pair changes no bracket's
    inside/outside parity, and most of the quotes left are such pairs (keys and values
    without brackets), which cut the numpy scan's input ~7x (1.8 -> 0.2 us per line)."""
    if b"\\" in joined:
        joined = joined.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"\n" + joined.translate(None, _DEPTH_DELETE).replace(b'""', b"")


def _bracket_text(arr: pa.Array) -> bytes:
    """`_brackets` of a binary array's lines."""
    offsets = pa.array([0, len(arr)], pa.int32())
    return _brackets(pc.binary_join(pa.ListArray.from_arrays(offsets, arr), b"\n")[0].as_py())


def _depth_slice(arr: pa.Array) -> np.ndarray:
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.int32)
    arr = pc.fill_null(arr, "").cast(pa.binary())
    data = _bracket_text(arr)
    if data.count(b"\n") != n:  # newlines inside lines (JSON whitespace): make them spaces
        data = _bracket_text(pc.replace_substring(arr, "\n", " "))
    return _depths(data, n)


def _depths(data: bytes, n: int) -> np.ndarray:
    """Each line's maximum depth, from `_brackets` output holding exactly n >= 1 lines."""
    r = np.frombuffer(data, np.uint8)
    starts = np.flatnonzero(r == 10)  # one newline before each line: no empty segment
    assert len(starts) == n, "a line holds a newline"
    # inside a string <=> odd number of quotes before it since the line start (a line with
    # an odd count, i.e. invalid JSON, is evened out at the next newline)
    quotes = (r == 34).view(np.uint8)
    odd = np.add.reduceat(quotes, starts, dtype=np.int32).astype(np.uint8) & 1
    quotes[starts[1:]] = odd[:-1]
    outside = np.cumsum(quotes, dtype=np.uint8)
    outside &= 1
    outside ^= 1
    low = r & 7  # '{' '[' -> 3, '}' ']' -> 5, '"' and newline -> 2
    step = (low == 3).view(np.int8) - (low == 5).view(np.int8)
    step *= outside.view(np.int8)
    sums = np.add.reduceat(step, starts, dtype=np.int32)
    depth = step.astype(np.int32)
    depth[starts[1:]] = -sums[:-1]  # back to 0 at each line start
    np.cumsum(depth, out=depth)
    return np.maximum.reduceat(depth, starts)
