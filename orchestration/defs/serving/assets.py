"""The serving layer as assets: the snapshot BI tools read, and the HTML report drawn from it.

`serving/snapshot` sits below every marts and audit model, so a failed dbt step or a
failed blocking check skips it: the serving folder keeps the last good build.
"""

from pathlib import Path

import dagster as dg

from orchestration.report import write_report
from orchestration.serving import publish
from orchestration.serving.served import served_models
from orchestration.warehouse import WAREHOUSE_POOL, WarehouseResource
from spoor.settings import Settings

SNAPSHOT = dg.AssetKey(["serving", "snapshot"])
REPORT = dg.AssetKey(["serving", "report"])


@dg.asset(
    key=SNAPSHOT,
    group_name="serving",
    deps=list(served_models()),
    # It holds a read-only lock on the warehouse while it copies (seconds), which would
    # make a writer in another run fail to open it: queue with the writers instead.
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
    description="Read-only DuckDB snapshot and Parquet files of the marts and audit "
    "schemas, published atomically to SPOOR_SERVING for BI tools (docs/serving.md).",
)
def snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    serving = Settings.from_env().serving
    publication = publish(
        warehouse.path, serving, list(served_models().values()), context.run.run_id
    )
    rows = "\n".join(f"| {name} | {n:,} |" for name, n in publication.tables.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.layout.snapshot)),
            "parquet": dg.MetadataValue.path(str(publication.layout.parquet)),
            "publish_id": publication.publish_id,
            "tables": dg.MetadataValue.md("| table | rows |\n|---|---:|\n" + rows),
            "dagster/row_count": sum(publication.tables.values()),
        }
    )


@dg.asset(
    key=REPORT,
    group_name="serving",
    deps=[SNAPSHOT],
    kinds={"html", "plotly"},
    description="Self-contained HTML report (funnels, retention, active persons, sessions, "
    "rejected rows) drawn from the serving snapshot: <serving>/report.html.",
)
def report():
    result = write_report(Path(Settings.from_env().serving))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "publish_id": result.publish_id,
            **{title: dg.MetadataValue.md(text) for title, text in result.markdown.items()},
        }
    )
