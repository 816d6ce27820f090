"""Copy the served tables out of the warehouse into a new DuckDB file, then Parquet.

The warehouse is opened read-only: dbt's audit models are views over staging, so they
must be read where they were defined (their SQL names the warehouse's catalog) and are
materialized as tables in the snapshot, which holds no views and needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

SNAPSHOT_ALIAS = "spoor_serving_snapshot"  # the new file, attached beside the warehouse
META_SCHEMA = "serving"  # inside the snapshot: which publish this file is


@dataclass(frozen=True)
class Relation:
    schema: str
    table: str
    # Columns dbt marks `meta: {pii: true}`: served as NULL (the warehouse keeps them).
    redacted: tuple[str, ...] = ()

    def select(self) -> str:
        source = f"{quote(self.schema)}.{quote(self.table)}"
        if not self.redacted:
            return f"select * from {source}"
        nulls = ", ".join(f"null::varchar as {quote(c)}" for c in self.redacted)
        return f"select * replace ({nulls}) from {source}"

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal, for the statements (ATTACH, COPY) that take no parameters."""
    return "'" + text.replace("'", "''") + "'"


def build_snapshot(
    warehouse: Path, target: Path, relations: list[Relation], publication: dict
) -> dict[str, int]:
    """Write `relations` of `warehouse` into the new file `target`; return row counts."""
    counts: dict[str, int] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach {literal(str(target))} as {SNAPSHOT_ALIAS} (read_write)")
        snap = quote(SNAPSHOT_ALIAS)
        for schema in sorted({r.schema for r in relations} | {META_SCHEMA}):
            con.execute(f"create schema {snap}.{quote(schema)}")
        for r in relations:
            source = f"{quote(r.schema)}.{quote(r.table)}"
            con.execute(f"create table {snap}.{source} as {r.select()}")
            counts[r.name] = con.execute(f"select count(*) from {snap}.{source}").fetchone()[0]
        _write_meta(con, snap, counts, publication)
        con.execute(f"detach {SNAPSHOT_ALIAS}")  # checkpoints: no .wal is left beside it
    finally:
        con.close()
    return counts


def _write_meta(con, snap: str, counts: dict[str, int], publication: dict) -> None:
    """Two small tables, so a reader can tell which build it is looking at in one query."""
    meta = f"{snap}.{quote(META_SCHEMA)}"
    con.execute(
        f"create table {meta}.publish as select ?::varchar as publish_id, "
        "?::varchar as run_id, ?::timestamp as published_at",
        [publication["publish_id"], publication["run_id"], publication["published_at"]],
    )
    con.execute(
        f"create table {meta}.tables (schema_name varchar, table_name varchar, row_count bigint)"
    )
    con.executemany(
        f"insert into {meta}.tables values (?, ?, ?)",
        [[*name.split(".", 1), n] for name, n in sorted(counts.items())],
    )


def export_parquet(snapshot: Path, folder: Path, relations: list[Relation]) -> None:
    """One Parquet file per table, from the finished snapshot (so both hold the same rows)."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        for r in relations:
            out = folder / r.schema / f"{r.table}.parquet"
            out.parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"copy {quote(r.schema)}.{quote(r.table)} to {literal(str(out))} "
                "(format parquet, compression zstd)"
            )
    finally:
        con.close()
