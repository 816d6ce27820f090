"""marts_funnel_steps: funnel counts are internally consistent.

Persons at step k counts persons who reached at least k, so it can never exceed step
k-1 (per funnel and breakdown value); conversions are shares in [0, 1]; and since every
person has exactly one first-touch breakdown value, the values' persons add up to the
'(all)' row at every step. A break means the funnel SQL is wrong: blocking (ERROR).
The mart is rebuilt whole and is small (funnels x breakdown values x steps), so ``day``
is ignored.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import Batch, Prepared, Suite, fetch_df, gxe
from expectations.thresholds import MartsFunnelSteps

STEPS = """
select
    funnel_name,
    breakdown_value,
    step_index,
    step_name,
    persons,
    lag(persons) over (
        partition by funnel_name, breakdown_value order by step_index
    ) as previous_step_persons,
    conversion_from_start,
    conversion_from_previous
from marts.fct_funnel_steps
order by funnel_name, breakdown_value, step_index
"""

BREAKDOWN_SUMS = """
select
    funnel_name,
    step_index,
    max(persons) filter (where breakdown_value = '(all)') as all_persons,
    coalesce(sum(persons) filter (where breakdown_value <> '(all)'), 0)::bigint
        as breakdown_persons
from marts.fct_funnel_steps
where funnel_name in (
    select funnel_name from marts.fct_funnel_steps where breakdown_value <> '(all)'
)
group by funnel_name, step_index
order by funnel_name, step_index
"""


def prepare(con: duckdb.DuckDBPyConnection, day: dt.date | None, p: MartsFunnelSteps) -> Prepared:
    steps = fetch_df(con, STEPS)
    sums = fetch_df(con, BREAKDOWN_SUMS)
    e = gxe()
    tol = p.tolerance
    step_expectations = [
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="previous_step_persons",
            column_B="persons",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"what": "persons increase from one step to the next"},
        ),
        e.ExpectColumnValuesToBeBetween(
            column="persons", min_value=0, meta={"what": "negative persons"}
        ),
        e.ExpectColumnValuesToBeBetween(
            column="conversion_from_start",
            min_value=-tol,
            max_value=1 + tol,
            meta={"what": "conversion_from_start outside [0, 1]"},
        ),
        e.ExpectColumnValuesToBeBetween(
            column="conversion_from_previous",
            min_value=-tol,
            max_value=1 + tol,
            meta={"what": "conversion_from_previous outside [0, 1]"},
        ),
    ]
    sum_expectations = [
        e.ExpectColumnPairValuesToBeEqual(
            column_A="all_persons",
            column_B="breakdown_persons",
            meta={"what": "breakdown values do not add up to '(all)'"},
        )
    ]
    increases = steps[steps["persons"] > steps["previous_step_persons"]]
    observed = {
        "rows": len(steps),
        "funnels": int(steps["funnel_name"].nunique()),
        "increasing_steps": len(increases),
        "breakdown_sum_mismatches": int((sums["all_persons"] != sums["breakdown_persons"]).sum()),
    }
    return Prepared(
        batches=[
            Batch("steps", steps, step_expectations),
            Batch("breakdown_sums", sums, sum_expectations),
        ],
        observed=observed,
        summary=(
            f"{observed['rows']} step rows in {observed['funnels']} funnels, "
            f"{len(increases)} increasing"
        ),
        skipped=None if len(steps) else "fct_funnel_steps is empty",
        extra={"day": None},
    )


SUITE = Suite(
    name="marts_funnel_steps",
    severity="ERROR",
    asset="marts.fct_funnel_steps",
    reads={
        "marts.fct_funnel_steps": (
            "funnel_name",
            "breakdown_value",
            "step_index",
            "step_name",
            "persons",
            "conversion_from_start",
            "conversion_from_previous",
        )
    },
    description=(
        "persons non-increasing along the steps per (funnel, breakdown), conversions in "
        "[0, 1], breakdown values summing to '(all)'"
    ),
    params=MartsFunnelSteps,
    prepare=prepare,
)
