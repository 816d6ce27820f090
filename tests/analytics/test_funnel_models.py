"""Real dbt on the analytics models over a hand-made events table; every expected number
below is computed by hand from the events listed here."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from ingestion.analytics_definitions import load_analytics, write_definitions

from .conftest import make_project, run_dbt, write_events

INJ = "x'; DROP TABLE y; --"

DEFINITIONS = f"""
timezone: UTC
week_start: monday
funnels:
  - name: "{INJ}"
    steps:
      - {{event: Product Viewed}}
      - {{event: Product Added, where: {{note: "{INJ}"}}}}
      - {{event: Order Completed}}
    order: ordered
    window: {{value: 1, unit: hour}}
    breakdown: properties.plan
  - name: strict
    steps: [{{event: Product Added}}, {{event: Order Completed}}]
    order: strict
    window: {{value: 1, unit: day}}
  - name: any_order
    steps: [{{event: Order Completed}}, {{event: Product Viewed}}]
    order: unordered
    window: {{value: 1, unit: hour}}
    breakdown: context.campaign.source
  - name: excl
    steps: [{{event: Signed Up}}, {{event: Plan Chosen}}]
    order: ordered
    window: {{value: 1, unit: hour}}
    exclusions: [{{event: Coupon Removed, from_step: 1, to_step: 2}}]
retention:
  - {{name: daily, start_event: page, return_event: page, period: day, type: recurring,
     intervals: 3}}
  - {{name: first_page, start_event: page, return_event: page, period: day,
     type: first_time, intervals: 3}}
