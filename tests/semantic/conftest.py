"""A dbt project with built artifacts over a real warehouse, for `mf` and `dbt docs`.

The warehouse is the one `spoor run` built over the simulated sample (`sample_run`). The
dbt project is copied into a temporary folder first: `mf` reads its semantic manifest from
`<project>/target/semantic_manifest.json` (no setting moves it), so a private copy keeps
parallel tests and the developer's own `dbt_project/target` out of each other's way.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from spoor.settings import DBT_PROJECT_DIR, REPO_ROOT

DBT = str(Path(sys.executable).with_name("dbt"))


@dataclass(frozen=True)
class MfResult:
    status: int
    stdout: str
    rows: list[dict[str, str]]

    @classmethod
    def read(cls, out: Path, name: str) -> MfResult:
        stdout = (out / f"{name}.txt").read_text()
        csv_path = out / f"{name}.csv"
        rows = []
        if csv_path.exists():  # mf writes no file for an empty result
            with csv_path.open(newline="") as f:
                rows = list(csv.DictReader(f))
        return cls(int((out / f"{name}.txt.status").read_text()), stdout, rows)

    def check(self) -> MfResult:
        # mf's exception handler prints "ERROR: ..." and still exits 0
        assert self.status == 0 and "ERROR" not in self.stdout, self.stdout
        return self


@dataclass(frozen=True)
class SemanticProject:
    root: Path
    warehouse: Path
    env: dict[str, str]
    network_log: Path

    def dbt(self, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [DBT, *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def mf_batch(self, commands: dict[str, list[str]], out: Path) -> dict[str, MfResult]:
        """Real `mf` commands (the CLI, with no network: tests/semantic/mf_offline.py), run
        one after another in one interpreter; a `query` also writes its rows as CSV."""
        out.mkdir(parents=True, exist_ok=True)
        batch = []
        for name, args in commands.items():
            if args[0] == "query":
                args = [*args, "--csv", str(out / f"{name}.csv")]
            batch.append({"args": args, "stdout": str(out / f"{name}.txt")})
        (out / "batch.json").write_text(json.dumps(batch))
        proc = subprocess.run(
            [sys.executable, "-m", "tests.semantic.mf_offline", "--batch", str(out / "batch.json")],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return {name: MfResult.read(out, name) for name in commands}

    def sql(self, query: str) -> list[tuple]:
        """Direct SQL on the marts (read-only; closed at once, so `mf` can open the file)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def semantic_project(sample_run, tmp_path_factory) -> SemanticProject:
    assert sample_run.returncode == 0, sample_run.stderr
    home = tmp_path_factory.mktemp("semantic")
    root = home / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, root, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    network_log = home / "network.log"
    env = {
        **os.environ,
        # The profile reads the warehouse from SPOOR_WAREHOUSE; its file name is also the
        # database name in the semantic manifest's relation names.
        "SPOOR_WAREHOUSE": str(sample_run.warehouse),
        "DBT_PROFILES_DIR": str(root),
        "DBT_PROJECT_DIR": str(root),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "SPOOR_MF_NETWORK_LOG": str(network_log),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    for name in ("DBT_TARGET_PATH", "DBT_LOG_PATH"):
        env.pop(name, None)
    project = SemanticProject(root, sample_run.warehouse, env, network_log)
    # One command writes manifest.json, semantic_manifest.json and catalog.json.
    proc = project.dbt("docs", "generate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for artifact in ("manifest.json", "semantic_manifest.json", "catalog.json"):
        assert (root / "target" / artifact).exists(), artifact
    return project
