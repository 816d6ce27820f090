"""The raw layer as Dagster assets: dlt loads new collector files into raw.*.

Asset keys equal the dbt sources' keys (`raw/events`, ...), so the graph runs unbroken
from the files to the marts. The assets are partitioned by received day: a run loads the
new files of its window (orchestration/partitions.py). The dlt source and pipeline are
built at run time, so the warehouse path and events root come from the run's environment.
"""

import tempfile
from pathlib import Path

import dagster as dg
import dlt as dlt_lib
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.load import (
    DEFAULT_DATASET_NAME,
    delete_rows_of_incomplete_loads,
    make_pipeline,
    summarize,
)
from ingestion.source import spoor_events
from orchestration.partitions import Window, received_day, single_run, window_from_tags
from orchestration.retries import retry_transient
from orchestration.warehouse import WAREHOUSE_POOL, WarehouseResource, table_rows


class RawLayerTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=dg.AssetKey(["raw", data.resource.name]), deps=[], group_name="raw"
        )


def _source(window: Window | None = None):
    window = window or Window()
    return spoor_events(
        events_url=dg.EnvVar("SPOOR_EVENTS_URL").get_value(),
        tracking_plan_path=dg.EnvVar("SPOOR_TRACKING_PLAN").get_value(),
        day_from=window.start,
        day_until=window.end,
    )


def _spec_pipeline():
    """A pipeline that only describes the assets: it never runs, so it touches no warehouse."""
    return dlt_lib.pipeline(
        pipeline_name="spoor_events",
        destination="duckdb",
        dataset_name="raw",
        pipelines_dir=str(Path(tempfile.gettempdir()) / "spoor-dlt-specs"),
    )


@dlt_assets(
    dlt_source=_source(),
    dlt_pipeline=_spec_pipeline(),
    name="raw_layer",
    dagster_dlt_translator=RawLayerTranslator(),
    partitions_def=received_day,
    backfill_policy=single_run,
    pool=WAREHOUSE_POOL,
)
def raw_layer(
    context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource
):
    """Load the window's collector files not loaded before; validate each line against the plan."""
    window = window_from_tags(context.run.tags)
    context.log.info(f"loading new files of {window.describe()}")
    # DagsterDltResource.run drops dlt's local state and pending packages before every
    # run, so a load killed part-way is never resumed: its files are extracted again
    # under a new load id, and its rows that reached DuckDB must go (ingestion/load.py).
    with warehouse.connect() as con:
        dropped = delete_rows_of_incomplete_loads(con, DEFAULT_DATASET_NAME)
    if dropped:
        context.log.warning(f"dropped {dropped} raw rows of loads that never completed")
    pipeline = make_pipeline(warehouse.path)
    with retry_transient(context):
        results = list(
            dlt.run(
                context=context,
                dlt_source=_source(window),
                dlt_pipeline=pipeline,
                loader_file_format="parquet",
            )
        )
    trace = pipeline.last_trace
    load_ids = list(trace.last_load_info.loads_ids) if trace and trace.last_load_info else []
    loaded = summarize(pipeline, load_ids)
    extra = {
        ("raw", "file_manifest"): {
            "files": loaded.files,
            "bytes": loaded.bytes,
            "rows_valid": loaded.rows_valid,
            "rows_rejected": loaded.rows_rejected,
            "rejected_by_reason": dg.MetadataValue.json(loaded.rejected_by_reason),
            "files_by_status": dg.MetadataValue.json(loaded.files_by_status),
        },
        ("raw", "events"): {"rows_valid": loaded.rows_valid},
        ("raw", "rejected_events"): {
            "rows_rejected": loaded.rows_rejected,
            "rejected_by_reason": dg.MetadataValue.json(loaded.rejected_by_reason),
        },
    }
    with warehouse.connect(read_only=True) as con:
        for key, values in extra.items():
            # Fixed table names from the translator, not input.
            values["dagster/row_count"] = table_rows(con, ".".join(key))
    for result in results:
        key = tuple(result.asset_key.path)
        yield result._replace(metadata={**(result.metadata or {}), **extra.get(key, {})})
