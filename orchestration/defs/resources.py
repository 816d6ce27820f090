"""Resources, configured from the environment (spoor/settings.py publishes the defaults)."""

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource

from orchestration.dbt_project import dbt_project
from orchestration.warehouse import WarehouseResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(path=dg.EnvVar("SPOOR_WAREHOUSE")),
            "dbt": DbtCliResource(project_dir=dbt_project),
            "dlt": DagsterDltResource(),
        }
    )
