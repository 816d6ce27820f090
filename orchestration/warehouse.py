"""The DuckDB warehouse as a Dagster resource: the only way assets and checks open it.

DuckDB allows one writer per file, so every asset that writes shares the `warehouse`
concurrency pool (size 1, set in dagster.yaml), and a run holds the warehouse's run lock
(run_lock.py) from its start to its end, so runs never interleave their steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from orchestration.run_lock import warehouse_run_lock

WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file the pipeline writes (SPOOR_WAREHOUSE)."""

    path: str
    _run: ExitStack = PrivateAttr(default_factory=ExitStack)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # once per run (runs execute in one process): the run lock, held until teardown
        self._run.enter_context(warehouse_run_lock(self.path, context.log))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._run.close()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, read_only=read_only)
        try:
            # Set after connecting: as a connect-time option the ICU extension is not loaded yet.
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run one read-only query and return all rows."""
        with self.connect(read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> int | None:
    """Rows in `schema.table` (a name from our own code), None when it does not exist."""
    try:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]
    except duckdb.CatalogException:
        return None
