"""A lower bound for issue #4's full-build target: the leanest build of two marts alone.

    uv run python -m benchmarks.bench_models_floor                # ~5M events (cached data)
    uv run python -m benchmarks.bench_models_floor --scale 0.2    # ~1M events, quick

The target is a full `dbt run` in at most 6x the bare sessionization query of
benchmarks/bench_models.py. This script asks how close to that any build can come. It
builds fct_events and fct_sessions with no dbt, in the fewest statements I found fastest,
in one DuckDB connection with the profile's settings. The bare query runs in the same
process, alternating with the floor.

  (1) staged: dedup, corrected time and the context fields, then user agent, country,
      referrer host and the person and device from the identity graph. These are the
      joins of int_events_enriched and int_events_identified.
  (2) sessions: the 30-minute gap and ties broken by event_id, on narrow rows.
  (3) fct_events: (1) with its session_id, written to the warehouse file.
  (4) fct_sessions: one GROUP BY over (3).

(1) and (2) are temp tables, kept in memory for free. The lookups of (1) are built
beforehand and not timed: user agents, IPs and the identity graph. What is left out only
makes a real build dearer: the 24 h split, channels, staging and intermediate tables
kept for incremental runs, identity resolution, traits, funnels, retention, lifecycle,
active persons and profiles. Also left out are dbt's per-run overhead, timed here as
`dbt run` of one trivial model, and the tests.

The base warehouse is bench_models': the same --work cache, shared. Read the ratios, not
the seconds: the machine is shared.

Figures, 5M (5,013,006 events), idle machine, five rounds over three invocations
(session 19): bare 6.1-6.3 s; floor (1)-(4) 28.0-30.9 s, i.e. 4.46-5.05x bare: (1)
10.2-12.4 s, (2) 5.0-5.5 s, (3) 10.7-11.3 s, (4) 1.7-1.8 s. A one-model `dbt run` takes
4.3-4.4 s (0.7x). So these two marts and dbt's start alone come to 5.2-5.8x bare, before
anything else the issue asks for is built.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.bench_ingestion import ensure_data
from benchmarks.bench_models import BARE_SQL, REPO, base_warehouse, copy, dbt, work_dir

CONTEXT_FIELDS = {
    "page": ["url", "path", "referrer", "title", "search"],
    "campaign": ["source", "medium", "name", "term", "content"],
    "library": ["name", "version"],
    "app": ["name", "version"],
    "locale": None,
    "timezone": None,
    "userAgent": None,
    "ip": None,
}

_SCHEMA = json.dumps(
    {k: ({f: "VARCHAR" for f in v} if v else "VARCHAR") for k, v in CONTEXT_FIELDS.items()}
)
_COLUMNS = ",\n        ".join(
    f"ctx.{k}.{f} as {k}_{f}" if v else f"ctx.{k} as {k.lower()}"
    for k, v in CONTEXT_FIELDS.items()
    for f in (v or [None])
)

STAGED_SQL = f"""
create or replace temp table floor_staged as
with losing as (
    select message_id, file, line_number from (
        select message_id, file, line_number,
            row_number() over (
                partition by message_id order by received_at, file, line_number) as copy_rank
        from raw.events
        where message_id in (
            select message_id from raw.events group by message_id having count(*) > 1)
    ) where copy_rank > 1
),
parsed as (
    select e.*, json_transform(e.context, '{_SCHEMA}') as ctx
    from raw.events as e
    where not exists (
        select 1 from losing as l
        where l.message_id = e.message_id and l.file = e.file and l.line_number = e.line_number)
),
events as (
    select
        message_id as event_id, type as event_type,
        case when type = 'track' then event else name end as event_name,
        nullif(anonymous_id, '') as anonymous_id, nullif(user_id, '') as user_id,
        case when sent_at is not null and original_timestamp is not null
            then received_at - (sent_at - original_timestamp)
            else coalesce(timestamp, received_at) end as occurred_at,
        received_at, received_day, properties, source_id, file, line_number, _dlt_load_id,
        {_COLUMNS}
    from parsed
),
hosts as (
    select url, regexp_extract(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)', 1) as host
    from (select page_referrer as url from events union select page_url from events)
    where url is not null
)
select
    events.*,
    ua.browser_family, ua.browser_version, ua.os_family, ua.os_version, ua.device_type,
    coalesce(ua.is_bot, false) as is_bot, ips.country_code, hosts.host as referrer_host,
    coalesce(users.person_id, anon.person_id) as person_id,
    case when anon.node_id is not null then 'anon:' || events.anonymous_id
        when users.node_id is not null then 'user:' || events.user_id end as device_key
from events
left join intermediate.int_user_agents_parsed as ua on events.useragent = ua.user_agent
left join intermediate.int_ips_geolocated as ips on events.ip = ips.ip
left join hosts on events.page_referrer = hosts.url
left join intermediate.int_identities_resolved as users
    on 'user:' || events.user_id = users.node_id
