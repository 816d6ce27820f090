"""Scenario 10: security and privacy.

- No raw IP, email or phone number the simulator put in the input appears in any text
  column of any mart, nor in the serving snapshot (`<warehouse dir>/serving/spoor.duckdb`).
- Analytics-file names and values with SQL injection strings are data, never SQL.
- File names with `..`, spaces, quotes, unicode and SQL are loaded under their own name.
- A gzip bomb stops at the default 2 GiB limit with bounded memory (slow).
- The PII salt comes from the environment; with SPOOR_ENV=production a missing salt fails
  the build with a clear message.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import duckdb
import pytest
import yaml

from ingestion.load import run_load
from ingestion.reconcile import reconcile
from spoor.settings import DBT_PROJECT_DIR, REPO_ROOT
from tests.ingestion.conftest import Warehouse as RawWarehouse
from tests.ingestion.conftest import day_dir, line, msg, write_gz
from tests.reliability.pipeline import Warehouse
from tests.reliability.scenario import PLAN, SALT, Sim

EMAIL = re.compile(rb"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(rb"\+?\d[\d -]{7,}\d")


def input_pii(sim: Sim) -> set[str]:
    """Every IP (context.ip), email and phone number in the input files."""
    found: set[str] = set()
    for path in sim.files():
        data = path.read_bytes()
        with contextlib.suppress(zlib.error):
            data = zlib.decompressobj(31).decompress(data)
        for raw in data.splitlines():
            try:
                m = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(m, dict):
                continue
            ip = (m.get("context") or {}).get("ip")
            if isinstance(ip, str):
                found.add(ip)
            for key in ("email", "phone"):
                value = (m.get("traits") or {}).get(key)
                if isinstance(value, str):
                    found.add(value)
            found.update(x.decode() for x in EMAIL.findall(raw))
    return {p for p in found if len(p) >= 7}


def text_hits(db: Path, schemas: tuple[str, ...], pii: set[str]) -> dict[str, int]:
    """{schema.table.column: rows containing any PII value} over every text-like column."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{db}' AS w (READ_ONLY)")
        con.execute("CREATE TEMP TABLE pii (v VARCHAR)")
        con.executemany("INSERT INTO pii VALUES (?)", [[p] for p in sorted(pii)])
        cols = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = 'w' AND table_schema IN ? AND (data_type LIKE '%VARCHAR%' "
            "OR data_type LIKE 'JSON%' OR data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%')",
            [list(schemas)],
        ).fetchall()
        assert cols, f"no text columns in {schemas} of {db}"
        hits = {}
        for schema, table, column in cols:
            n = con.execute(
                f'SELECT count(*) FROM w."{schema}"."{table}" AS t WHERE EXISTS '
                f'(SELECT 1 FROM pii WHERE contains(CAST(t."{column}" AS VARCHAR), pii.v))'
            ).fetchone()[0]
            if n:
                hits[f"{schema}.{table}.{column}"] = n
        return hits
    finally:
        con.close()


def test_no_raw_pii_in_any_mart(small, reference):
    warehouse, _ = reference
    pii = input_pii(small)
    emails = {p for p in pii if "@" in p}
    assert len(emails) > 10 and len(pii) > 50, len(pii)  # the scan has something to find
    # the scan works: raw keeps what was sent (it is the system of record)
    assert text_hits(warehouse, ("raw",), pii)
    assert text_hits(warehouse, ("marts",), pii) == {}


def test_no_raw_pii_in_the_serving_snapshot(small, reference):
    """audit.rejected_events.raw_line (meta pii) is served as NULL; nothing else leaks."""
    warehouse, _ = reference
    pii = input_pii(small)
    serving = warehouse.parent / "serving" / "spoor.duckdb"
    assert serving.exists(), "a successful run publishes the serving snapshot"
    con = duckdb.connect(str(serving), read_only=True)
    schemas = tuple(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables"
        ).fetchall()
    )
    served_lines = con.execute(
        "select count(*), count(raw_line) from audit.rejected_events"
    ).fetchall()[0]
    con.close()
    assert served_lines[0] > 0 and served_lines[1] == 0
    assert text_hits(serving, schemas, pii) == {}


