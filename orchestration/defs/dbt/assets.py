"""Every dbt model, seed and test as Dagster assets and asset checks, grouped by layer."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_cli_args import dbt_build_args
from orchestration.dbt_project import dbt_project
from orchestration.warehouse import WAREHOUSE_POOL
from spoor.progress import stage

LAYERS = ("staging", "intermediate", "marts", "audit")


class SpoorDbtTranslator(DagsterDbtTranslator):
    """Group assets by dbt layer (the folder under models/), so the UI reads like the flow."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id, {})
        fqn = node.get("fqn", [])
        layer = next((part for part in fqn[1:-1] if part in LAYERS), None)
        if node.get("resource_type") == "seed":
            layer = "seeds"
        return spec.replace_attributes(group_name=layer) if layer else spec


class DbtRunConfig(dg.Config):
    """Run config of the dbt step (the Launchpad shows it)."""

    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SpoorDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def spoor_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig):
    args = dbt_build_args(full_refresh=config.full_refresh)
    total = len(context.selected_asset_keys) + len(context.selected_asset_check_keys)
    with stage("dbt build", total=total, unit="models+tests") as progress:
        for event in dbt.cli(args, context=context).stream():
            progress.advance()
            yield event
