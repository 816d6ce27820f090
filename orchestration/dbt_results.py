"""What a dbt step adds to its materializations, and how it names its failures."""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb

from orchestration.mart_previews import PREVIEWS

MAX_FAILURES = 10


def _relation(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> str | None:
    """The relation's type ('BASE TABLE' or 'VIEW'), None when it does not exist."""
    rows = con.execute(
        "select table_type from information_schema.tables "
        "where table_schema = $schema and table_name = $name",
        {"schema": schema, "name": name},
    ).fetchall()
    return rows[0][0] if rows else None


def materialization_metadata(
    con: duckdb.DuckDBPyConnection, context: dg.AssetExecutionContext, output: dg.Output
) -> dict[str, Any]:
    """Row count (tables only: counting a view would run it), column schema, previews."""
    key = tuple(context.asset_key_for_output(output.output_name).path)
    if len(key) != 2:
        return {}
    schema, name = key
    kind = _relation(con, schema, name)
    if kind is None:
        return {}
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = $schema and table_name = $name order by ordinal_position",
        {"schema": schema, "name": name},
    ).fetchall()
    metadata: dict[str, Any] = {
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(column, data_type) for column, data_type in columns]
        ),
        "relation": f"{schema}.{name} ({kind.lower()})",
    }
    if kind == "BASE TABLE":
        # schema and name come from the dbt manifest, and are quoted anyway.
        count = con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
        metadata["dagster/row_count"] = count
    if key in PREVIEWS:
        metadata["preview"] = dg.MetadataValue.md(PREVIEWS[key](con))
    return metadata


def describe_failures(invocation) -> str:
    """The failed or errored dbt nodes, with dbt's message, one clause each."""
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # no artifact: dbt failed before running anything
        error = invocation.get_error()
        return str(error) if error else "dbt exited with an error"
    failed = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    clauses = [
        f"{r['unique_id']} {r['status']}: {(r.get('message') or '').strip()[:300]}"
        for r in failed[:MAX_FAILURES]
    ]
    more = len(failed) - len(clauses)
    if more > 0:
        clauses.append(f"and {more} more")
    return "; ".join(clauses) or "dbt exited with an error"