INJECTION = "x'); DROP TABLE marts.fct_events; --"


def hostile_analytics(path: Path) -> Path:
    """The repository's analytics file plus definitions whose names and values are SQL
    injection attempts."""
    defs = yaml.safe_load((DBT_PROJECT_DIR / "analytics.yml").read_text())
    defs["funnels"].append(
        {
            "name": INJECTION,
            "steps": [
                {"event": "Product Viewed' OR '1'='1"},
                {
                    "event": "Product Added",
                    "where": {"currency": "USD'; DELETE FROM raw.events; --"},
                },
            ],
            "order": "ordered",
            "window": {"value": 1, "unit": "day"},
            "breakdown": "properties.\"plan'; --",
        }
    )
    defs["retention"].append(
        {
            "name": 'r"; DROP SCHEMA raw CASCADE; --',
            "start_event": "page",
            "return_event": "Order Completed'--",
            "period": "day",
            "type": "recurring",
            "intervals": 2,
        }
    )
    path.write_text(yaml.safe_dump(defs))
    return path


def test_analytics_injection_strings_stay_data(small, tmp_path, monkeypatch):
    from ingestion.analytics_definitions import load_analytics, write_definitions

    wh = Warehouse(tmp_path / "wh.duckdb", tmp_path)
    write_definitions(load_analytics(hostile_analytics(tmp_path / "analytics.yml")), wh.path)
    wh.load(small.events)
    wh.build()
    truth = small.truth
    assert wh.q("SELECT count(*) FROM raw.events")[0][0] == truth["valid_lines"]
    assert wh.q("SELECT count(*) FROM marts.fct_events")[0][0] == truth["distinct_messages"]
    names = {r[0] for r in wh.q("SELECT DISTINCT funnel_name FROM config.funnels")}
    assert INJECTION in names
    # the injected step names match no event: the funnel exists and counts nobody
    persons = wh.q(
        "SELECT coalesce(sum(persons), 0) FROM marts.fct_funnel_steps WHERE funnel_name = ?",
        [INJECTION],
    )[0][0]
    assert persons == 0
    # and no compiled SQL carries the strings: they reached DuckDB as data only
    compiled = "\n".join(p.read_text() for p in (tmp_path / "target").rglob("*.sql"))
    assert compiled and "DROP TABLE" not in compiled and "DELETE FROM raw" not in compiled


HOSTILE_NAMES = [
    "..dots..gz",
    "a..b.gz",
    "with space.gz",
    "quote'single.gz",
    'quote"double.gz',
    "ünïcødé-ファイル-🙂.gz",
    "x'); DROP TABLE raw.events; --.gz",
    "back\\slash.gz",
]


def test_hostile_file_names_load_under_their_own_names(tmp_path):
    root = tmp_path / "events"
    folder = day_dir(root)
    nested = folder / ".. sub dir"
    nested.mkdir()
    for i, name in enumerate(HOSTILE_NAMES):
        write_gz(folder / name, [line(msg(10 * i + k)) for k in range(3)] + [b"{bad"])
    write_gz(nested / "deep.gz", [line(msg(999))])
    wh = RawWarehouse(tmp_path / "wh" / "spoor.duckdb")
    s = run_load(str(root), wh.path, PLAN)
    assert reconcile(wh.path).passed
    n = len(HOSTILE_NAMES)
    assert (s.files, s.rows_valid, s.rows_rejected) == (n + 1, 3 * n + 1, n)
    files = {r[0] for r in wh.q("SELECT file FROM raw.file_manifest")}
    prefix = "segment-logs/src1/1704067200000/"
    assert files == {prefix + x for x in HOSTILE_NAMES} | {prefix + ".. sub dir/deep.gz"}
    assert wh.count("events") == 3 * n + 1
    assert run_load(str(root), wh.path, PLAN).files == 0  # and each only once


