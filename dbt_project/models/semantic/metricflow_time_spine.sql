-- MetricFlow's time spine: one row per day (see metricflow_time_spine.yml). Portable SQL:
-- dbt's own cross-database date_spine macro. The range covers any plausible event data;
-- 2015-01-01 up to (not including) 2040-01-01 is about 9,100 rows.
{{ config(materialized='table', schema='semantic') }}
select cast(date_day as date) as date_day
from (
    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2015-01-01' as date)",
        end_date="cast('2040-01-01' as date)"
    ) }}
) as spine
