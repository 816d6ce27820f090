"""The one DbtProject of spoor. `dagster dev` re-parses it on load; elsewhere run `dbt parse`
first (the one-shot command and the tests call `prepare_dbt_manifest`)."""

from dagster_dbt import DbtProject

from spoor.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def prepare_dbt_manifest() -> None:
    """Write target/manifest.json (`dbt parse`), which the dbt assets are built from."""
    dbt_project.preparer.prepare(dbt_project)
