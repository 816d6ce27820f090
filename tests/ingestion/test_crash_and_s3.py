"""SIGKILL mid-load then re-run == uninterrupted run; loading from S3 (moto server)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingestion.load import default_pipelines_dir, run_load
from ingestion.reconcile import reconcile
from spoor.settings import REPO_ROOT
from tests.ingestion.conftest import DAY_MS, PLAN, Warehouse, day_dir, line, msg, write_gz

CONTENT = {
    "events": "SELECT * EXCLUDE (_dlt_load_id) FROM raw.events ORDER BY file, line_number",
    "rejected": (
        "SELECT * EXCLUDE (_dlt_load_id) FROM raw.rejected_events ORDER BY file, line_number"
    ),
    "manifest": "SELECT * EXCLUDE (_dlt_load_id, loaded_at) FROM raw.file_manifest ORDER BY file",
}


def _dataset(root: Path, files: int = 8, lines: int = 2000) -> None:
    for f in range(files):
        d = day_dir(root, day_ms=DAY_MS + (f % 4) * 86_400_000)
        body = [line(msg(f * lines + i)) for i in range(lines)]
        body[7] = b"{bad json"
        write_gz(d / f"part-{f:03d}.gz", body)


# The load stage is too quick to catch from outside (a package sits in load/normalized for
# a few ms while DuckDB copies it): the child kills itself inside dlt's load, once its first
# table job is complete and before the package is committed.
_DIE_IN_LOAD = """
import os, signal
from dlt.load.load import Load
_complete_jobs = Load.complete_jobs
def complete_jobs(self, *args, **kwargs):
    result = _complete_jobs(self, *args, **kwargs)
    if result[1]:  # (remaining, finalized, exception): a table job finalized
        os.kill(os.getpid(), signal.SIGKILL)
    return result
Load.complete_jobs = complete_jobs
"""


def _spawn(root: Path, wh: Path, *, die_in_load: bool = False) -> subprocess.Popen:
    code = (
        "import sys; from ingestion.load import run_load; "
        "run_load(sys.argv[1], sys.argv[2], sys.argv[3], batch_lines=500)"
    )
    if die_in_load:
        code = _DIE_IN_LOAD + code
    return subprocess.Popen(
        [sys.executable, "-c", code, str(root), str(wh), str(PLAN)], cwd=REPO_ROOT
    )


def _wait_for(pred, proc: subprocess.Popen, timeout: float = 60) -> bool:
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if pred():
            return True
        time.sleep(0.005)
    return False


# A kill in the load once caught DuckDB holding a job's rows that dlt had not marked
# complete: resuming the package copied them twice. run_load now drops a pending package and
# deletes the rows of loads that never completed (ingestion/load.py).
@pytest.mark.parametrize("stage", ["extract", "load"])
def test_sigkill_then_rerun_equals_uninterrupted(tmp_path, stage):
    root = tmp_path / "events"
    _dataset(root)
    ref = Warehouse(tmp_path / "ref" / "w.duckdb")
    run_load(str(root), ref.path, PLAN)

    wh = Warehouse(tmp_path / "crash" / "w.duckdb")
    work = Path(default_pipelines_dir(wh.path)) / "spoor_events"
    proc = _spawn(root, wh.path, die_in_load=stage == "load")
    if stage == "extract":
        # in-progress packages live in normalize/<random>/<load_id>/new_jobs until committed
        def extracting() -> bool:
            jobs = (work / "normalize").glob("*/*/new_jobs/*.parquet")
            return any(j.parts[-4] != "extracted" for j in jobs)

        reached = _wait_for(extracting, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    else:
        # killed by itself mid-load: jobs copied into DuckDB, the package not committed
        reached = proc.wait(timeout=300) == -signal.SIGKILL
    assert reached, f"the load finished before reaching {stage}"
    if stage == "load":  # the package it died loading waits, uncommitted
        assert any((work / "load" / "normalized").iterdir())

    run_load(str(root), wh.path, PLAN)
    for name, sql in CONTENT.items():
        assert wh.q(sql) == ref.q(sql), name
    assert run_load(str(root), wh.path, PLAN).files == 0
    assert reconcile(wh.path).passed
    assert wh.count("events") == 8 * 1999


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_load_from_s3_with_env_credentials(tmp_path, monkeypatch, wh):
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for k, v in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            monkeypatch.setenv(k, v)
        s3 = boto3.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket="spoor-events")
        local = tmp_path / "local"
        write_gz(day_dir(local) / "s3 file.gz", [line(msg(i)) for i in range(7)] + [b"[]"])
        (local / "stray.jsonl").write_bytes(line(msg(99)) + b"\n")
        for p in local.rglob("*"):
            if p.is_file():
                s3.upload_file(str(p), "spoor-events", f"prod/{p.relative_to(local).as_posix()}")
        import fsspec

        fsspec.config.conf.pop("s3", None)
        s = run_load("s3://spoor-events/prod", wh.path, PLAN)
        assert (s.files, s.rows_valid, s.rows_rejected) == (2, 8, 1)
        m = wh.manifest("s3 file.gz")
        assert (m["file"], m["source_id"], m["lines"]) == (
            f"segment-logs/src1/{DAY_MS}/s3 file.gz",
            "src1",
            8,
        )
        assert run_load("s3://spoor-events/prod", wh.path, PLAN).files == 0
    finally:
        server.stop()
