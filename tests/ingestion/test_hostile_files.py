"""Hostile files: every line is accounted for (lines = valid + rejected), exact counts."""

from __future__ import annotations

import gzip
import zlib
from datetime import date

from ingestion.load import run_load
from ingestion.reconcile import reconcile
from tests.ingestion.conftest import PLAN, day_dir, line, msg, write_gz


def load(root, wh, **kw):
    s = run_load(str(root), wh.path, PLAN, **kw)
    assert reconcile(wh.path).passed
    return s


def test_plain_gzip_and_jsonl(events_root, wh):
    d = day_dir(events_root)
    write_gz(d / "a.gz", [line(msg(i)) for i in range(10)])
    (d / "b.jsonl").write_bytes(b"\n".join(line(msg(i)) for i in range(5)))  # no final \n
    s = load(events_root, wh)
    assert (s.files, s.rows_valid, s.rows_rejected) == (2, 15, 0)
    m = wh.manifest("a.gz")
    assert (m["lines"], m["valid"], m["status"], m["source_id"], m["day"]) == (
        10,
        10,
        "ok",
        "src1",
        date(2024, 1, 1),
    )
    assert wh.manifest("b.jsonl")["lines"] == 5


def test_truncated_gzip_keeps_complete_lines(events_root, wh):
    lines = [line(msg(i)) for i in range(40)]
    data = b"\n".join(lines) + b"\n"
    gz = gzip.compress(data, compresslevel=0)  # stored blocks: byte offsets map 1:1
    keep = sum(len(x) + 1 for x in lines[:30]) + 20  # 30 whole lines + 20 bytes of line 31
    (day_dir(events_root) / "cut.gz").write_bytes(gz[: 10 + 5 + keep])
    load(events_root, wh)
    m = wh.manifest("cut.gz")
    assert (m["lines"], m["valid"], m["rejected"], m["status"]) == (31, 30, 1, "truncated")
    assert wh.rejected("cut.gz") == [(31, ["truncated_line"])]


def test_corrupt_gzip_and_empty_files(events_root, wh):
    d = day_dir(events_root)
    good = gzip.compress(b"\n".join(line(msg(i)) for i in range(3)) + b"\n")
    (d / "corrupt.gz").write_bytes(good[:12] + b"\x00garbage" * 50)
    (d / "zero.gz").write_bytes(b"")
    (d / "empty-member.gz").write_bytes(gzip.compress(b""))
    load(events_root, wh)
    m = wh.manifest("corrupt.gz")
    assert m["status"] == "truncated" and m["lines"] == m["valid"] + m["rejected"] == 0
    for name in ("zero.gz", "empty-member.gz"):
        m = wh.manifest(name)
        assert (m["lines"], m["valid"], m["rejected"], m["status"]) == (0, 0, 0, "empty")


def test_not_gzip_and_concatenated_members(events_root, wh):
    d = day_dir(events_root)
    (d / "plain.gz").write_bytes(b"\n".join(line(msg(i)) for i in range(4)) + b"\n")
    two = gzip.compress(line(msg(1)) + b"\n") + gzip.compress(line(msg(2)) + b"\n")
    (d / "two-members.gz").write_bytes(two)
    (d / "gz-named-jsonl.jsonl").write_bytes(gzip.compress(line(msg(3)) + b"\n"))
    load(events_root, wh)
    m = wh.manifest("plain.gz")
    assert (m["lines"], m["valid"], m["status"]) == (4, 4, "not_gzip")
    assert wh.manifest("two-members.gz")["valid"] == 2
    m = wh.manifest("gz-named-jsonl.jsonl")
    assert (m["valid"], m["status"]) == (1, "ok")


def test_long_lines(events_root, wh):
    long = line(msg(99, properties={"pad": "x" * 5000}))
    lines = [line(msg(0)), long, line(msg(1)), long]
    write_gz(day_dir(events_root) / "long.gz", lines, trailing_newline=False)
    load(events_root, wh, max_line_bytes=1000)
    m = wh.manifest("long.gz")
    assert (m["lines"], m["valid"], m["rejected"]) == (4, 2, 2)
    assert wh.rejected("long.gz") == [(2, ["line_too_long"]), (4, ["line_too_long"])]
    kept = wh.q("SELECT max(length(raw_line)) FROM raw.rejected_events")[0][0]
    assert kept == 1000 or kept <= 4096


