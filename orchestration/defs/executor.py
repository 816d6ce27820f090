"""Runs execute their steps in one process, one after another: DuckDB takes one writer
at a time anyway, and the warehouse's run lock (orchestration/run_lock.py), taken when
the run's resources start, then spans the whole run."""

import dagster as dg


@dg.definitions
def executor() -> dg.Definitions:
    return dg.Definitions(executor=dg.in_process_executor)
