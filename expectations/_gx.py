"""Great Expectations, imported lazily and once per process.

``import great_expectations`` takes ~20 s, so nothing imports it at module level: the first
suite that runs pays for it, every later one reuses the same ephemeral context, pandas
data source and whole-dataframe batch definition. Only pandas frames are validated (GX's
SQL data sources fail on DuckDB); the SQL that bounds each frame lives in the suites.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

_LOCK = threading.Lock()
_STATE: GX | None = None


@dataclass(frozen=True)
class GX:
    gx: ModuleType  # great_expectations
    gxe: ModuleType  # great_expectations.expectations
    Column: Any  # great_expectations.expectations.row_conditions.Column
    context: Any
    batch_definition: Any


def gx() -> GX:
    """The process-wide GX handles (imported and built on first use)."""
    global _STATE
    if _STATE is not None:
        return _STATE
    with _LOCK:
        if _STATE is None:
            _STATE = _load()
    return _STATE


def _load() -> GX:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with _quiet():
        import great_expectations as gx_mod
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.row_conditions import Column

        context = gx_mod.get_context(mode="ephemeral")
        # No tqdm bars in Dagster logs or the CLI summary.
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        source = context.data_sources.add_pandas("spoor_expectations")
        asset = source.add_dataframe_asset("frame")
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
    for name in ("great_expectations", "great_expectations._docs_decorators"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return GX(gx_mod, gxe, Column, context, batch_definition)


@contextlib.contextmanager
def _quiet():
    """Swallow GX's import-time chatter (warnings, prints) without hiding errors."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def validate(suite_name: str, frame: Any, expectations: list[Any], partial_count: int) -> Any:
    """Run ``expectations`` on ``frame`` (a pandas DataFrame); the GX validation result."""
    g = gx()
    suite = g.gx.ExpectationSuite(name=suite_name, expectations=expectations)
    batch = g.batch_definition.get_batch(batch_parameters={"dataframe": frame})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return batch.validate(
            suite,
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": partial_count,
            },
        )
