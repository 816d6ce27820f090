"""The byte scans of ingestion/line_bytes.py against plain Python, whatever the block size
and however the lines are chunked: UTF-8 checks, per-line bracket counts, takes, masks."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from ingestion import line_bytes
from ingestion.line_bytes import depth_bounds, invalid_utf8, null_where, take

PIECES = [b"a", b'"k":', b"{", b"[", b"}", b"]", "é".encode(), "日本".encode(), "🙂".encode()]
BAD = [b"\x80", b"\xff", b"\xc3", b"\xe6\x97", b"\xed\xa0\x80"]  # stray, cut, surrogate


def _lines(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    lines = []
    for _ in range(rng.randint(1, 60)):
        parts = [rng.choice(PIECES) for _ in range(rng.randint(0, 40))]
        if rng.random() < 0.15:
            parts.insert(rng.randint(0, len(parts)), rng.choice(BAD))
        lines.append(b"".join(parts) + b"\n")
    return lines


def _chunked(lines: list[bytes], seed: int) -> pa.ChunkedArray:
    """The lines as 1-3 chunks, some of them slices (non-zero offsets)."""
    rng = random.Random(seed)
    cut = sorted(rng.sample(range(1, len(lines)), min(2, len(lines) - 1))) if len(lines) > 1 else []
    chunks, start = [], 0
    for end in [*cut, len(lines)]:
        whole = pa.array([b"pad\n", *lines[start:end]], pa.binary())
        chunks.append(whole.slice(1))
        start = end
    return pa.chunked_array(chunks, pa.binary())


def _valid(x: bytes) -> bool:
    try:
        x.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("block", [1, 5, 64, 1 << 20])
def test_scans_match_python(monkeypatch, block):
    monkeypatch.setattr(line_bytes, "_BLOCK", block)
    bad_lines = 0
    for seed in range(40):
        lines = _lines(seed)
        text = _chunked(lines, seed)
        bad = [i for i, x in enumerate(lines) if not _valid(x)]
        bad_lines += len(bad)
        assert invalid_utf8(text) == bad
        # below the cap, depth_bounds is the count of opening brackets
        opening = [x.count(b"{") + x.count(b"[") for x in lines]
        assert depth_bounds(text, 10**6).to_pylist() == opening
        picked = random.Random(seed).sample(range(len(lines)), len(lines) // 2)
        assert take(text, picked).to_pylist() == [lines[i] for i in picked]
    assert bad_lines > 20  # the sample holds invalid lines


def test_null_where_keeps_the_buffers():
    lines = [f"line {i}\n".encode() for i in range(10)]
    text = _chunked(lines, 3).cast(pa.string())
    mask = np.zeros(10, np.bool_)
    mask[[0, 4, 9]] = True
    out = null_where(text, mask)
    assert out.to_pylist() == [None if m else x.decode() for x, m in zip(lines, mask, strict=True)]
    assert [c.buffers()[2].address for c in out.chunks] == [
        c.buffers()[2].address for c in text.chunks
    ]
