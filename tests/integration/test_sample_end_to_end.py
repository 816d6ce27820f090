"""The one-shot command on the bundled sample, compared with the simulator's ground truth.

One real `spoor run` (dlt, dbt and every check, through Dagster) feeds every test here.
"""

from __future__ import annotations

import re

import duckdb
import pytest


@pytest.fixture(scope="module")
def wh(sample_run):
    assert sample_run.returncode == 0, sample_run.stderr[-4000:]
    con = duckdb.connect(str(sample_run.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield con
    con.close()


def truth_csv(sample_run, name: str) -> str:
    return f"read_csv('{sample_run.sample.truth / name}', header = true, all_varchar = true)"


def symmetric_difference(con, left: str, right: str) -> list[tuple]:
    """Rows in one query and not the other (both directions); empty when they agree."""
    return con.execute(
        f"(({left}) except all ({right})) union all (({right}) except all ({left})) limit 10"
    ).fetchall()


def test_summary_reports_truth_counts(sample_run):
    truth = sample_run.sample.summary()
    out = sample_run.stdout
    assert "spoor run succeeded" in out
    assert re.search(rf"rows loaded\s+{truth['valid_lines']}\b", out), out
    assert re.search(rf"rows rejected\s+{truth['rejected_lines']}\b", out), out
    assert re.search(rf"files loaded\s+{truth['files']}\b", out), out
    assert re.search(r"checks failed\s+\d+ \(0 blocking\)", out), out
    assert "marts.fct_funnel_steps" in out and "marts.fct_retention" in out


def test_every_file_is_accounted_for(sample_run, wh):
    diff = symmetric_difference(
        wh,
        "select file, lines::bigint, valid::bigint, rejected::bigint from audit.file_manifest",
        f"select file, lines::bigint, valid::bigint, rejected::bigint "
        f"from {truth_csv(sample_run, 'files.csv')}",
    )
    assert diff == []


def test_every_fault_is_rejected_with_its_reasons(sample_run, wh):
    diff = symmetric_difference(
        wh,
        "select file, line_number::bigint, array_to_string(list_sort(reasons), ';') "
        "from audit.rejected_events",
        "select file, line_number::bigint, reasons "
        f"from {truth_csv(sample_run, 'rejected_lines.csv')}",
    )
    assert diff == []


def test_events_are_deduplicated(sample_run, wh):
    truth = sample_run.sample.summary()
    assert (
        wh.execute("select count(*) from marts.fct_events").fetchall()[0][0]
        == truth["distinct_messages"]
    )
    assert wh.execute("select count(*) from raw.events").fetchall()[0][0] == truth["valid_lines"]


def test_identities_match_truth(sample_run, wh):
    diff = symmetric_difference(
        wh,
        "select identifier_type, identifier, person_id from marts.person_identities",
        "select identifier_type, identifier, person_id "
        f"from {truth_csv(sample_run, 'identities.csv')}",
    )
    assert diff == []


def test_sessions_match_truth(sample_run, wh):
    diff = symmetric_difference(
        wh,
        "select person_id, strftime(started_at, '%Y-%m-%dT%H:%M:%S.%g'), "
        "strftime(ended_at, '%Y-%m-%dT%H:%M:%S.%g'), event_count::bigint from marts.fct_sessions",
        "select person_id, left(started_at, 23), left(ended_at, 23), event_count::bigint "
        f"from {truth_csv(sample_run, 'sessions.csv')}",
    )
    assert diff == []


def test_funnel_step_counts_match_truth(sample_run, wh):
    conversions = (
        "round(conversion_from_start::double, 9), round(conversion_from_previous::double, 9)"
    )
    diff = symmetric_difference(
        wh,
        f"select funnel_name, breakdown_value, step_index::int, persons::bigint, {conversions} "
        "from marts.fct_funnel_steps",
        "select funnel_name, coalesce(breakdown_value, ''), step_index::int, persons::bigint, "
        f"{conversions} from {truth_csv(sample_run, 'funnels.csv')}",
    )
    assert diff == []


def test_funnel_times_match_truth(sample_run, wh):
    rows = wh.execute(
        "select m.funnel_name, m.breakdown_value, m.step_index, "
        "m.avg_seconds_from_previous, t.avg_seconds_from_previous::double, "
        "m.median_seconds_from_previous, t.median_seconds_from_previous::double "
        "from marts.fct_funnel_steps m join "
        f"{truth_csv(sample_run, 'funnels.csv')} t "
        "on m.funnel_name = t.funnel_name and m.breakdown_value = coalesce(t.breakdown_value, '') "
        "and m.step_index = t.step_index::int"
    ).fetchall()
    assert rows
    for *key, avg, avg_truth, median, median_truth in rows:
        assert avg == pytest.approx(avg_truth, abs=1e-3), key
        assert median == pytest.approx(median_truth, abs=1e-3), key


def test_retention_matrix_matches_truth(sample_run, wh):
    diff = symmetric_difference(
        wh,
        "select retention_name, period, cohort_start::varchar, period_offset::int, "
        "cohort_size::bigint, retained_persons::bigint from marts.fct_retention",
        "select retention_name, period, cohort_start, period_offset::int, cohort_size::bigint, "
        f"retained_persons::bigint from {truth_csv(sample_run, 'retention.csv')}",
    )
    assert diff == []


def test_active_persons_match_a_brute_force_count(sample_run, wh):
    """DAU/WAU/MAU (a running sum over each person's non-overlapping coverings) equal the
    definition counted the slow way: distinct active persons in the 1/7/30 days ending on
    each day, from fct_events (track/page/screen, no bots, days in the analytics timezone)."""
    (timezone,) = wh.execute("select timezone from config.settings").fetchone()
    brute = f"""
        with person_days as (
            select distinct person_id, cast(timezone('{timezone}', occurred_at) as date) as d
            from marts.fct_events
            where event_type in ('track', 'page', 'screen') and not is_bot
                and person_id is not null
        ),
        days as (
            select cast(unnest(generate_series(min(d), max(d), interval 1 day)) as date) as d
            from person_days
        )
        select days.d,
            count(distinct p.person_id) filter (where p.d = days.d),
            count(distinct p.person_id) filter (where p.d > days.d - 7),
            count(distinct p.person_id)
        from days left join person_days as p on p.d between days.d - 29 and days.d
        group by days.d
    """
    mart = (
        "select activity_date, daily_active_persons, weekly_active_persons,"
        " monthly_active_persons from marts.fct_active_persons"
    )
    assert wh.execute(f"select count(*) from ({mart})").fetchone()[0] >= 28
    assert symmetric_difference(wh, mart, brute) == []
