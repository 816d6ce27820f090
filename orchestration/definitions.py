"""The Dagster code location: everything is discovered from the `defs/` folder."""

from pathlib import Path

import dagster as dg

from spoor.settings import Settings

# Publish the contract's settings (with their repository defaults) before any definition
# reads them: dbt's profile and the resources take the warehouse path from the environment.
Settings.from_env().export()

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
