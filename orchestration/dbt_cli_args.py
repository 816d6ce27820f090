"""The dbt command line a run uses, built by one pure function (unit-tested)."""

from __future__ import annotations

import json
from datetime import date


def dbt_build_args(
    *,
    full_refresh: bool = False,
    window_start: date | None = None,
    window_end: date | None = None,
) -> list[str]:
    """`dbt build` with the run's options. A partition window [start, end) reaches the
    models as vars (start inclusive, end exclusive, as macros/incremental.sql reads them)."""
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if window_start is not None or window_end is not None:
        if window_start is None or window_end is None or window_end <= window_start:
            raise ValueError(f"invalid window: {window_start} .. {window_end}")
        window = {
            "spoor__window_start": window_start.isoformat(),
            "spoor__window_end": window_end.isoformat(),
        }
        args += ["--vars", json.dumps(window, sort_keys=True)]
    return args
