"""The semantic layer and the dbt docs, against the warehouse a real `spoor run` built.

Every metric query is a real `mf query` (CSV output) compared exactly with SQL written
directly against the marts. Both live in one file so that one worker builds the warehouse
once (`pytest -n 2 --dist loadfile`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

MARTS = [
    "fct_events",
    "fct_sessions",
    "dim_persons",
    "person_identities",
    "fct_funnel_steps",
    "fct_retention",
    "fct_active_persons",
    "fct_lifecycle",
    "dim_person_profiles",
]


def day(value: str | date | datetime) -> date:
    """A metric_time value (MetricFlow writes timestamps) or a SQL date, as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(value).date()


def num(value: str) -> int | float | None:
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return float(value)


def opt(value: str) -> str | None:
    """A categorical value from the CSV: MetricFlow writes SQL null as ''."""
    return value or None


QUERIES = {
    "validate": ["validate-configs"],
    "list": ["list", "metrics"],
    "sessions_by_day": ["query", "--metrics", "sessions", "--group-by", "metric_time__day"],
    "sessions_by_week_geo": [
        "query", "--metrics", "sessions", "--group-by",
        "metric_time__week,session__country,session__device,session__source_id",
    ],
    "rates_by_channel": [
        "query", "--metrics", "sessions,bounce_rate,engaged_session_rate",
        "--group-by", "session__channel",
    ],
    "rates": ["query", "--metrics", "bounce_rate,engaged_session_rate"],
    "revenue_by_month_channel": [
        "query", "--metrics", "revenue,orders", "--group-by", "metric_time__month,session__channel",
    ],
    "revenue": ["query", "--metrics", "revenue,orders"],
    "active_by_day": [
        "query", "--metrics", "active_persons,daily_active_persons,weekly_active_persons",
        "--group-by", "metric_time__day",
    ],
    "active_by_week_channel": [
        "query", "--metrics", "active_persons", "--group-by", "metric_time__week,event__channel",
    ],
    "wau_by_week": [
        "query", "--metrics", "weekly_active_persons", "--group-by", "metric_time__week",
    ],
    "funnels": [
        "query",
        "--metrics", "funnel_conversion_rate,funnel_entered_persons,funnel_converted_persons",
        "--group-by", "funnel_step__funnel_name",
    ],
    "funnels_by_breakdown": [
        "query", "--metrics", "funnel_breakdown_conversion_rate",
        "--group-by", "funnel_step__funnel_name,funnel_step__breakdown_value",
    ],
    "funnel_steps": [
        "query", "--metrics", "funnel_step_persons",
        "--group-by", "funnel_step__funnel_name,funnel_step__step_index",
    ],
    **{
        f"retention_week_{week}{suffix}": [
            "query", "--metrics", f"retention_week_{week}", "--group-by", group_by,
        ]
        for week in (1, 4)
        for suffix, group_by in [
            ("", "retention_cell__retention_name"),
            ("_by_cohort", "retention_cell__retention_name,metric_time__week"),
        ]
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def mf(semantic_project, tmp_path_factory):
    """Every command of QUERIES, run once (one interpreter: MetricFlow imports slowly)."""
    return semantic_project.mf_batch(QUERIES, tmp_path_factory.mktemp("mf"))


def result_rows(mf, name: str) -> list[dict[str, str]]:
    return mf[name].check().rows


# --- the semantic manifest ---------------------------------------------------------------


def test_semantic_manifest_validates(mf):
    # semantic rules, then every semantic model, dimension, entity, measure and metric
    # queried against the warehouse; a failure exits 1 and lists the issues as "• ..."
    out = mf["validate"].check().stdout
    assert "•" not in out


def test_list_metrics(mf):
    out = mf["list"].check().stdout
    for metric in [
        "active_persons",
        "sessions",
        "bounce_rate",
        "engaged_session_rate",
        "funnel_conversion_rate",
        "orders",
        "revenue",
        "retention_week_1",
        "retention_week_4",
    ]:
        assert f"• {metric}:" in out, metric


# --- metrics against SQL on the marts ----------------------------------------------------


def test_sessions_by_day(semantic_project, mf):
    rows = result_rows(mf, "sessions_by_day")
    got = {day(r["metric_time__day"]): int(r["sessions"]) for r in rows}
    want = dict(
        semantic_project.sql(
            "select cast(started_at as date), count(*) from marts.fct_sessions group by 1"
        )
    )
    assert len(want) >= 28
    assert got == want


def test_sessions_by_week_country_device_source(semantic_project, mf):
    rows = result_rows(mf, "sessions_by_week_geo")
    got = {
        (
            day(r["metric_time__week"]),
            opt(r["session__country"]),
            opt(r["session__device"]),
            opt(r["session__source_id"]),
        ): int(r["sessions"])
        for r in rows
    }
    want = {
        key[:4]: key[4]
        for key in semantic_project.sql(
            """
            select cast(date_trunc('week', started_at) as date), country_code, device_type,
                source_id, count(*)
            from marts.fct_sessions group by all
            """
        )
    }
    assert len({k[2] for k in want}) >= 2 and len({k[3] for k in want}) >= 2
    assert got == want


def test_bounce_and_engaged_rates_by_channel(semantic_project, mf):
    rows = result_rows(mf, "rates_by_channel")
    got = {
        opt(r["session__channel"]): (
            int(r["sessions"]),
            num(r["bounce_rate"]),
            num(r["engaged_session_rate"]),
        )
        for r in rows
    }
    want = {
        channel: (sessions, bounce, engaged)
        for channel, sessions, bounce, engaged in semantic_project.sql(
            """
            select channel, count(*),
                count(*) filter (where is_bounce) / count(*),
                count(*) filter (where is_engaged) / count(*)
            from marts.fct_sessions group by channel
            """
        )
    }
    assert len(want) >= 4
    assert got == want
    # and over everything
    [total] = result_rows(mf, "rates")
    [(bounce, engaged)] = semantic_project.sql(
        "select count(*) filter (where is_bounce) / count(*),"
        " count(*) filter (where is_engaged) / count(*) from marts.fct_sessions"
    )
    assert (num(total["bounce_rate"]), num(total["engaged_session_rate"])) == (bounce, engaged)
    assert 0 < bounce < 1 and 0 < engaged < 1


def test_revenue_and_orders_by_month_and_channel(semantic_project, mf):
    rows = result_rows(mf, "revenue_by_month_channel")
    got = {
        (day(r["metric_time__month"]), opt(r["session__channel"])): (
            Decimal(r["revenue"]) if r["revenue"] else None,
            int(r["orders"]),
        )
        for r in rows
    }
    # The order's session gives the channel (GA4 attribution); bots' orders are left out.
    want = {
        (month, channel): (revenue, orders)
        for month, channel, revenue, orders in semantic_project.sql(
            """
            with events as (
                select
                    e.*,
                    e.event_type = 'track' and e.event_name = 'Order Completed'
                        and not e.is_bot as is_order
                from marts.fct_events as e
            )
            select
                cast(date_trunc('month', e.occurred_at) as date),
                s.channel,
                sum(cast(coalesce(
                    try_cast(json_extract_string(e.properties, '/revenue') as double),
                    try_cast(json_extract_string(e.properties, '/total') as double)
                ) as decimal(38, 9))) filter (where e.is_order),
                count(*) filter (where e.is_order)
            from events as e
            left join marts.fct_sessions as s on e.session_id = s.session_id
            group by all
            """
        )
    }
    assert sum(orders for _, orders in want.values()) > 100
    assert got == want
    # the total agrees with the persons' revenue in dim_person_profiles (to the cent)
    [total] = result_rows(mf, "revenue")
    [(profile_revenue, profile_orders)] = semantic_project.sql(
        "select sum(revenue), sum(order_count) from marts.dim_person_profiles"
    )
    assert int(total["orders"]) == profile_orders
    assert Decimal(total["revenue"]) == Decimal(str(round(profile_revenue, 2)))


def test_active_persons_by_day_equal_fct_active_persons(semantic_project, mf):
    rows = result_rows(mf, "active_by_day")
    got = {
        day(r["metric_time__day"]): (
            num(r["active_persons"]) or 0,
            num(r["daily_active_persons"]),
            num(r["weekly_active_persons"]),
        )
        for r in rows
    }
    want = {
        d: (dau, dau, wau)
        for d, dau, wau in semantic_project.sql(
            "select activity_date, daily_active_persons, weekly_active_persons"
            " from marts.fct_active_persons"
        )
    }
    assert len(want) >= 28
    assert got == want


def test_active_persons_by_week_and_channel(semantic_project, mf):
    rows = result_rows(mf, "active_by_week_channel")
    got = {
        (day(r["metric_time__week"]), opt(r["event__channel"])): int(r["active_persons"])
        for r in rows
        if int(r["active_persons"]) > 0
    }
    want = {
        (week, channel): persons
        for week, channel, persons in semantic_project.sql(
            """
            select cast(date_trunc('week', occurred_at) as date), channel,
                count(distinct person_id)
            from marts.fct_events
            where event_type in ('track', 'page', 'screen') and not is_bot
                and person_id is not null
            group by all
            """
        )
    }
    assert got == want
    # WAU at week grain is the rolling 7 days ending on the week's last day
    rows = result_rows(mf, "wau_by_week")
    got = {day(r["metric_time__week"]): int(r["weekly_active_persons"]) for r in rows}
    want = dict(
        semantic_project.sql(
            "select cast(date_trunc('week', activity_date) as date),"
            " arg_max(weekly_active_persons, activity_date)"
            " from marts.fct_active_persons group by 1"
        )
    )
    assert got == want


def test_funnel_conversion_rate_per_funnel(semantic_project, mf):
    rows = result_rows(mf, "funnels")
    got = {
        r["funnel_step__funnel_name"]: (
            num(r["funnel_entered_persons"]),
            num(r["funnel_converted_persons"]),
            num(r["funnel_conversion_rate"]),
        )
        for r in rows
    }
    want = {
        funnel: (entered, converted, rate)
        for funnel, entered, converted, rate in semantic_project.sql(
            """
            select funnel_name,
                arg_min(persons, step_index),
                arg_max(persons, step_index),
                arg_max(conversion_from_start, step_index)
            from marts.fct_funnel_steps
            where breakdown_value = '(all)'
            group by funnel_name
            """
        )
    }
    # every funnel of analytics.yml, with no SQL per funnel
    assert set(want) == {
        "checkout",
        "signup_to_order",
        "checkout_strict",
        "browse_any_order",
        "checkout_no_coupon_removal",
    }
    assert got == want
    assert all(0 < rate < 1 for _, _, rate in want.values())


def test_funnel_conversion_rate_per_breakdown(semantic_project, mf):
    rows = result_rows(mf, "funnels_by_breakdown")
    got = {
        (r["funnel_step__funnel_name"], r["funnel_step__breakdown_value"]): num(
            r["funnel_breakdown_conversion_rate"]
        )
        for r in rows
    }
    want = {
        (funnel, value): rate
        for funnel, value, rate in semantic_project.sql(
            """
            select funnel_name, breakdown_value, arg_max(conversion_from_start, step_index)
            from marts.fct_funnel_steps
            where breakdown_value <> '(all)'
            group by all
            """
        )
    }
    assert len(want) >= 3
    assert got == want


def test_funnel_steps(semantic_project, mf):
    rows = result_rows(mf, "funnel_steps")
    got = {
        (r["funnel_step__funnel_name"], int(r["funnel_step__step_index"])): int(
            r["funnel_step_persons"]
        )
        for r in rows
    }
    want = {
        (funnel, step): persons
        for funnel, step, persons in semantic_project.sql(
            "select funnel_name, step_index, persons from marts.fct_funnel_steps"
            " where breakdown_value = '(all)'"
        )
    }
    assert got == want


@pytest.mark.parametrize("week", [1, 4])
def test_retention_week_n(semantic_project, mf, week):
    metric = f"retention_week_{week}"
    rows = result_rows(mf, f"retention_week_{week}")
    got = {r["retention_cell__retention_name"]: num(r[metric]) for r in rows}
    want = dict(
        semantic_project.sql(
            f"""
            select retention_name, sum(retained_persons) / sum(cohort_size)
            from marts.fct_retention
            where period = 'week' and period_offset = {week}
            group by retention_name
            """
        )
    )
    assert set(want) == {"weekly_active", "weekly_new_buyers"}
    assert got == want
    # per cohort week it is the mart's own retention_rate
    rows = result_rows(mf, f"retention_week_{week}_by_cohort")
    got = {
        (r["retention_cell__retention_name"], day(r["metric_time__week"])): num(r[metric])
        for r in rows
    }
    want = {
        (name, cohort): rate
        for name, cohort, rate in semantic_project.sql(
            f"""
            select retention_name, cohort_start, retention_rate from marts.fct_retention
            where period = 'week' and period_offset = {week}
            """
        )
    }
    assert len(want) >= 2
    assert got == want


def test_mf_never_touched_the_network(semantic_project, mf):
    # every mf command went through the audit hook of tests/semantic/mf_offline.py
    assert not semantic_project.network_log.exists(), semantic_project.network_log.read_text()


# --- dbt docs ----------------------------------------------------------------------------


def test_docs_catalog_has_every_mart(semantic_project):
    catalog = json.loads((semantic_project.root / "target" / "catalog.json").read_text())
    tables = {
        (node["metadata"]["schema"], node["metadata"]["name"]) for node in catalog["nodes"].values()
    }
    for mart in MARTS:
        assert ("marts", mart) in tables, mart
    built = {
        name
        for (name,) in semantic_project.sql(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    assert built <= {name for schema, name in tables if schema == "marts"}


def test_every_mart_and_column_is_described(semantic_project):
    """Every model in marts/audit, and every column its table really has, has a description."""
    target = semantic_project.root / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    missing = []
    checked = 0
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["config"].get("schema") not in (
            "marts",
            "audit",
        ):
            continue
        checked += 1
        if not node["description"].strip():
            missing.append(node["name"])
        documented = {
            name.lower(): column.get("description", "").strip()
            for name, column in node["columns"].items()
        }
        for column in catalog["nodes"][unique_id]["columns"]:
            if not documented.get(column.lower()):
                missing.append(f"{node['name']}.{column}")
    assert checked >= len(MARTS) + 5
    assert missing == []


def test_exposures_declare_the_dashboards(semantic_project):
    manifest = json.loads((semantic_project.root / "target" / "manifest.json").read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    report = exposures["spoor_html_report"]
    assert report["type"] == "dashboard" and report["owner"]["email"]
    assert {node.split(".")[-1] for node in report["depends_on"]["nodes"]} >= {
        "fct_funnel_steps",
        "fct_retention",
        "fct_active_persons",
        "fct_sessions",
        "rejected_events",
    }
    bi = exposures["product_kpis"]
    assert bi["type"] == "dashboard"
    assert any(node.startswith("metric.") for node in bi["depends_on"]["nodes"])


def test_mf_reads_the_snapshot_while_a_run_holds_the_warehouse(
    semantic_project, mf, tmp_path_factory
):
    """SPOOR_DBT_TARGET=serving: `mf` reads the published snapshot read-only, so it works
    while another process holds the warehouse for writing (and never blocks that run)."""
    import shutil
    import subprocess
    import sys
    from dataclasses import replace

    serving = semantic_project.warehouse.parent / "serving"
    assert (serving / "spoor.duckdb").exists()
    root = tmp_path_factory.mktemp("serving_project") / "dbt_project"
    shutil.copytree(semantic_project.root, root, ignore=shutil.ignore_patterns("target", "logs"))
    env = {
        **semantic_project.env,
        "SPOOR_DBT_TARGET": "serving",
        "SPOOR_SERVING": str(serving),
        "DBT_PROFILES_DIR": str(root),
        "DBT_PROJECT_DIR": str(root),
    }
    project = replace(semantic_project, root=root, env=env)
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(600)", str(semantic_project.warehouse)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout.readline().strip() == "locked"
        proc = project.dbt("parse")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        got = project.mf_batch(
            {"sessions_by_day": QUERIES["sessions_by_day"]}, tmp_path_factory.mktemp("mf_serving")
        )
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert result_rows(got, "sessions_by_day") == result_rows(mf, "sessions_by_day")
