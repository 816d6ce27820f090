"""Where Dagster keeps run history: DAGSTER_HOME, by default .dagster_home/ in the repo."""

from __future__ import annotations

import os
from pathlib import Path

from spoor.settings import REPO_ROOT


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME with the repository's dagster.yaml in it, and export it."""
    home = Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    link = home / "dagster.yaml"
    if not link.exists():
        link.symlink_to(REPO_ROOT / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