def test_decompression_bomb_is_cut(events_root, wh):
    head = b"\n".join(line(msg(i)) for i in range(5)) + b"\n"
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    body = c.compress(head) + b"".join(c.compress(b"\0" * (1 << 20)) for _ in range(64))
    (day_dir(events_root) / "bomb.gz").write_bytes(body + c.flush())  # 64 MiB of NULs
    load(events_root, wh, max_decompressed_bytes=4 << 20)
    m = wh.manifest("bomb.gz")
    assert (m["lines"], m["valid"], m["rejected"], m["status"]) == (6, 5, 1, "expansion_limit")
    assert wh.rejected("bomb.gz") == [(6, ["line_too_long"])]


def test_bom_crlf_and_blank_lines(events_root, wh):
    data = b"\xef\xbb\xbf" + b"\r\n".join(line(msg(i)) for i in range(3)) + b"\r\n\r\n"
    data += line(msg(3)) + b"\r\n"
    (day_dir(events_root) / "bom.gz").write_bytes(gzip.compress(data))
    load(events_root, wh)
    m = wh.manifest("bom.gz")
    assert (m["lines"], m["valid"], m["rejected"]) == (4, 4, 0)
    assert "1 blank line" in m["detail"]
    assert wh.q("SELECT list(line_number ORDER BY line_number) FROM raw.events")[0][0] == [
        1,
        2,
        3,
        5,
    ]


def test_invalid_utf8_keeps_raw_bytes(events_root, wh):
    bad = line(msg(1)).replace(b"anon-1", b"anon-\xff\xfe")
    write_gz(day_dir(events_root) / "utf.gz", [line(msg(0)), bad, line(msg(2))])
    load(events_root, wh)
    m = wh.manifest("utf.gz")
    assert (m["lines"], m["valid"], m["rejected"]) == (3, 2, 1)
    raw_line, raw_bytes, reasons = wh.q(
        "SELECT raw_line, raw_bytes, reasons FROM raw.rejected_events"
    )[0]
    assert raw_bytes == bad and "anon-\\xff\\xfe" in raw_line and reasons == '["invalid_utf8"]'


def test_deep_nesting(events_root, wh):
    def nested(depth: int) -> dict:  # message itself is depth 1
        v: object = 1
        for k in range(depth - 2):  # message (1) > context (2) > containers
            v = {"k": v} if k % 2 else [v]
        return msg(depth, context={"deep": v, "s": "{{{{[[[[[[[[[[[["})

    lines = [line(nested(8)), line(nested(9)), line(nested(50))]
    write_gz(day_dir(events_root) / "deep.gz", lines)
    load(events_root, wh)
    assert wh.rejected("deep.gz") == [(2, ["too_deep"]), (3, ["too_deep"])]
    assert wh.manifest("deep.gz")["valid"] == 1


def test_odd_path_names_and_files_outside_layout(events_root, wh):
    names = ["with space.gz", "quote'\"s.gz", "ünïcødé-日本.gz", "a..b.gz", "..hidden.gz"]
    d = day_dir(events_root, source="src 'odd'")
    for i, n in enumerate(names):
        write_gz(d / n, [line(msg(i))])
    other = events_root / "elsewhere"
    other.mkdir()
    write_gz(other / "stray.gz", [line(msg(9))])
    s = load(events_root, wh)
    assert (s.files, s.rows_valid) == (6, 6)
    files = {r[0] for r in wh.q("SELECT file FROM raw.file_manifest")}
    assert files == {f"segment-logs/src 'odd'/{1704067200000}/{n}" for n in names} | {
        "elsewhere/stray.gz"
    }
    m = wh.manifest("stray.gz")
    assert (m["source_id"], m["day"], m["valid"]) == (None, None, 1)
    assert wh.manifest("..hidden.gz")["source_id"] == "src 'odd'"


def test_file_url_and_batches(events_root, wh):
    write_gz(day_dir(events_root) / "many.gz", [line(msg(i)) for i in range(2500)])
    s = load(f"file://{events_root}", wh, batch_lines=1000)
    assert (s.files, s.rows_valid) == (1, 2500)
    assert wh.q("SELECT count(DISTINCT line_number), max(line_number) FROM raw.events")[0] == (
        2500,
        2500,
    )
