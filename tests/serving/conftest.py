"""One warehouse and serving folder, published once by a real `spoor run` on the sample's
first half; the tests then run more real runs against it."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Simulated, run_spoor
from tests.serving.events import first_days


@dataclass(frozen=True)
class Stack:
    home: Path
    warehouse: Path
    serving: Path

    @property
    def env(self) -> dict[str, str]:
        # dbt is called by name: the venv's bin must be on PATH, as `uv run` arranges.
        bin_dir = str(Path(sys.executable).parent)
        return {
            "DAGSTER_HOME": str(self.home / "dagster_home"),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        }

    def args(self, events: Path) -> list[str]:
        return [
            "run",
            "--events",
            str(events),
            "--warehouse",
            str(self.warehouse),
            "--serving",
            str(self.serving),
        ]

    def manifest(self) -> dict:
        return json.loads((self.serving / "manifest.json").read_text())


@pytest.fixture(scope="session")
def stack(sample: Simulated, tmp_path_factory) -> Stack:
    home = tmp_path_factory.mktemp("serving")
    stack = Stack(home, home / "warehouse.duckdb", home / "serving")
    events = first_days(sample.events, home / "first_half")
    proc = run_spoor(*stack.args(events), env=stack.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return stack
