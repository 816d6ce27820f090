"""The reader splits lines across decompressed chunks: however small its read and inflate
steps, a file yields the same lines, line numbers, problems and status."""

from __future__ import annotations

import gzip
import zlib

import fsspec
import pytest

from ingestion import reader as reader_module
from ingestion.reader import FileReader, FileRef
from tests.ingestion.conftest import line, msg

LIMIT = 600  # max_line_bytes: the long lines below are rejected, the others kept


def _files(tmp_path):
    long = line(msg(9, properties={"pad": "x" * 700}))
    lines = [line(msg(0)), long, b"", line(msg(1)).replace(b"anon-1", b"anon-\xff"), b"  "]
    crlf = b"\xef\xbb\xbf" + b"\r\n".join([*lines, long, line(msg(2))]) + b"\r\n"
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    truncated = (c.compress(b"\n".join([*lines, line(msg(3))])) + c.flush())[:-30]
    contents = {
        "lf.gz": gzip.compress(b"\n".join([*lines, long, line(msg(2))])),  # no final newline
        "crlf_bom.gz": gzip.compress(crlf),
        "truncated.gz": truncated,
        "plain.gz": b"\n".join(lines) + b"\n",  # not gzip despite the name
    }
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    return list(contents)


def _read(tmp_path, name):
    fs = fsspec.filesystem("file")
    path = str(tmp_path / name)
    r = FileReader(fs, FileRef(path, name, 1, None, None), max_line_bytes=LIMIT, batch_lines=4)
    lines, problems, kept = [], {}, {}
    for batch in r.batches():
        assert batch.first_line == len(lines) + 1
        problems |= {batch.first_line + i: p for i, p in batch.problems.items()}
        kept |= {batch.first_line + i: k for i, k in batch.kept.items()}
        lines += batch.lines
    return lines, problems, kept, r.status, r.detail, r.lines


@pytest.mark.parametrize(("read_step", "inflate_step"), [(2, 1), (3, 2), (5, 7), (64, 61)])
def test_chunk_size_changes_nothing(tmp_path, monkeypatch, read_step, inflate_step):
    names = _files(tmp_path)
    expected = {name: _read(tmp_path, name) for name in names}
    lines, problems, _, status, _, count = expected["lf.gz"]
    assert count == len(lines) == 7 and status == "ok"
    assert sorted(problems) == [2, 6] and b"anon-\xff" in lines[3]
    crlf_lines = expected["crlf_bom.gz"][0]
    assert crlf_lines[0].startswith(b"{") and not any(x.endswith(b"\r") for x in crlf_lines)
    assert expected["truncated.gz"][3] == "truncated"

    monkeypatch.setattr(reader_module, "READ_STEP", read_step)
    monkeypatch.setattr(reader_module, "DECOMPRESS_STEP", inflate_step)
    for name in names:
        assert _read(tmp_path, name) == expected[name], name