"""


def ev(i, person, name, at, typ="track", **kw):
    return dict(event_id=f"e{i:02d}", person_id=person, event_name=name, event_type=typ,
                occurred_at=f"2025-01-{at}", **kw)  # fmt: skip


EVENTS = [
    # p1 converts fully: 600 s then 1800 s
    ev(
        1,
        "p1",
        "Product Viewed",
        "01 10:00:00",
        properties={"plan": "free"},
        campaign_source="google",
    ),
    ev(2, "p1", "Product Added", "01 10:10:00", properties={"note": INJ}),
    ev(3, "p1", "Order Completed", "01 10:40:00"),
    # p2: the 10:00 attempt's window closes before the add; the 11:00 attempt reaches 2.
    # First-touch plan is 'pro' (the earliest view has none).
    ev(4, "p2", "Product Viewed", "01 10:00:00"),
    ev(5, "p2", "Product Viewed", "01 11:00:00", properties={"plan": "pro"}),
    ev(6, "p2", "Product Added", "01 11:30:00", properties={"note": INJ}),
    # p3: add at the same instant as the view (0 s: counted, time ignored); the later
    # add has another note and matches no step
    ev(7, "p3", "Product Viewed", "01 10:00:00", properties={"plan": "free"}),
    ev(8, "p3", "Product Added", "01 10:00:00", properties={"note": INJ}),
    ev(9, "p3", "Product Added", "01 10:05:00", properties={"note": "other"}),
    # p4 is a bot: counted nowhere
    ev(10, "p4", "Product Viewed", "01 10:00:00", is_bot=True),
    ev(11, "p4", "Product Added", "01 10:01:00", is_bot=True, properties={"note": INJ}),
    ev(12, "p4", "home", "05 10:00:00", typ="page", is_bot=True),
    # excl funnel (window 1 h): p5 coupon between steps -> removed; p6 coupon after step 2
    # -> kept; p7 coupon after the window -> kept; p8 coupon exactly at window end -> removed
    ev(13, "p5", "Signed Up", "01 12:00:00"),
    ev(14, "p5", "Coupon Removed", "01 12:10:00"),
    ev(15, "p5", "Plan Chosen", "01 12:20:00"),
    ev(16, "p6", "Signed Up", "01 12:00:00"),
    ev(17, "p6", "Plan Chosen", "01 12:20:00"),
    ev(18, "p6", "Coupon Removed", "01 12:30:00"),
    ev(19, "p7", "Signed Up", "01 12:00:00"),
    ev(20, "p7", "Coupon Removed", "01 13:30:00"),
    ev(21, "p8", "Signed Up", "01 12:00:00"),
    ev(22, "p8", "Coupon Removed", "01 13:00:00"),
    # pages for retention: p1 on days 1, 2, 4; p2 on days 2, 3
    ev(23, "p1", "home", "01 09:00:00", typ="page"),
    ev(24, "p1", "home", "02 09:00:00", typ="page"),
    ev(25, "p1", "home", "04 09:00:00", typ="page"),
    ev(26, "p2", "home", "02 23:59:59", typ="page"),
    ev(27, "p2", "home", "03 00:00:00", typ="page"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("analytics")
    project = make_project(root)
    db = root / "w.duckdb"
    (root / "analytics.yml").write_text(DEFINITIONS)
    with duckdb.connect(str(db)) as con:
        write_events(con, EVENTS)
        con.execute(
            "create table fixture.fct_sessions as select * from (values"
            " ('s1', 'p1', timestamp '2025-01-01 09:00:00', 'Direct'),"
            " ('s0', 'p1', timestamp '2024-12-31 09:00:00', 'Email'))"
            " t(session_id, person_id, started_at, channel)"
        )
        con.execute("create table y (keep int)")  # the injection's target must survive
        write_definitions(load_analytics(root / "analytics.yml"), con)
    run_dbt(project, db, "build")
    with duckdb.connect(str(db), read_only=True) as con:
        yield con


def funnel(con, name):
    rows = con.execute(
        "select breakdown_value, step_index, persons, conversion_from_start,"
        " conversion_from_previous, avg_seconds_from_previous, median_seconds_from_previous"
        " from marts.fct_funnel_steps where funnel_name = ? order by 1, 2",
        [name],
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_ordered_funnel_with_filters_breakdown_and_injected_names(warehouse):
    assert funnel(warehouse, INJ) == {
        ("(all)", 1): (3, 1.0, 1.0, None, None),
        ("(all)", 2): (3, 1.0, 1.0, 1200.0, 1200.0),
        ("(all)", 3): (1, 1 / 3, 1 / 3, 1800.0, 1800.0),
        ("free", 1): (2, 1.0, 1.0, None, None),
        ("free", 2): (2, 1.0, 1.0, 600.0, 600.0),
        ("free", 3): (1, 0.5, 0.5, 1800.0, 1800.0),
        ("pro", 1): (1, 1.0, 1.0, None, None),
        ("pro", 2): (1, 1.0, 1.0, 1800.0, 1800.0),
        ("pro", 3): (0, 0.0, 0.0, None, None),
    }
    assert warehouse.execute("select count(*) from y").fetchall() == [(0,)]


def test_strict_funnel(warehouse):
    # p1: add then order next; p2: add only; p3: add followed by another add
    assert funnel(warehouse, "strict") == {
        ("(all)", 1): (3, 1.0, 1.0, None, None),
        ("(all)", 2): (1, 1 / 3, 1 / 3, 1800.0, 1800.0),
    }


def test_unordered_funnel_with_context_breakdown(warehouse):
    # p1 did both (view 10:00, order 10:40); p2 and p3 only viewed
    assert funnel(warehouse, "any_order") == {
        ("(all)", 1): (3, 1.0, 1.0, None, None),
        ("(all)", 2): (1, 1 / 3, 1 / 3, 2400.0, 2400.0),
        ("", 1): (2, 1.0, 1.0, None, None),
        ("", 2): (0, 0.0, 0.0, None, None),
        ("google", 1): (1, 1.0, 1.0, None, None),
        ("google", 2): (1, 1.0, 1.0, 2400.0, 2400.0),
    }


def test_exclusions(warehouse):
    assert funnel(warehouse, "excl") == {
        ("(all)", 1): (2, 1.0, 1.0, None, None),
        ("(all)", 2): (1, 0.5, 0.5, 1200.0, 1200.0),
    }


def test_retention_cells(warehouse):
    rows = warehouse.execute(
        "select retention_name, cohort_start, period_offset, cohort_size, retained_persons,"
        " retention_rate from marts.fct_retention order by all"
    ).fetchall()
    d = lambda day: date(2025, 1, day)  # noqa: E731
    # The bot's page on day 5 must not extend the cells past day 4.
    assert rows == sorted([
        ("daily", d(1), 0, 1, 1, 1.0), ("daily", d(1), 1, 1, 1, 1.0),
        ("daily", d(1), 2, 1, 0, 0.0), ("daily", d(1), 3, 1, 1, 1.0),
        ("daily", d(2), 0, 2, 2, 1.0), ("daily", d(2), 1, 2, 1, 0.5),
        ("daily", d(2), 2, 2, 1, 0.5),
        ("daily", d(3), 0, 1, 1, 1.0), ("daily", d(3), 1, 1, 0, 0.0),
        ("daily", d(4), 0, 1, 1, 1.0),
        ("first_page", d(1), 0, 1, 1, 1.0), ("first_page", d(1), 1, 1, 1, 1.0),
        ("first_page", d(1), 2, 1, 0, 0.0), ("first_page", d(1), 3, 1, 1, 1.0),
        ("first_page", d(2), 0, 1, 1, 1.0), ("first_page", d(2), 1, 1, 1, 1.0),
        ("first_page", d(2), 2, 1, 0, 0.0),
    ])  # fmt: skip


def test_person_profile(warehouse):
    assert warehouse.execute(
        "select session_count, event_count, order_count, first_touch_channel"
        " from marts.dim_person_profiles where person_id = 'p1'"
    ).fetchall() == [(2, 6, 1, "Email")]
    assert warehouse.execute(
        "select count(*) from marts.dim_person_profiles where person_id = 'p4'"
    ).fetchall() == [(0,)]
