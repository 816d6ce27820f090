"""Scenario 7: property-based fuzzing of the file reader (ingestion/reader.py) and the bulk
validator (ingestion/validate.py) with hypothesis.

Invariant everywhere: every physical line the reader produces is valid, rejected (with at
least one documented reason code) or blank; nothing raises. Timestamps: every ISO-8601
variant the contract allows is accepted at the exact instant; anything else is
`invalid_timestamp`. CI runs a few hundred cases per property; `-m slow` runs 10x more.
The counts tried are printed (`-s`) for RELIABILITY.md.

Cost: one validation call runs the plan's whole DuckDB statement (about 0.5 s on a busy
2-core runner, whatever the number of lines), so each hypothesis example is a whole
batch: many files or many lines, read separately and validated in ONE call (as the source
pools small files into one statement), then checked file by file and line by line. The
Validator is built once per process (`validator()`, a lazily built module-level
instance: hypothesis does not mix with function-scoped fixtures).
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import fsspec
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.plan import load_tracking_plan
from ingestion.reader import FileReader, FileRef
from ingestion.validate import Validator, batch_to_table
from tests.reliability.scenario import PLAN

# docs/design.md "Rejection reason codes"
REASONS = {
    "invalid_utf8", "line_too_long", "invalid_json", "not_an_object", "too_deep",
    "missing_message_id", "missing_type", "unknown_type", "missing_identity",
    "invalid_identity", "missing_event", "missing_previous_id", "missing_group_id",
    "missing_received_at", "invalid_timestamp", "invalid_envelope", "unknown_event",
    "property_missing", "property_type", "property_enum", "property_too_long",
    "property_too_short", "property_pattern", "property_range", "property_unexpected",
    "truncated_line",
}  # fmt: skip
CASES: Counter[str] = Counter()  # examples tried per property, printed at the end


@functools.cache
def validator() -> Validator:
    return Validator(load_tracking_plan(PLAN), threads=1)


def fuzz(ci: int):
    """hypothesis settings: `ci` examples (each one validation call, a batch of cases),
    SPOOR_FUZZ_SCALE times more under `-m slow` (10, see conftest)."""
    return settings(
        max_examples=ci * int(os.environ.get("SPOOR_FUZZ_SCALE", "1")),
        deadline=None,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


def base(**over) -> dict:
    m = {
        "messageId": "m-1",
        "type": "page",
        "anonymousId": "a-1",
        "name": "Home",
        "timestamp": "2025-01-06T10:00:00.000Z",
        "receivedAt": "2025-01-06T10:00:01.000Z",
        "properties": {"path": "/"},
        "context": {"ip": "10.0.0.1"},
    }
    m.update(over)
    return m


def validate_lines(lines: list[bytes], tmp_path, name="f.gz", compress=True, **reader_kw):
    """Write `lines` as one file, read it with FileReader, validate every batch.
    Returns (physical lines read, valid rows, rejected rows, blank, reader)."""
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return read_and_validate(path, **reader_kw)


def read_and_validate(path, **reader_kw):
    return read_and_validate_many([path], **reader_kw)[0]


def read_and_validate_many(paths, **reader_kw):
    """Read every file with its own FileReader, validate all their lines in one call.
    Returns, per file in order, (physical lines read, valid rows, rejected rows, blank,
    reader)."""
    fs = fsspec.filesystem("file")
    tables, readers = [], []
    for path in paths:
        ref = FileRef(str(path), str(path), path.stat().st_size, "src", None)
        reader = FileReader(fs, ref, **reader_kw)
        lines = 0
        for batch in reader.batches():
            lines += len(batch.lines)
            tables.append(batch_to_table(batch, file=ref.file, source_id="src", received_day=None))
        assert reader.lines == lines
        readers.append((ref.file, lines, reader))
    out = validator().validate_table(pa.concat_tables(tables)) if tables else None
    valid = out.valid.to_pylist() if out else []
    rejected = out.rejected.to_pylist() if out else []
    results = []
    for file, lines, reader in readers:
        results.append(
            (
                lines,
                [r for r in valid if r["file"] == file],
                [r for r in rejected if r["file"] == file],
                out.blank_by_file.get(file, 0) if out else 0,
                reader,
            )
        )
    return results


def validate_many_files(files: list[list[bytes]], tmp_path, **reader_kw):
    """One gzip file per list of lines, all validated in one call."""
    paths = []
    for i, lines in enumerate(files):
        path = tmp_path / f"f{i}.gz"
        path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", mtime=0))
        paths.append(path)
    return read_and_validate_many(paths, **reader_kw)


def by_line(valid, rejected) -> dict[int, tuple[str, dict]]:
    """{line number: ("valid" | "rejected", row)}"""
    rows = {r["line_number"]: ("valid", r) for r in valid}
    rows.update({r["line_number"]: ("rejected", r) for r in rejected})
    return rows


def accounted(lines, valid, rejected, blank) -> None:
    assert lines == len(valid) + len(rejected) + blank
    numbers = sorted([r["line_number"] for r in valid] + [r["line_number"] for r in rejected])
    assert len(set(numbers)) == len(numbers)  # a line is valid or rejected, never both
    for r in rejected:
        assert r["reasons"] and set(r["reasons"]) <= REASONS, r
    for v in valid:
        assert v["message_id"] and v["received_at"] is not None, v


# -- strategies ---------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=12,
)


def nested(depth: int, kind: str) -> str:
    inner = '"x"'
    for _ in range(depth):
        inner = f'{{"k":{inner}}}' if kind == "object" else f"[{inner}]"
    return inner


@st.composite
def hostile_line(draw) -> bytes:
    kind = draw(
        st.sampled_from(
            ["bytes", "json", "deep", "number", "nan", "dupkeys", "case", "nul", "valid", "blank"]
        )
    )
    if kind == "bytes":
        return draw(st.binary(max_size=200)).replace(b"\n", b" ")
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "deep":
        depth = draw(st.integers(0, 300))
        props = nested(depth, draw(st.sampled_from(["object", "array"])))
        return json.dumps(base()).replace('{"path": "/"}', f'{{"p": {props}}}').encode()
    if kind == "number":
        big = draw(
            st.sampled_from(["1e400", "-1e400", "1" * 400, "1e-400", "0." + "0" * 500 + "1"])
        )
        return json.dumps(base(), separators=(",", ":")).replace('"/"', big, 1).encode()
    if kind == "nan":
        lit = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "nan", "inf"]))
        return json.dumps(base()).replace('"/"', lit, 1).encode()
    if kind == "dupkeys":
        field = draw(st.sampled_from(["messageId", "type", "receivedAt", "anonymousId"]))
        other = json.dumps(draw(json_scalars))
        text = json.dumps(base())
        return (text[:-1] + f', "{field}": {other}}}').encode()
    if kind == "case":
        field = draw(st.sampled_from(["MessageId", "TYPE", "ReceivedAt", "anonymousid", "Type"]))
        return (json.dumps(base())[:-1] + f', "{field}": "x"}}').encode()
    if kind == "nul":
        where = draw(st.sampled_from(["messageId", "name", "anonymousId"]))
        raw = draw(st.booleans())
        text = json.dumps(base(**{where: "a\u0000b"}))
        return text.replace("\\u0000", "\x00").encode() if raw else text.encode()
    if kind == "blank":
        return draw(st.sampled_from([b"", b"   ", b"\t", b"\r"]))
    m = base(messageId=draw(st.text(min_size=1, max_size=10)))
    return json.dumps(m).encode()


# -- properties -----------------------------------------------------------------------------


@given(files=st.lists(st.lists(hostile_line(), min_size=1, max_size=30), min_size=5, max_size=10))
@fuzz(20)
def test_hostile_lines_are_all_accounted_for(tmp_path_factory, files):
    CASES["hostile lines (files)"] += len(files)
    CASES["hostile lines (lines)"] += sum(map(len, files))
    results = validate_many_files(files, tmp_path_factory.mktemp("fz"))
    for lines, (n, valid, rejected, blank, _) in zip(files, results, strict=True):
        assert n == len(lines)
        accounted(n, valid, rejected, blank)


MODES = ["plain", "gzip", "cut", "garbage"]


@given(
    files=st.lists(
        st.tuples(st.binary(max_size=3000), st.sampled_from(MODES)), min_size=5, max_size=12
    )
)
@fuzz(20)
def test_random_files_never_raise(tmp_path_factory, files):
    CASES["random files"] += len(files)
    tmp = tmp_path_factory.mktemp("fz")
    paths = []
    for i, (data, mode) in enumerate(files):
        if mode == "plain":
            body = data
        elif mode == "gzip":
            body = gzip.compress(data, mtime=0)
        elif mode == "cut":
            gz = gzip.compress(data, mtime=0)
            body = gz[: max(2, len(gz) * 2 // 3)]
        else:
            body = gzip.compress(data, mtime=0) + data[:50]
        paths.append(tmp / f"r{i}.gz")
        paths[-1].write_bytes(body)
    for n, valid, rejected, blank, reader in read_and_validate_many(paths, max_line_bytes=512):
        accounted(n, valid, rejected, blank)
        assert reader.status in {"ok", "empty", "not_gzip", "truncated", "expansion_limit"}


@given(
    cases=st.lists(
        st.tuples(st.integers(1, 2000), st.sampled_from(["object", "array"])),
        min_size=5,
        max_size=30,
    )
)
@fuzz(10)
def test_deep_nesting_is_too_deep_not_a_crash(tmp_path_factory, cases):
    CASES["deep nesting"] += len(cases)
    lines = [
        json.dumps(base()).replace('{"path": "/"}', f'{{"p": {nested(depth, kind)}}}').encode()
        for depth, kind in cases
    ]
    [(n, valid, rejected, blank, _)] = validate_many_files([lines], tmp_path_factory.mktemp("fz"))
    accounted(n, valid, rejected, blank)
    rows = by_line(valid, rejected)
    for number, (depth, _) in enumerate(cases, start=1):
        # the message is depth 1, properties 2, "p" 3: the plan allows 8
        outcome, row = rows[number]
        if depth + 2 > 8:
            assert (outcome, row["reasons"]) == ("rejected", ["too_deep"]), depth
        else:
            assert outcome == "valid", (depth, row)


# ISO-8601 as the contract takes it: date, [T or space] time, optional seconds and
# fraction, optional zone. Each drawn form is rendered and its exact instant computed.
@st.composite
def iso_timestamp(draw) -> tuple[str, datetime]:
    d = draw(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)))
    d = d.replace(microsecond=0)
    text = d.strftime("%Y-%m-%d")
    has_time = draw(st.booleans())
    if not has_time:
        d = d.replace(hour=0, minute=0, second=0)
    else:
        text += draw(st.sampled_from(["T", " "])) + d.strftime("%H:%M")
        if draw(st.booleans()):
            text += d.strftime(":%S")
            digits = draw(st.integers(0, 6))
            if digits:
                frac = draw(st.integers(0, 10**digits - 1))
                text += "." + str(frac).zfill(digits)  # "," and "z": see test_decimal_comma_...
                d = d.replace(microsecond=frac * 10 ** (6 - digits))
        else:
            d = d.replace(second=0)
    offset = timedelta(0)
    zones = ["", "Z", "+hh:mm", "-hh:mm", "+hhmm", "+hh"] if has_time else [""]
    zone = draw(st.sampled_from(zones))
    if zone == "Z":
        text += zone
    elif zone:
        hours, minutes = draw(st.integers(0, 14)), draw(st.sampled_from([0, 30, 45]))
        if zone == "+hh":
            minutes = 0
        sign = -1 if zone.startswith("-") else 1
        offset = sign * timedelta(hours=hours, minutes=minutes)
        text += ("-" if sign < 0 else "+") + f"{hours:02d}"
        text += "" if zone == "+hh" else (":" if ":" in zone else "") + f"{minutes:02d}"
    return text, (d - offset).replace(tzinfo=UTC)


INVALID_TIMESTAMPS = [
    "", "now", "yesterday", "1736157600", "1736157600000", "06/01/2025", "2025-1-6",
    "2025-01-6T10:00:00Z", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z",
    "2025-01-06T24:01:00Z", "2025-01-06T10:60:00Z", "2025-01-06T10:00:00ZZ",
    "2025-01-06T10:00:00Z junk", "T10:00:00Z", "2025-01-06T", "2025-W02-1",
    "20250106T100000Z", "2025-01-06T10:00:00+2", "Mon, 06 Jan 2025 10:00:00 GMT",
]  # fmt: skip


FIELDS = ["timestamp", "receivedAt", "sentAt"]
COLUMN = {"timestamp": "timestamp", "receivedAt": "received_at", "sentAt": "sent_at"}


def timestamp_lines(cases: list[tuple[str, str]]) -> list[bytes]:
    lines = []
    for i, (text, field) in enumerate(cases):
        m = base(messageId=f"m-{i}", **{field: text})
        if field == "sentAt":
            m["originalTimestamp"] = m["timestamp"]
        lines.append(json.dumps(m).encode())
    return lines


@given(
    cases=st.lists(st.tuples(iso_timestamp(), st.sampled_from(FIELDS)), min_size=10, max_size=50)
)
@fuzz(20)
def test_iso_8601_variants_are_accepted_at_their_instant(tmp_path_factory, cases):
    CASES["ISO-8601 variants"] += len(cases)
    lines = timestamp_lines([(text, field) for (text, _), field in cases])
    [(n, valid, rejected, blank, _)] = validate_many_files([lines], tmp_path_factory.mktemp("fz"))
    accounted(n, valid, rejected, blank)
    rows = by_line(valid, rejected)
    for number, ((text, instant), field) in enumerate(cases, start=1):
        outcome, row = rows[number]
        assert outcome == "valid", (text, row)
        assert row[COLUMN[field]] == instant, text


# random text that cannot start a date (no 4 leading digits) is never a timestamp
not_a_date = st.text(max_size=25).filter(lambda t: not t[:4].isdigit())


@given(
    cases=st.lists(
        st.tuples(
            st.sampled_from(INVALID_TIMESTAMPS) | not_a_date,
            st.sampled_from(["timestamp", "receivedAt"]),
        ),
        min_size=10,
        max_size=50,
    )
)
@fuzz(20)
def test_invalid_timestamps_are_rejected(tmp_path_factory, cases):
    CASES["invalid timestamps"] += len(cases)
    lines = timestamp_lines(cases)
    [(n, valid, rejected, blank, _)] = validate_many_files([lines], tmp_path_factory.mktemp("fz"))
    accounted(n, valid, rejected, blank)
    rows = by_line(valid, rejected)
    for number, (text, _) in enumerate(cases, start=1):
        outcome, row = rows[number]
        assert outcome == "rejected" and "invalid_timestamp" in row["reasons"], (text, row)


@pytest.mark.parametrize("text", ["2025-01-06T10:00:00,5Z", "2025-01-06T10:00:00z"])
def test_decimal_comma_and_lower_case_z_are_accepted(tmp_path, text):
    n, valid, rejected, blank, _ = validate_lines(
        [json.dumps(base(timestamp=text)).encode()], tmp_path
    )
    accounted(n, valid, rejected, blank)
    assert len(valid) == 1, rejected
    expected = datetime(2025, 1, 6, 10, 0, 0, 500000 if "," in text else 0, tzinfo=UTC)
    assert valid[0]["timestamp"] == expected


def test_gzip_bomb_stops_at_the_limit(tmp_path):
    """A 64 MiB bomb (compressed ~64 KB) with a 4 MiB limit: the file is cut, status
    `expansion_limit`, and every line before the cut is counted."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = b"\n".join(json.dumps(base(messageId=f"m{i}")).encode() for i in range(3)) + b"\n"
    body = c.compress(head) + b"".join(c.compress(b"{" * (1 << 20)) for _ in range(64))
    (tmp_path / "bomb.gz").write_bytes(body + c.flush())
    n, valid, rejected, blank, reader = read_and_validate(
        tmp_path / "bomb.gz", max_decompressed_bytes=4 << 20
    )
    accounted(n, valid, rejected, blank)
    assert reader.status == "expansion_limit" and reader.decompressed_bytes == 4 << 20
    assert (len(valid), [r["reasons"] for r in rejected]) == (3, [["line_too_long"]])


def test_zz_report_cases():
    """Prints how many cases each property tried in this session (for RELIABILITY.md)."""
    print(
        "fuzz cases:", dict(CASES), "total", sum(v for k, v in CASES.items() if "(lines)" not in k)
    )
