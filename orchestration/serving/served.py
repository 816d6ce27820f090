"""Which dbt models are served: every model the asset graph groups as `marts`, `audit` or
`semantic`, without the columns their yml marks `meta: {pii: true}` (served as NULL).

Read from the dbt manifest with the same translator the dbt assets use, so the snapshot's
upstream keys and the tables it copies can never disagree with the graph.
"""

from __future__ import annotations

import json
from functools import cache

import dagster as dg

from orchestration.dbt_project import dbt_project
from orchestration.serving.snapshot import Relation

# semantic: MetricFlow's time spine, so `mf` can query the snapshot (docs/semantic-layer.md)
SERVED_GROUPS = ("marts", "audit", "semantic")


@cache
def served_models() -> dict[dg.AssetKey, Relation]:
    # Imported here: the translator lives with the dbt assets, which load the manifest.
    from orchestration.defs.dbt.assets import SpoorDbtTranslator

    manifest = json.loads(dbt_project.manifest_path.read_text())
    translator = SpoorDbtTranslator()
    served = {}
    for unique_id, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model":
            continue
        spec = translator.get_asset_spec(manifest, unique_id, dbt_project)
        if spec.group_name in SERVED_GROUPS:
            redacted = tuple(
                name
                for name, column in sorted(node.get("columns", {}).items())
                if (column.get("meta") or {}).get("pii")
            )
            served[spec.key] = Relation(node["schema"], node["alias"], redacted)
    return served