@pytest.mark.slow
def test_gzip_bomb_stops_at_the_default_limit_in_bounded_memory(tmp_path):
    """A 3 GiB bomb (~3 MB of gzip) with the default limit (2 GiB): the reader stops at
    exactly the limit, status `expansion_limit`, peak RSS far below the expansion."""
    bomb = tmp_path / "bomb.gz"
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    with bomb.open("wb") as f:
        f.write(c.compress(line(msg(1)) + b"\n"))
        chunk = b"\n" * (1 << 24)  # blank lines: the worst case for the line splitter
        for _ in range(3 << 6):  # 3 GiB
            f.write(c.compress(chunk))
        f.write(c.flush())
    code = (
        "import fsspec, resource, sys; from ingestion.reader import FileReader, FileRef; "
        "p = sys.argv[1]; fs = fsspec.filesystem('file'); "
        "r = FileReader(fs, FileRef(p, 'bomb.gz', 0, None, None)); "
        "n = sum(len(b.lines) for b in r.batches()); "
        "print(r.status, r.decompressed_bytes, n, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(bomb)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout.split()
    status, decompressed, _lines, rss_mb = out[0], int(out[1]), int(out[2]), int(out[3])
    print(f"gzip bomb: {bomb.stat().st_size} bytes -> stopped at {decompressed}, {rss_mb} MB RSS")
    assert (status, decompressed) == ("expansion_limit", 2 << 30)
    assert rss_mb < 1500


def _dbt_compile(tmp_path: Path, env: dict[str, str]):
    """`dbt compile` of the model that hashes PII, in a subprocess with exactly `env`."""
    wh = tmp_path / "salt.duckdb"
    tmp_path.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(wh)).close()
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--select",
         "int_person_traits_merged", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if k != "SPOOR_PII_SALT"}
        | {"SPOOR_WAREHOUSE": str(wh)} | env,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


def test_missing_salt_fails_in_production_and_the_salt_never_reaches_dbt_files(tmp_path):
    missing = _dbt_compile(tmp_path / "a", {"SPOOR_ENV": "production"})
    assert missing.returncode != 0
    assert "SPOOR_PII_SALT is not set" in missing.stdout + missing.stderr
    ok = _dbt_compile(tmp_path / "b", {"SPOOR_ENV": "production", "SPOOR_PII_SALT": SALT})
    assert ok.returncode == 0, ok.stdout[-3000:]
    sql = next((tmp_path / "b" / "target").rglob("int_person_traits_merged.sql")).read_text()
    assert "getvariable('spoor_pii_salt')" in sql
    # The salt is bound as a session variable: no file dbt writes (SQL, manifest, logs) has it.
    written = [*(tmp_path / "b" / "target").rglob("*"), *(tmp_path / "b" / "logs").rglob("*")]
    assert [p for p in written if p.is_file() and SALT in p.read_text(errors="replace")] == []
    dev = _dbt_compile(tmp_path / "c", {})  # development: the documented dev default
    assert dev.returncode == 0, dev.stdout[-3000:]


def test_hashes_use_the_environment_salt(small, reference):
    """An email trait leaves the marts only as sha256(salt || lower(trim(email)))."""
    warehouse, _ = reference
    email = next(p for p in sorted(input_pii(small)) if "@" in p)
    digest = hashlib.sha256((SALT + email.strip().lower()).encode()).hexdigest()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        found = con.execute(
            "SELECT count(*) FROM marts.dim_persons AS p WHERE contains(CAST(p AS VARCHAR), ?)",
            [digest],
        ).fetchone()[0]
    finally:
        con.close()
    assert found >= 1
