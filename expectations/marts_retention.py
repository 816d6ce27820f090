"""marts_retention: retention cells are valid shares of their cohort.

Offset 0 is the cohort itself (retained = cohort size, rate 1); no cell retains more
persons than its cohort; rates are retained / cohort size, in [0, 1]; cohorts are
non-empty. A break means the retention SQL is wrong: blocking (ERROR). The mart is small
(definitions x cohorts x offsets) and rebuilt whole, so ``day`` is ignored.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import Batch, Prepared, Suite, col, fetch_df, gxe
from expectations.thresholds import MartsRetention

SQL = """
select
    retention_name,
    period,
    cohort_start,
    period_offset,
    cohort_size,
    retained_persons,
    retention_rate,
    abs(retention_rate - retained_persons / nullif(cohort_size, 0)) as rate_error
from marts.fct_retention
order by retention_name, cohort_start, period_offset
"""


def prepare(con: duckdb.DuckDBPyConnection, day: dt.date | None, p: MartsRetention) -> Prepared:
    frame = fetch_df(con, SQL)
    e = gxe()
    tol = p.tolerance
    expectations = [
        e.ExpectColumnValuesToBeBetween(
            column="retention_rate",
            min_value=-tol,
            max_value=1 + tol,
            meta={"what": "retention_rate outside [0, 1]"},
        ),
        e.ExpectColumnPairValuesToBeEqual(
            column_A="retained_persons",
            column_B="cohort_size",
            row_condition=col("period_offset") == 0,
            meta={"what": "offset 0 retained_persons differs from cohort_size"},
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="cohort_size",
            column_B="retained_persons",
            or_equal=True,
            meta={"what": "retained_persons above cohort_size"},
        ),
        e.ExpectColumnValuesToBeBetween(
            column="cohort_size", min_value=1, meta={"what": "empty cohort"}
        ),
        e.ExpectColumnValuesToBeBetween(
            column="period_offset", min_value=0, meta={"what": "negative period_offset"}
        ),
        e.ExpectColumnValuesToBeBetween(
            column="rate_error",
            max_value=tol,
            meta={"what": "retention_rate differs from retained_persons / cohort_size"},
        ),
    ]
    rate = frame["retention_rate"]
    offset0 = frame[frame["period_offset"] == 0]
    observed = {
        "rows": len(frame),
        "definitions": int(frame["retention_name"].nunique()),
        "min_rate": float(rate.min()) if len(frame) else None,
        "max_rate": float(rate.max()) if len(frame) else None,
        "offset0_mismatches": int((offset0["retained_persons"] != offset0["cohort_size"]).sum()),
    }
    return Prepared(
        batches=[Batch("cells", frame, expectations)],
        observed=observed,
        summary=(
            f"{observed['rows']} cells in {observed['definitions']} definitions, "
            f"rates in [{observed['min_rate']}, {observed['max_rate']}]"
        ),
        skipped=None if len(frame) else "fct_retention is empty",
        extra={"day": None},
    )


SUITE = Suite(
    name="marts_retention",
    severity="ERROR",
    asset="marts.fct_retention",
    reads={
        "marts.fct_retention": (
            "retention_name",
            "period",
            "cohort_start",
            "period_offset",
            "cohort_size",
            "retained_persons",
            "retention_rate",
        )
    },
    description=(
        "retention_rate in [0, 1] and = retained / cohort size; offset 0 retained = "
        "cohort_size; retained <= cohort_size; cohorts non-empty"
    ),
    params=MartsRetention,
    prepare=prepare,
)
