"""Helpers of the reliability suite: small simulated data, the real `spoor run` in a
subprocess (optionally SIGKILLed at a chosen point), warehouse comparison and the raw
layer's invariants (no orphan load ids, every file exactly once, lines = valid + rejected).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from spoor.settings import REPO_ROOT

PLAN = REPO_ROOT / "ingestion" / "tracking_plan"
VENV_BIN = str(Path(sys.executable).parent)
SALT = "reliability-test-salt"
START = date(2025, 1, 6)
# Columns that say when or in which load a row was written: equal runs differ only there.
VOLATILE = {
    "_dlt_load_id",
    "load_id",
    "loaded_at",
    "_built_at",
    "built_at",
    "_changed_at",
    "rejected_load_id",
    "replayed_at",
}
RAW_TABLES = ("events", "rejected_events", "file_manifest")
SKIP_TABLES = {"audit.build_watermarks", "audit.analytics_rebuilt_persons"}  # bookkeeping


def spoor_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `spoor run` child: the venv's dbt on PATH, its own Dagster
    home, an explicit PII salt, log lines (not bars) on stderr."""
    env = {
        **os.environ,
        "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
        "DAGSTER_HOME": str(home / "dagster_home"),
        "SPOOR_PII_SALT": SALT,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SPOOR_WAREHOUSE", None)  # tests set it in-process for dbtRunner
    env.update(extra)
    return env


# -- shared, expensive fixtures across xdist workers -----------------------------------


@contextlib.contextmanager
def locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build_once(root: Path, build) -> Path:
    """`build(root)` once per test session, whichever xdist worker asks first."""
    with locked(root):
        done = root / ".done"
        if not done.exists():
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            build(root)
            done.write_text("ok")
    return root


# -- the simulator ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sim:
    root: Path

    @property
    def events(self) -> Path:
        return self.root / "events"

    @property
    def truth(self) -> dict:
        return json.loads((self.root / "truth" / "summary.json").read_text())

    def files(self) -> list[Path]:
        return sorted(p for p in self.events.rglob("*") if p.is_file())


def simulate_small(out: Path, *, days: int = 3, persons: int = 80, **kw) -> Sim:
    from simulator import simulate

    simulate(out, days=days, persons=persons, processes=1, start_date=START, **kw)
    return Sim(out)


# -- `spoor run` in a subprocess, with an optional kill ----------------------------------


@dataclass
class Kill:
    """When to SIGKILL the run's process group. `hook` arms killhook.py inside the run
    (dlt stages); otherwise the trigger is watched from outside: `after` seconds past the
    run's start (`on=None`), or past the start / end of the n-th `dbt build` child."""

    name: str
    hook: str | None = None
    on: str | None = None  # "dbt_start" | "dbt_end"
    nth: int = 1
    after: float = 0.0

    @property
    def stage(self) -> str:
        if self.hook:
            return self.hook.split(":")[0]
        return {"dbt_start": "dbt build", "dbt_end": "checks"}.get(self.on or "", "time")


@dataclass
class Run:
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    killed: bool = False
    dbt_starts: list[float] = field(default_factory=list)
    dbt_ends: list[float] = field(default_factory=list)

    def check_ok(self) -> None:
        assert self.returncode == 0, f"spoor run failed:\n{self.stdout}\n{self.stderr[-6000:]}"


def _group_dbt_builds(pgid: int) -> set[int]:
    """Pids of `dbt build` processes in the process group."""
    found = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            args = Path(entry.path, "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if any(a.endswith(b"dbt") for a in args) and b"build" in args:
            found.add(int(entry.name))
    return found


def spoor_run(
    events: Path,
    warehouse: Path,
    *args: str,
    kill: Kill | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900,
    preexec=None,
    logs: Path | None = None,
) -> Run:
    """The real one-shot command, `python -m spoor.cli run`, in its own process group.
    Its stdout and stderr go to files in `logs` (default: beside the warehouse)."""
    home = warehouse.parent
    home.mkdir(parents=True, exist_ok=True)
    env = {**spoor_env(home), **(env or {})}
    cmd = [sys.executable, "-m", "spoor.cli"]
    if kill and kill.hook:
        env["SPOOR_TEST_KILL_AT"] = kill.hook
        cmd = [sys.executable, "-m", "tests.reliability.killhook"]
    cmd += ["run", "--events", str(events), "--warehouse", str(warehouse), *args]
    logs = logs or home
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    started = time.monotonic()
    with out.open("w") as o, err.open("w") as e:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdout=o,
            stderr=e,
            start_new_session=True,
            preexec_fn=preexec,
        )
        run = Run(returncode=0, seconds=0, stdout="", stderr="")
        seen: set[int] = set()
        live: set[int] = set()
        try:
            while proc.poll() is None:
                now = time.monotonic() - started
                if now > timeout:
                    raise TimeoutError(f"spoor run over {timeout} s")
                builds = _group_dbt_builds(proc.pid)
                for _ in builds - seen:
                    run.dbt_starts.append(now)
                for _ in live - builds:
                    run.dbt_ends.append(now)
                seen |= builds
                live = builds
                if kill and not kill.hook and _due(kill, run, now):
                    os.killpg(proc.pid, signal.SIGKILL)
                    run.killed = True
                    proc.wait()
                    break
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # a SIGKILL leaves no survivor in the group (dbt included)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    run.returncode = proc.returncode
    run.killed = run.killed or proc.returncode == -signal.SIGKILL
    run.seconds = time.monotonic() - started
    run.stdout, run.stderr = out.read_text(), err.read_text()
    return run


def _due(kill: Kill, run: Run, now: float) -> bool:
    if kill.on is None:
        return now >= kill.after
    marks = run.dbt_starts if kill.on == "dbt_start" else run.dbt_ends
    return len(marks) >= kill.nth and now >= marks[kill.nth - 1] + kill.after


# -- comparing warehouses --------------------------------------------------------------


def connect_pair(a: Path, b: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    return con


def compared_tables(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    rows = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_catalog = ? AND (table_schema IN ('marts', 'audit') "
        "OR (table_schema = 'raw' AND table_name IN ?)) ORDER BY 1",
        [db, list(RAW_TABLES)],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in SKIP_TABLES]


def _stable_columns(con, db: str, table: str) -> str:
    schema, name = table.split(".")
    cols = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? "
        "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [db, schema, name],
    ).fetchall()
    return ", ".join(f'"{c}"' for (c,) in cols if c not in VOLATILE)


def differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """{table: (rows in b, only in a, only in b)} for every raw/marts/audit table that
    differs (EXCEPT ALL both ways, volatile columns left out); {} when identical."""
    con = connect_pair(a, b)
    try:
        ta, tb = compared_tables(con, "a"), compared_tables(con, "b")
        out: dict[str, tuple[int, int, int]] = {
            t: (-1, -1, -1) for t in set(ta) ^ set(tb)
        }  # a table missing on one side
        for t in sorted(set(ta) & set(tb)):
            cols = _stable_columns(con, "b", t)
            n = con.execute(f"SELECT count(*) FROM b.{t}").fetchone()[0]
            only = "SELECT count(*) FROM (SELECT {c} FROM {x}.{t} EXCEPT ALL "
            only += "SELECT {c} FROM {y}.{t})"
            x = con.execute(only.format(c=cols, x="a", y="b", t=t)).fetchone()[0]
            y = con.execute(only.format(c=cols, x="b", y="a", t=t)).fetchone()[0]
            if x or y:
                out[t] = (n, x, y)
        assert "marts.fct_events" in tb, tb
        return out
    finally:
        con.close()


def q(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def copy_warehouse(src: Path, dst: Path) -> Path:
    """Copy a (possibly crashed) warehouse with its WAL and dlt folder, to inspect it
    without touching the original."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        if Path(str(src) + suffix).exists():
            shutil.copy(str(src) + suffix, str(dst) + suffix)
    return dst


# -- the raw layer's invariants ----------------------------------------------------------


@dataclass
class RawState:
    files: int
    valid: int
    rejected: int
    orphan_rows: int  # rows whose load id is not a completed load in _dlt_loads
    files_more_than_once: int
    files_off_count: int  # manifest lines != rows in events + rejected_events
    state_files: int  # files in dlt's committed source state


def raw_state(warehouse: Path) -> RawState:
    """The raw layer as the next run will find it. Works on a crashed warehouse (a copy
    is opened read-write, so DuckDB replays its WAL)."""
    scratch = copy_warehouse(warehouse, warehouse.parent / "inspect" / warehouse.name)
    con = duckdb.connect(str(scratch))
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()}  # fmt: skip
        if "file_manifest" not in tables:
            return RawState(0, 0, 0, 0, 0, 0, _state_files(con, tables))
        loads = (
            "(SELECT load_id FROM raw._dlt_loads WHERE status = 0)"
            if "_dlt_loads" in tables
            else "(SELECT NULL::VARCHAR AS load_id WHERE false)"
        )
        orphans = sum(
            con.execute(
                f"SELECT count(*) FROM raw.{t} WHERE _dlt_load_id NOT IN {loads}"
            ).fetchone()[0]
            for t in RAW_TABLES
            if t in tables
        )
        files, valid, rejected, distinct = con.execute(
            "SELECT count(*), coalesce(sum(valid), 0), coalesce(sum(rejected), 0), "
            f"count(DISTINCT file) FROM raw.file_manifest WHERE _dlt_load_id IN {loads}"
        ).fetchone()
        off = con.execute(
            f"""
            WITH rows AS (
                SELECT file FROM raw.events WHERE _dlt_load_id IN {loads}
                UNION ALL SELECT file FROM raw.rejected_events WHERE _dlt_load_id IN {loads})
            SELECT count(*) FROM raw.file_manifest AS m
            WHERE m._dlt_load_id IN {loads}
              AND m.lines <> (SELECT count(*) FROM rows WHERE rows.file = m.file)
            """
        ).fetchone()[0]
        return RawState(
            files, valid, rejected, orphans, files - distinct, off, _state_files(con, tables)
        )
    finally:
        con.close()
        shutil.rmtree(scratch.parent, ignore_errors=True)


def _state_files(con, tables: set[str]) -> int:
    """Files recorded as loaded in the newest committed dlt state (raw._dlt_pipeline_state)."""
    if "_dlt_pipeline_state" not in tables:
        return 0
    from dlt.common.versioned_state import decompress_state

    row = con.execute(
        "SELECT s.state FROM raw._dlt_pipeline_state AS s "
        "JOIN raw._dlt_loads AS l ON s._dlt_load_id = l.load_id AND l.status = 0 "
        "ORDER BY s.version DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return 0
    state = decompress_state(row[0])
    return len(state["sources"]["spoor_events"]["loaded_files"])
