"""Scenario 8: resource limits.

- Full disk: a warehouse with good marts gets new files, then `spoor run` runs with the
  warehouse's disk full: a tmpfs holding the warehouse and everything the run writes
  beside it (its WAL, DuckDB's temp folder `<warehouse>.tmp`, dlt's pipeline folder
  `<warehouse>.dlt`, the serving folder), filled up to `free` bytes. Dagster's home is
  kept on another disk, as in a deployment (it is not the warehouse's disk), so what
  fails is the run's own writes. The run must exit non-zero naming the disk error, the
  previous marts and serving snapshot must stay readable and unchanged, and once space
  is back a re-run equals an uninterrupted run.
  Mounting needs root (or CAP_SYS_ADMIN); elsewhere the test skips. RLIMIT_FSIZE was
  tried as the unprivileged stand-in and dropped: it limits the size of each file, not
  the disk, and the run writes no file past any limit that leaves Dagster's own 4 MB
  event-log database writable (the warehouse reuses its free blocks; see RELIABILITY.md).
- 10x volume (slow): one day with 10x the sample's daily events completes under
  SPOOR_DUCKDB_MEMORY_LIMIT=2GB (dbt_project/profiles.yml).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reliability.pipeline import Warehouse
from tests.reliability.scenario import Sim, differences, q, simulate_small, spoor_run
from tests.reliability.test_replays_and_duplicates import redeliver

DISK_ERRORS = ("No space left", "Errno 28", "ENOSPC", "disk is full", "Could not write")


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _kpis(warehouse: Path) -> dict:
    return Warehouse.kpis(type("W", (), {"q": lambda self, s: q(warehouse, s)})())


def _copy_reference(reference: Path, dst: Path) -> Path:
    """The reference run's folder (warehouse, dlt state, serving), symlinks kept (the
    serving folder's `current` link is relative), without its Dagster home."""
    shutil.copytree(
        reference.parent,
        dst,
        symlinks=True,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("dagster_home"),
    )
    return dst / reference.name


@pytest.fixture
def mounted(tmp_path):
    """A tmpfs of `size` bytes at tmp_path/disk, or a skip where mounting is not allowed."""
    point = tmp_path / "disk"
    point.mkdir()
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for p in mounted:
        subprocess.run(["umount", "-l", str(p)], check=False)


def _fill(disk: Path, free: int) -> Path:
    """Write a filler file until only `free` bytes are left on the disk."""
    st = os.statvfs(disk)
    room = st.f_bavail * st.f_frsize - free
    filler = disk / "filler"
    with filler.open("wb") as f:
        chunk = b"\0" * (1 << 20)
        while room > 0:
            room -= f.write(chunk[: min(len(chunk), room)])
    return filler


def _snapshot_kpis(run_dir: Path) -> dict | None:
    snapshot = run_dir / "serving" / "spoor.duckdb"
    return _kpis(snapshot) if snapshot.exists() else None


@pytest.mark.slow
@pytest.mark.parametrize("free", [256 << 10, 4 << 20], ids=["256KiB", "4MiB"])
def test_full_disk_fails_cleanly_and_keeps_the_previous_marts(
    small: Sim, reference, tmp_path, mounted, free
):
    ref_wh, _ = reference
    before, served_before = _kpis(ref_wh), _snapshot_kpis(ref_wh.parent)
    events = tmp_path / "events"
    shutil.copytree(small.events, events)
    extra = redeliver(small, events, {0, 1, 2}, "again-")  # new files: the run has work to do
    disk = mounted(_dir_bytes(ref_wh.parent) + (256 << 20))
    wh = _copy_reference(ref_wh, disk / "run")
    filler = _fill(disk, free)
    dagster_home = tmp_path / "dagster_home"  # on another disk, kept across both runs

    # the run's output is captured on another disk too (it would be lost on the full one)
    run = spoor_run(events, wh, env={"DAGSTER_HOME": str(dagster_home)}, logs=tmp_path / "logs")
    assert run.returncode > 0, f"rc {run.returncode}\n{run.stdout}\n{run.stderr[-3000:]}"
    assert not run.killed
    # the run's own last words (after Dagster's event log lines) name the disk error
    failures = [line for line in run.stderr.splitlines() if line.startswith("spoor: ")]
    assert failures and any(e in line for line in failures for e in DISK_ERRORS), (
        run.stdout + run.stderr[-4000:]
    )
    assert "FAILED" in run.stdout

    # the previous marts and the served snapshot are readable and unchanged
    assert _kpis(wh) == before
    assert _snapshot_kpis(wh.parent) == served_before
    print(f"full disk ({free} B free): {failures[0][:200]}")

    # space is back: the re-run finishes and equals an uninterrupted run
    filler.unlink()
    again = spoor_run(events, wh, env={"DAGSTER_HOME": str(dagster_home)}, logs=tmp_path / "logs")
    again.check_ok()
    marts = {t: d for t, d in differences(ref_wh, wh).items() if not t.startswith(("raw", "audit"))}
    assert marts == {}
    files, distinct, valid = q(
        wh, "SELECT count(*), count(DISTINCT file), sum(valid) FROM raw.file_manifest"
    )[0]
    assert files == distinct and valid == small.truth["valid_lines"] + extra


@pytest.mark.slow
def test_ten_times_daily_volume_under_a_2gb_memory_limit(tmp_path):
    """The sample has ~3.4k events a day (100k over 30 days); this day has ~10x."""
    sim = simulate_small(tmp_path / "sim", days=1, persons=6000)
    truth = sim.truth
    assert truth["distinct_messages"] >= 30_000, truth["distinct_messages"]
    run = spoor_run(sim.events, tmp_path / "wh" / "wh.duckdb",
                    env={"SPOOR_DUCKDB_MEMORY_LIMIT": "2GB"})  # fmt: skip
    run.check_ok()
    wh = tmp_path / "wh" / "wh.duckdb"
    assert q(wh, "SELECT count(*) FROM raw.events")[0][0] == truth["valid_lines"]
    assert q(wh, "SELECT count(*) FROM raw.rejected_events")[0][0] == truth["rejected_lines"]
    assert q(wh, "SELECT count(*) FROM marts.fct_events")[0][0] == truth["distinct_messages"]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(f"10x day: {truth['lines']} lines in {run.seconds:.0f} s, peak child RSS {peak} MB")
