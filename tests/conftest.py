"""Shared fixtures: the simulated sample and one real one-shot run over it.

Both are session-scoped and expensive; tests that use them live in files run by one
worker each (`pytest -n 2 --dist loadfile`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from spoor.settings import REPO_ROOT


@dataclass(frozen=True)
class Simulated:
    root: Path

    @property
    def events(self) -> Path:
        return self.root / "events"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    def summary(self) -> dict:
        return json.loads((self.truth / "summary.json").read_text())


@dataclass(frozen=True)
class PipelineRun:
    sample: Simulated
    warehouse: Path
    returncode: int
    stdout: str
    stderr: str


def run_spoor(*args: str, env: dict[str, str] | None = None, timeout: int = 900):
    """The real `spoor` command in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "spoor.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Simulated:
    """The bundled sample preset (30 days, faults on), generated once per worker."""
    from simulator.cli import main as simulate

    root = tmp_path_factory.mktemp("sample")
    assert simulate(["--preset", "sample", "--out", str(root)]) == 0
    return Simulated(root)


@pytest.fixture(scope="session")
def sample_run(sample: Simulated, tmp_path_factory) -> PipelineRun:
    """`spoor run` once over the sample into a fresh warehouse."""
    home = tmp_path_factory.mktemp("run")
    warehouse = home / "warehouse.duckdb"
    proc = run_spoor(
        "run",
        "--events",
        str(sample.events),
        "--warehouse",
        str(warehouse),
        env={"DAGSTER_HOME": str(home / "dagster_home")},
    )
    return PipelineRun(sample, warehouse, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def defs(tmp_path_factory):
    """The Dagster definitions, loaded as `dagster dev` loads them (after `dbt parse`)."""
    os.environ["SPOOR_WAREHOUSE"] = str(tmp_path_factory.mktemp("defs") / "warehouse.duckdb")
    from orchestration.dbt_project import prepare_dbt_manifest

    prepare_dbt_manifest()
    from orchestration.definitions import defs as loaded

    return loaded
