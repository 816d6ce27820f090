"""The Dagster code location loads, and its asset graph is one piece from files to marts."""

import dagster as dg

CORE_MARTS = ["fct_events", "fct_sessions", "dim_persons", "person_identities"]
ANALYTICS_MARTS = ["fct_funnel_steps", "fct_retention"]


def asset_keys(defs) -> set[dg.AssetKey]:
    return set(defs.resolve_asset_graph().get_all_asset_keys())


def test_definitions_load_with_every_layer(defs):
    keys = asset_keys(defs)
    for table in ["events", "rejected_events", "file_manifest"]:
        assert dg.AssetKey(["raw", table]) in keys
    for mart in CORE_MARTS + ANALYTICS_MARTS:
        assert dg.AssetKey(["marts", mart]) in keys
    assert dg.AssetKey(["config", "funnel_steps"]) in keys


# Written outside the nightly graph: `spoor replay` creates it after a tracking-plan fix.
EXTERNAL = {dg.AssetKey(["raw", "replayed_rejections"])}


def test_dbt_sources_are_the_dlt_assets(defs):
    """No dbt source dangles: each upstream key of a model is an asset that is materialized."""
    graph = defs.resolve_asset_graph()
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    materializable |= EXTERNAL
    stg_events = graph.get(dg.AssetKey(["staging", "stg_raw__events"]))
    assert dg.AssetKey(["raw", "events"]) in stg_events.parent_keys
    for key in graph.get_all_asset_keys():
        assert graph.get(key).parent_keys <= materializable, key


def test_marts_descend_from_the_raw_layer(defs):
    graph = defs.resolve_asset_graph()
    for mart in CORE_MARTS + ANALYTICS_MARTS:
        ancestors = graph.get_ancestor_asset_keys(dg.AssetKey(["marts", mart]))
        assert dg.AssetKey(["raw", "events"]) in ancestors, mart


def test_reconciliation_is_a_blocking_check(defs):
    graph = defs.resolve_asset_graph()
    check_keys = graph.asset_check_keys
    reconcile = dg.AssetCheckKey(dg.AssetKey(["raw", "file_manifest"]), "lines_reconcile")
    assert reconcile in check_keys
    assert graph.get_check_spec(reconcile).blocking
