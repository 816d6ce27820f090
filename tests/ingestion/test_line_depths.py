"""line_depths and depth_bounds (the too_deep check) against json.loads on tricky and
random lines."""

from __future__ import annotations

import json
import random

import numpy as np
import pyarrow as pa

from ingestion.line_bytes import depth_bounds, line_depths, null_where


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _random_json(rng: random.Random, depth: int) -> str:
    if depth == 0:
        return rng.choice(["1", '"s{["', '"\\\\"', '"\\"]"', "null", '"\\\\\\"{"', '"é}"'])
    n = rng.randint(0, 3)
    if rng.random() < 0.5:
        items = (f'"k{i}\\"{{":{_random_json(rng, depth - 1)}' for i in range(n))
        return "{" + ",".join(items) + "}"
    return "[" + " , ".join(_random_json(rng, depth - 1) for _ in range(n)) + "]"


def _lines(rng: random.Random) -> list[str]:
    lines = [
        "{}",
        '{"a":"{{{{"}',
        '{"a":"\\\\"}',
        '{"a":"\\"{["}',
        '{"a":[[[[]]]]}',
        '{"a":\n{"b":\n[1]}}',
        '{"a":"\\\\\\"[[["}',
        '{"k{":{"x":[{}]}}',
        '{"\\u007b":"\\u005b"}',
        '{"a":"]]]]"}',
        # empty strings: adjacent quotes the scan drops, next to brackets in and out of strings
        '{"":""}',
        '{"a":["",""],"b":"[{"}',
        '[[""],"]",[""]]',
        '{"":"{","":"}"}',
    ]
    return lines + [_random_json(rng, rng.randint(0, 12)) for _ in range(5000)]


def test_line_depths_match_json_parse() -> None:
    rng = random.Random(7)
    lines = _lines(rng)
    broken = ['{"a":"x', '"', "[[[", "", "  "]  # invalid lines must not disturb the next
    mixed: list[str | None] = []
    for i, line in enumerate(lines):
        mixed.append(line)
        if i % 97 == 0:
            mixed.append(broken[i % len(broken)])
        if i % 89 == 0:
            mixed.append(None)
    arr = pa.chunked_array([pa.array(mixed[:3000], pa.string()), pa.array(mixed[3000:])])
    got = line_depths(arr).to_pylist()
    assert len(got) == len(mixed)
    # the reader's path: its column, each line ending with its newline (so holding no
    # other), NULL as an empty line; cap 0 scans every line holding a bracket, in place
    one_line = [i for i, x in enumerate(mixed) if x is None or "\n" not in x]
    read = pa.array([(mixed[i] or "").encode() + b"\n" for i in one_line], pa.binary())
    assert depth_bounds(read, 0).to_pylist() == [got[i] for i in one_line]
    for line, depth in zip(mixed, got, strict=True):
        if line is None:
            assert depth == 0
            continue
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        assert depth == _depth(parsed), line


def test_depth_bounds_exact_past_the_cap() -> None:
    """depth_bounds decides too_deep exactly as line_depths does, for every cap, on plain,
    large, sliced and chunked Arrow columns (offsets not starting at 0), and on lines that
    keep their terminators (read in place)."""
    lines = [x for x in _lines(random.Random(11)) if "\n" not in x] + ["", "[", "]]]"]
    exact = line_depths(pa.array(lines, pa.string())).to_pylist()
    assert max(exact) >= 10  # the random lines reach past every cap below
    whole = pa.array(lines, pa.string())
    columns = {
        "plain": whole,
        "large": whole.cast(pa.large_string()),
        "binary": whole.cast(pa.binary()),
        "chunked": pa.chunked_array([whole.slice(0, 1234), whole.slice(1234)]),
        # as the reader's column: each line with its terminator
        "terminated": pa.array([x + ("\r\n" if i % 3 else "\n") for i, x in enumerate(lines)]),
    }
    for name, column in columns.items():
        for cap in range(0, 11):
            got = depth_bounds(column, cap).to_pylist()
            for line, bound, depth in zip(lines, got, exact, strict=True):
                if depth > cap:
                    assert bound == depth, (name, cap, line)
                else:
                    assert bound <= cap, (name, cap, line)


def test_depth_bounds_exact_beside_nulled_lines() -> None:
    """The reader's column with some lines nulled (invalid UTF-8: null_where keeps their
    bytes in place), whole or sliced: every other line is still decided exactly."""
    lines = [x for x in _lines(random.Random(12)) if "\n" not in x]
    exact = line_depths(pa.array(lines, pa.string())).to_pylist()
    mask = np.zeros(len(lines), np.bool_)
    mask[::5] = True
    nulled = null_where(pa.chunked_array([pa.array([x + "\n" for x in lines])]), mask)
    for start in (0, 7):
        got = depth_bounds(nulled.slice(start), 8).to_pylist()
        for i, (bound, depth) in enumerate(zip(got, exact[start:], strict=True)):
            if not mask[start + i]:
                assert bound == depth if depth > 8 else bound <= 8, lines[start + i]
