"""Great Expectations suites as code, each run on one received day's bounded batch.

    from expectations import run_suite, SUITES
    outcome = run_suite("raw_rejected_rate", con, day, max_rejected_rate=0.02)
    outcome.passed, outcome.severity, outcome.description, outcome.metadata

Each suite (one module here) pulls a bounded pandas DataFrame from DuckDB with SQL (a
day's partition, or a small aggregate), builds a GX ExpectationSuite in code with its
thresholds (defaults in ``expectations/thresholds.py``) and validates the frame with an
ephemeral GX context shared by the whole process. GX is imported on the first run only
(~20 s), never at import time. See ``expectations/README.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from expectations.core import Severity, Suite, SuiteOutcome
from expectations.registry import SUITES

__all__ = ["SUITES", "Severity", "Suite", "SuiteOutcome", "run_suite", "warm_up"]


def run_suite(
    name: str, con: duckdb.DuckDBPyConnection, day: dt.date | None = None, **params: Any
) -> SuiteOutcome:
    """Run suite ``name`` on ``day`` (None: the newest day with data; marts suites that
    check a whole small mart ignore it) with thresholds overridden by ``params``.

    Never raises for bad data: a failing expectation gives ``passed=False``; a missing
    table or column gives ``passed=False`` with ``metadata["error"]``. An unknown suite
    name is a ``KeyError``, an unknown parameter a ``TypeError``.
    """
    from expectations.core import run

    try:
        suite = SUITES[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}; known: {', '.join(SUITES)}") from None
    return run(suite, con, day, **params)


def warm_up() -> None:
    """Import GX and build the shared context now (e.g. while the pipeline loads)."""
    from expectations._gx import gx

    gx()
