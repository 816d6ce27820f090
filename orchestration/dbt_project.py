"""The one DbtProject of spoor. `dagster dev` re-parses it on load; elsewhere run `dbt parse`
first (the one-shot command and the tests call `prepare_dbt_manifest`)."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from spoor.settings import DBT_PROJECT_DIR

# dagster-dbt runs `dbt` as a subprocess, found on PATH: make it the one installed beside
# this Python, also when the environment was not activated (`.venv/bin/python -m ...`).
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([_BIN, os.environ.get("PATH", "")])

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def prepare_dbt_manifest() -> None:
    """Write target/manifest.json (`dbt parse`), which the dbt assets are built from."""
    dbt_project.preparer.prepare(dbt_project)
