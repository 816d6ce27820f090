"""How fresh the marts must be: the nightly run refreshes them once a day, so a mart not
materialized for a day and a bit turns stale (warn) and then overdue (fail) in the UI."""

from datetime import timedelta

import dagster as dg

MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    warn_window=timedelta(hours=26), fail_window=timedelta(hours=50)
)
