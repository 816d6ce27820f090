"""A small warehouse shaped like the real one (docs/design.md raw layer, the staging view,
contract §3 marts), built with SQL, good by default; tests then break it on purpose.

Days: DAY0 .. DAY0 + days - 1; the last one (``LAST_DAY``) is the day under test.
Per day, per ``rows`` valid lines: i % 10 -> 0 identify, 1-4 page, 5-6 Product Viewed,
7 Order Completed, 8 screen, 9 alias. Two rejected lines per 200 valid (1%).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

DAY0 = dt.date(2024, 3, 1)
DAYS = 8
LAST_DAY = DAY0 + dt.timedelta(days=DAYS - 1)


def build(
    path: str | Path, *, days: int = DAYS, rows: int = 200, sessions: int = 100
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    for schema in ("raw", "staging", "marts"):
        con.execute(f"create schema if not exists {schema}")
    params = {"day0": DAY0, "days": days, "rows": rows}
    con.execute(
        """
        create table raw.events as
        with g as (
            select d, i, $day0::date + d::integer as day,
                   ($day0::date + d::integer)::timestamptz + to_seconds(i * 0.5) as recv
            from range($days) t(d), range($rows) r(i)
        )
        select
            'm-' || d || '-' || i as message_id,
            case i % 10 when 0 then 'identify' when 8 then 'screen' when 9 then 'alias'
                 when 5 then 'track' when 6 then 'track' when 7 then 'track' else 'page' end
                as type,
            case i % 10 when 5 then 'Product Viewed' when 6 then 'Product Viewed'
                 when 7 then 'Order Completed' end as event,
            case when i % 10 in (1, 2, 3, 4, 8) then 'Home' end as name,
            case when i % 10 <> 9 then 'anon-' || (i % 50) end as anonymous_id,
            case when i % 10 in (0, 9) then 'user-' || (i % 50) end as user_id,
            case when i % 10 = 9 then 'anon-' || (i % 50) end as previous_id,
            null::varchar as group_id,
            recv - interval 5 second as timestamp,
            case when i % 2 = 0 then recv - interval 5 second end as original_timestamp,
            case when i % 2 = 0 then recv - interval 1 second end as sent_at,
            recv as received_at,
            null::json as properties, null::json as traits, '{}'::json as context,
            'web' as source_id,
            day as received_day,
            'segment-logs/web/' || d || '/a.jsonl.gz' as file,
            i + 1 as line_number,
            '1.' || d as _dlt_load_id
        from g
        """,
        params,
    )
    con.execute(
        """
        create table raw.rejected_events as
        select
            'segment-logs/web/' || d || '/a.jsonl.gz' as file,
            $rows + i + 1 as line_number,
            '{not json' as raw_line,
            null::blob as raw_bytes,
            '["invalid_json"]'::json as reasons,
            'not JSON' as message,
            null::varchar as message_id, null::varchar as type, null::varchar as event,
            'web' as source_id,
            $day0::date + d::integer as received_day,
            '1.' || d as _dlt_load_id
        from range($days) t(d), range(greatest($rows // 100, 1)) r(i)
        """,
        params,
    )
    con.execute(
        """
        create table raw.file_manifest as
        select
            file, any_value(source_id) as source_id, received_day, 1000::bigint as bytes,
            count(*)::bigint as lines, count(*) filter (where valid)::bigint as valid,
            count(*) filter (where not valid)::bigint as rejected, 'ok' as status,
            null::varchar as detail, now() as loaded_at, any_value(_dlt_load_id) as _dlt_load_id
        from (
            select file, source_id, received_day, _dlt_load_id, true as valid from raw.events
            union all
            select file, source_id, received_day, _dlt_load_id, false from raw.rejected_events
        )
        group by file, received_day
        """
    )
    # The staging view's dedup and naming (dbt_project/models/staging/stg_raw__events.sql).
    con.execute(
        """
        create view staging.stg_raw__events as
        select
            message_id as event_id,
            type as event_type,
            case when type = 'track' then event else name end as event_name,
            anonymous_id, user_id,
            case when sent_at is not null and original_timestamp is not null
                 then received_at - (sent_at - original_timestamp)
                 else coalesce(timestamp, received_at) end as occurred_at,
            received_at, received_day as received_date, file, line_number
        from raw.events
        qualify row_number() over (
            partition by message_id order by received_at, file, line_number
        ) = 1
        """
    )
    _marts(con, days, sessions)
    return con


def _marts(con: duckdb.DuckDBPyConnection, days: int, sessions: int) -> None:
    con.execute(
        """
        create table marts.fct_funnel_steps as
        with v(funnel_name, breakdown_value, step_index, step_name, persons) as (values
            ('checkout', '(all)', 1, 'Product Viewed', 100),
            ('checkout', '(all)', 2, 'Product Added', 60),
            ('checkout', '(all)', 3, 'Order Completed', 30),
            ('checkout', 'free', 1, 'Product Viewed', 70),
            ('checkout', 'free', 2, 'Product Added', 40),
            ('checkout', 'free', 3, 'Order Completed', 20),
            ('checkout', 'pro', 1, 'Product Viewed', 30),
            ('checkout', 'pro', 2, 'Product Added', 20),
            ('checkout', 'pro', 3, 'Order Completed', 10),
            ('signup', '(all)', 1, 'Home', 50), ('signup', '(all)', 2, 'Sign Up', 50)
        )
        select
            funnel_name, breakdown_value, step_index::integer as step_index, step_name,
            persons::bigint as persons,
            persons / first_value(persons) over w as conversion_from_start,
            persons / coalesce(lag(persons) over w, persons) as conversion_from_previous,
            60.0 as avg_seconds_from_previous, 50.0 as median_seconds_from_previous
        from v
        window w as (partition by funnel_name, breakdown_value order by step_index)
        """
    )
    con.execute(
        """
        create table marts.fct_retention as
        with c as (
            select 'weekly_active' as retention_name, 'week' as period,
                   date '2024-02-05' + 7 * c::integer as cohort_start, o::integer as period_offset,
                   10::bigint as cohort_size,
                   (case o when 0 then 10 when 1 then 5 else 3 end)::bigint as retained_persons
            from range(3) t(c), range(3) u(o)
        )
        select *, retained_persons / cohort_size as retention_rate from c
        """
    )
    con.execute(
        """
        create table marts.dim_persons as
        select
            'p' || i as person_id,
            case when i % 10 < 3 then ['user-' || i] else []::varchar[] end as user_ids,
            ['anon-' || i] as anonymous_ids,
            i >= 100 as is_bot
        from range(102) t(i)
        """
    )
    con.execute(
        """
        create table marts.person_identities as
        select 'anonymous_id' as identifier_type, 'anon-' || i as identifier,
               'p' || i as person_id
        from range(102) t(i)
        union all
        select 'user_id', 'user-' || i, 'p' || i from range(100) t(i) where i % 10 < 3
        """
    )
    con.execute(
        """
        create table marts.fct_sessions as
        select
            md5(d || '-' || i) as session_id,
            'p' || (i % 100) as person_id,
            'anon-' || (i % 100) as anonymous_id,
            ($day0::date + d::integer)::timestamp + to_seconds(i * 86000 // $n) as started_at,
            ($day0::date + d::integer)::timestamp + to_seconds(i * 86000 // $n)
                + to_seconds(i % 100 * 10) as ended_at,
            (i % 100 * 10)::double as duration_s,
            (1 + i % 5)::bigint as event_count,
            ((1 + i % 5) // 2)::bigint as pageview_count
        from range($days) t(d), range($n) r(i)
        """,
        {"day0": DAY0, "days": days, "n": sessions},
    )