left join intermediate.int_identities_resolved as anon
    on 'anon:' || events.anonymous_id = anon.node_id
"""

SESSIONS_SQL = """
create or replace temp table floor_sessions as
with gaps as (
    select event_id, person_id, device_key, occurred_at,
        coalesce(epoch(occurred_at) - epoch(lag(occurred_at) over w) > 1800, true) as is_start
    from floor_staged
    where person_id is not null and not is_bot
    window w as (partition by person_id, device_key order by occurred_at, event_id)
),
visits as (
    select *, sum(is_start::int) over (
        partition by person_id, device_key order by occurred_at, event_id
        rows between unbounded preceding and current row) as visit_index
    from gaps
)
select event_id, md5('session:' || first_value(event_id) over (
    partition by person_id, device_key, visit_index order by occurred_at, event_id)) as session_id
from visits
"""

FCT_EVENTS_SQL = """
create or replace table main.floor_fct_events as
select staged.* exclude (device_key, ip, useragent), sessions.session_id
from floor_staged as staged
left join floor_sessions as sessions on staged.event_id = sessions.event_id
"""

FCT_SESSIONS_SQL = """
create or replace table main.floor_fct_sessions as
select
    session_id, min(person_id) as person_id, min(occurred_at) as started_at,
    max(occurred_at) as ended_at, count(*) as event_count,
    count(*) filter (where event_type = 'page') as pageview_count,
    arg_min(page_path, (occurred_at, event_id)) filter (where event_type = 'page') as entry_page,
    arg_max(page_path, (occurred_at, event_id)) filter (where event_type = 'page') as exit_page,
    arg_min(referrer_host, (occurred_at, event_id)) as referrer_host,
    arg_min(campaign_source, (occurred_at, event_id)) as campaign_source,
    arg_min(device_type, (occurred_at, event_id)) as device_type,
    arg_min(country_code, (occurred_at, event_id)) as country_code
from main.floor_fct_events
where session_id is not null
group by session_id
"""

STEPS = {"bare": BARE_SQL, "(1) staged": STAGED_SQL, "(2) sessions": SESSIONS_SQL,
         "(3) fct_events": FCT_EVENTS_SQL, "(4) fct_sessions": FCT_SESSIONS_SQL}  # fmt: skip


def timed_steps(warehouse: Path, rounds: int) -> list[dict[str, float]]:
    """Each round times every step in order, in one DuckDB connection (a subprocess)."""
    code = (
        "import json, sys, time, duckdb; c = duckdb.connect(sys.argv[1]); "
        "c.execute(\"set TimeZone = 'UTC'; set preserve_insertion_order = false\"); "
        "steps = json.loads(sys.argv[2]); out = []\n"
        "for _ in range(int(sys.argv[3])):\n"
        "    r = {}\n"
        "    for k, q in steps.items():\n"
        "        t = time.perf_counter(); c.execute(q); r[k] = time.perf_counter() - t\n"
        "    out.append(r)\n"
        "print(json.dumps(out))"
    )
    cmd = [sys.executable, "-c", code, str(warehouse), json.dumps(STEPS), str(rounds)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="/tmp/spoor-bench-5m", help="cache of the simulated set")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of ~5M events")
    ap.add_argument("--work", default="/tmp/spoor-bench-models", help="bench_models' --work")
    ap.add_argument("--rounds", type=int, default=2, help="bare and floor, alternated")
    args = ap.parse_args(argv)

    events = ensure_data(args.data, args.scale)
    work = work_dir(args.work, args.scale)
    base = base_warehouse(events, work / "cache")
    runs = work / "floor"
    runs.mkdir(parents=True, exist_ok=True)
    wh = copy(base, runs / "floor.duckdb")
    dbt(wh, runs, "seed")
    lookups = ["int_user_agents_parsed", "int_ips_geolocated", "+int_identities_resolved"]
    dbt(wh, runs, "run", "--select", *lookups)  # not timed: the floor gets them free
    # dbt's own cost of a run: start, (partial) parse, one trivial model
    dbt_s = min(dbt(wh, runs, "run", "--select", "metricflow_time_spine") for _ in range(2))

    for i, r in enumerate(timed_steps(wh, args.rounds), 1):
        floor = sum(v for k, v in r.items() if k != "bare")
        print(f"round {i}: " + ", ".join(f"{k} {v:.1f} s" for k, v in r.items()))
        print(f"  floor / bare:                   {floor / r['bare']:5.2f}x")
        print(f"  (floor + dbt run start) / bare: {(floor + dbt_s) / r['bare']:5.2f}x  "
              f"(target for everything: <= 6x)")  # fmt: skip
    print(f"one-model dbt run: {dbt_s:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
