"""sqlfluff over the dbt models, with the dbt templater.

dbt's profile needs SPOOR_WAREHOUSE; linting compiles models without touching data, so a
throwaway file in a temporary folder is enough.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SPOOR_WAREHOUSE": str(Path(tmp) / "lint.duckdb")}
        command = ["sqlfluff", "lint", "dbt_project/models", *sys.argv[1:]]
        return subprocess.call(command, cwd=REPO_ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
