"""The analytics file (funnels, retention) validated and written to the `config` schema.

Its asset keys equal the dbt `config` source's keys, so the funnel and retention marts
hang below it in the graph and re-run when the definitions change.
"""

import dagster as dg

from ingestion.analytics_definitions import load_analytics, write_definitions
from orchestration.warehouse import WAREHOUSE_POOL, WarehouseResource

CONFIG_TABLES = (
    "settings",
    "funnels",
    "funnel_steps",
    "funnel_step_filters",
    "funnel_exclusions",
    "funnel_exclusion_filters",
    "retention_definitions",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["config", table], group_name="config", kinds={"duckdb"})
        for table in CONFIG_TABLES
    ],
    pool=WAREHOUSE_POOL,
)
def analytics_definitions(warehouse: WarehouseResource):
    """Validate SPOOR_ANALYTICS and replace the config tables with its definitions."""
    path = dg.EnvVar("SPOOR_ANALYTICS").get_value()
    definitions = load_analytics(path)
    with warehouse.connect() as con:
        write_definitions(definitions, con)
        counts = {
            table: con.execute(f"select count(*) from config.{table}").fetchall()[0][0]
            for table in CONFIG_TABLES  # fixed names, not file content
        }
    for table in CONFIG_TABLES:
        yield dg.MaterializeResult(
            asset_key=["config", table],
            metadata={"dagster/row_count": counts[table], "source_file": path},
        )
