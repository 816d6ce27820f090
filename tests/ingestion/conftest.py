"""Shared helpers: build event files in tmp_path and query the loaded warehouse."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from spoor.settings import REPO_ROOT

PLAN = REPO_ROOT / "ingestion" / "tracking_plan"
DAY_MS = 1704067200000  # 2024-01-01 00:00 UTC


def msg(i: int = 0, **over) -> dict:
    """A valid `Product Added` track message; keyword overrides (None deletes a field)."""
    m = {
        "messageId": f"m-{i}",
        "type": "track",
        "event": "Product Added",
        "anonymousId": f"anon-{i % 7}",
        "timestamp": "2024-01-01T10:00:00.000Z",
        "receivedAt": "2024-01-01T10:00:01.000Z",
        "properties": {
            "product_id": "SKU-00001",
            "cart_id": "c1",
            "price": 9.5,
            "quantity": 1,
            "currency": "USD",
        },
        "context": {"page": {"url": "https://x.test/p"}},
    }
    for k, v in over.items():
        if v is None:
            m.pop(k, None)
        else:
            m[k] = v
    return m


def line(m: dict) -> bytes:
    return json.dumps(m).encode()


def day_dir(root: Path, source: str = "src1", day_ms: int = DAY_MS) -> Path:
    d = root / "segment-logs" / source / str(day_ms)
    d.mkdir(parents=True, exist_ok=True)
    return d


def write_gz(path: Path, lines: list[bytes], *, trailing_newline: bool = True) -> Path:
    data = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    path.write_bytes(gzip.compress(data))
    return path


class Warehouse:
    def __init__(self, path: Path) -> None:
        self.path = path

    def q(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def manifest(self, file_suffix: str) -> dict:
        rows = self.q(
            "SELECT file, lines, valid, rejected, status, detail, source_id, received_day "
            "FROM raw.file_manifest WHERE file LIKE '%' || ?",
            [file_suffix],
        )
        assert len(rows) == 1, rows
        keys = ["file", "lines", "valid", "rejected", "status", "detail", "source_id", "day"]
        return dict(zip(keys, rows[0], strict=True))

    def rejected(self, file_suffix: str = "") -> list[tuple]:
        """(line_number, reasons list) for rejects of files ending in file_suffix."""
        return [
            (n, json.loads(r))
            for n, r in self.q(
                "SELECT line_number, reasons FROM raw.rejected_events "
                "WHERE file LIKE '%' || ? ORDER BY file, line_number",
                [file_suffix],
            )
        ]

    def count(self, table: str) -> int:
        return self.q(f"SELECT count(*) FROM raw.{table}")[0][0]


@pytest.fixture
def events_root(tmp_path: Path) -> Path:
    root = tmp_path / "events"
    root.mkdir()
    return root


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "wh" / "spoor.duckdb")
