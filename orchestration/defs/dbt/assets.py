"""Every dbt model, seed and test as Dagster assets and asset checks, grouped by layer.

Two dbt steps, so that the blocking checks on staging (the Great Expectations suites and
the dbt tests of staging models) run before any intermediate model or mart is touched:
- `spoor_dbt_staging`: seeds and staging models;
- `spoor_dbt_models`: intermediate, marts, audit (and the semantic layer's time spine).
A failed step skips everything downstream, so yesterday's marts stay as they were.
(The split follows the graph: nothing in staging reads a later layer, so Dagster never
has to cut a step in two.)

Both are partitioned by received day; a backfill of any range is one dbt build whose
window reaches the incremental models as vars (orchestration/partitions.py).
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_cli_args import dbt_build_args
from orchestration.dbt_project import dbt_project
from orchestration.dbt_results import describe_failures, materialization_metadata
from orchestration.freshness import MART_FRESHNESS
from orchestration.partitions import received_day, single_run, window_from_tags
from orchestration.retries import MAX_RETRIES, WAIT_SECONDS, is_transient_message
from orchestration.warehouse import WAREHOUSE_POOL, WarehouseResource
from spoor.progress import stage

LAYERS = ("staging", "intermediate", "marts", "audit", "semantic")
STAGING = "path:models/staging resource_type:seed"


class SpoorDbtTranslator(DagsterDbtTranslator):
    """Group assets by dbt layer (the folder under models/), so the UI reads like the flow;
    marts carry a freshness policy, so a missed nightly run shows them stale."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id, {})
        fqn = node.get("fqn", [])
        layer = next((part for part in fqn[1:-1] if part in LAYERS), None)
        if node.get("resource_type") == "seed":
            layer = "seeds"
        if layer in ("marts", "audit"):
            spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        return spec.replace_attributes(group_name=layer) if layer else spec


class DbtRunConfig(dg.Config):
    """Run config of the dbt steps (the Launchpad shows it)."""

    full_refresh: bool = False


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtRunConfig,
) -> Iterator[Any]:
    """`dbt build` of the step's selection over the run's window.

    Events are held until dbt exits: only then is the warehouse free for the read that
    adds row counts, schemas and previews to each materialization.
    """
    window = window_from_tags(context.run.tags)
    args = dbt_build_args(
        full_refresh=config.full_refresh, window_start=window.start, window_end=window.end
    )
    context.log.info(f"dbt {' '.join(args)} over {window.describe()}")
    total = len(context.selected_asset_keys) + len(context.selected_asset_check_keys)
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    with stage(f"dbt build ({context.op_def.name})", total=total, unit="models+tests") as bar:
        events = []
        for event in invocation.stream():
            bar.advance()
            events.append(event)
    with warehouse.connect(read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                event = event.with_metadata(
                    {**event.metadata, **materialization_metadata(con, context, event)}
                )
            yield event
    if not invocation.is_successful():
        failures = describe_failures(invocation)
        if is_transient_message(failures):
            context.log.warning(f"transient dbt failure, retrying: {failures}")
            raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=WAIT_SECONDS)
        raise dg.Failure(description=f"dbt build failed: {failures}")


def _dbt_step(name: str, **selection: str) -> dg.AssetsDefinition:
    """One dbt step over `selection` (select= or exclude=), built the same way for both."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        name=name,
        dagster_dbt_translator=SpoorDbtTranslator(),
        partitions_def=received_day,
        backfill_policy=single_run,
        pool=WAREHOUSE_POOL,
        **selection,
    )
    def _step(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        config: DbtRunConfig,
    ):
        yield from _build(context, dbt, warehouse, config)

    return _step


spoor_dbt_staging = _dbt_step("spoor_dbt_staging", select=STAGING)
spoor_dbt_models = _dbt_step("spoor_dbt_models", exclude=STAGING)
