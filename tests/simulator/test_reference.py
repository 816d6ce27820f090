"""The reference funnel/retention/sessions on tiny hand-built event lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator import reference as ref

DAY = 86_400_000
T0 = int(datetime(2025, 1, 6, tzinfo=UTC).timestamp() * 1000)  # a Monday


class Seq:
    """Builds events with unique, ordered message ids."""

    def __init__(self):
        self.n = 0
        self.events: list[ref.Event] = []

    def add(self, anon, t_ms, event=None, type_="track", user=None, props=None, ctx=None, mid=None):
        self.n += 1
        e = ref.Event(
            mid or f"m{self.n:04d}",
            type_,
            T0 + t_ms,
            event=event,
            anonymous_id=anon,
            user_id=user,
            timestamp=T0 + t_ms,
            properties=props or {},
            context=ctx,
        )
        self.events.append(e)
        return e


def funnel(spec_steps, order="ordered", window=(14, "day"), breakdown=None, exclusions=()):
    steps = [ref._step(s) for s in spec_steps]
    ex = [(ref._step(x), x["from_step"], x["to_step"]) for x in exclusions]
    return ref.Funnel("f", steps, order, window[0] * ref.UNIT_SECONDS[window[1]], breakdown, ex)


def run(f, seq):
    events, _ = ref.prepare(seq.events)
    rows = ref.funnel(f, ref.by_person(events))
    return {(r["breakdown_value"], r["step_index"]): r for r in rows}


def persons(rows, value="(all)"):
    return [rows[(value, k)]["persons"] for k in range(1, 1 + max(k for _, k in rows))]


S = 1000
CHECKOUT = [
    {"event": "Product Viewed"},
    {"event": "Product Added"},
    {"event": "Checkout Started"},
    {"event": "Order Completed"},
]


def test_ordered_window_same_instant_and_times():
    s = Seq()
    for i, name in enumerate(
        ["Product Viewed", "Product Added", "Checkout Started", "Order Completed"]
    ):
        s.add("a", i * 10 * S, name)
    s.add("b", 0, "Product Viewed")
    s.add("b", 5 * S, "Checkout Started")  # before Product Added: does not count
    s.add("b", 10 * S, "Product Added")
    s.add("c", 0, "Product Added")  # never viewed: not in the funnel
    s.add("d", 0, "Product Viewed")
    s.add("d", 14 * DAY, "Product Viewed")
    s.add("d", 15 * DAY, "Product Added")  # outside the first attempt, inside the second
    s.add("e", 100 * S, "Product Added", mid="e1")  # same instant, smaller id: still counts
    s.add("e", 100 * S, "Product Viewed", mid="e2")
    rows = run(funnel(CHECKOUT), s)
    assert persons(rows) == [4, 4, 1, 1]
    step2 = rows[("(all)", 2)]
    # a: 10 s, b: 10 s, d: 1 day; e's 0 s conversion is ignored
    assert step2["avg_seconds_from_previous"] == pytest.approx((10 + 10 + 86400) / 3)
    assert step2["median_seconds_from_previous"] == 10
    assert step2["conversion_from_previous"] == 1.0
    assert rows[("(all)", 4)]["conversion_from_previous"] == 1.0
    assert rows[("(all)", 3)]["conversion_from_start"] == 0.25


def test_window_end_is_inclusive():
    s = Seq()
    s.add("a", 0, "Product Added")
    s.add("a", 3600 * S, "Checkout Started")  # exactly at the window end
    s.add("b", 0, "Product Added")
    s.add("b", 3600 * S + 1, "Checkout Started")
    f = funnel([{"event": "Product Added"}, {"event": "Checkout Started"}], window=(1, "hour"))
    assert persons(run(f, s)) == [2, 1]


def test_strict_breaks_on_any_other_event():
    s = Seq()
    s.add("f", 0, "Product Added")
    s.add("f", 1 * S, None, type_="page")
    s.add("f", 2 * S, "Checkout Started")
    s.add("g", 0, "Product Added")
    s.add("g", 5 * S, "Checkout Started")
    s.add("h", 0, "Product Added")
    s.add("h", 2 * 3600 * S, "Checkout Started")  # next event, but outside the 1 h window
    steps = [{"event": "Product Added"}, {"event": "Checkout Started"}]
    assert persons(run(funnel(steps, "strict", (1, "hour")), s)) == [3, 1]
    assert persons(run(funnel(steps, "ordered", (1, "hour")), s)) == [3, 2]


def test_unordered_counts_distinct_steps_in_one_window():
    s = Seq()
    s.add("i", 0, "Product Added")
    s.add("i", 10 * S, "Products Searched")
    s.add("j", 0, "Product Viewed")
    s.add("j", 5 * S, "Products Searched")
    s.add("j", 50 * S, "Product Added")
    s.add("k", 0, "Products Searched")
    s.add("k", 2 * DAY, "Product Added")
    f = funnel(
        [{"event": "Products Searched"}, {"event": "Product Viewed"}, {"event": "Product Added"}],
        "unordered",
        (1, "day"),
    )
    rows = run(f, s)
    assert persons(rows) == [3, 2, 1]
    # sorted first times: i: 10 s; j: 5 s then 45 s
    assert rows[("(all)", 2)]["avg_seconds_from_previous"] == pytest.approx(7.5)
    assert rows[("(all)", 3)]["median_seconds_from_previous"] == pytest.approx(45)


def test_unordered_event_fills_one_step():
    s = Seq()
    s.add("x", 0, "Product Viewed")  # one view cannot fill both view steps
    s.add("x", 10 * S, "Product Added")
    for t in (0, 5, 20):
        s.add("y", t * S, "Product Viewed" if t < 20 else "Product Added")
    # an event matching both steps of ["view", "view of plan pro"] fills the one it must
    s.add("z", 0, "Product Viewed", props={"plan": "pro"})
    s.add("z", 30 * S, "Product Viewed", props={"plan": "free"})
    viewed = {"event": "Product Viewed"}
    f = funnel([viewed, {"event": "Product Added"}, viewed], "unordered", (1, "day"))
    assert persons(run(f, s)) == [3, 3, 1]  # x: a view and an add; z: two views
    pro = funnel([viewed, {"event": "Product Viewed", "where": {"plan": "pro"}}], "unordered")
    rows = run(pro, s)
    assert persons(rows) == [3, 1]  # x and y viewed no pro plan
    assert rows[("(all)", 2)]["avg_seconds_from_previous"] == pytest.approx(30)


def test_unordered_exclusion_wipes_progress():
    s = Seq()
    s.add("a", 0, "Products Searched")
    s.add("a", 1 * S, "Coupon Removed")
    s.add("a", 2 * S, "Product Viewed")
    s.add("b", 0, "Products Searched")
    s.add("b", 1 * S, "Product Viewed")  # at the exclusion's instant: cut too
    s.add("b", 1 * S, "Coupon Removed")
    f = funnel(
        [{"event": "Products Searched"}, {"event": "Product Viewed"}],
        "unordered",
        (1, "day"),
        exclusions=[{"event": "Coupon Removed", "from_step": 1, "to_step": 2}],
    )
    # the attempts at 0 are cut at the exclusion; a's attempt opened at 2 s starts fresh
    assert persons(run(f, s)) == [2, 0]


def test_ordered_exclusion_removes_person():
    s = Seq()
    for anon, removed_at in (("l", 5), ("m", 30), ("n", 5)):
        s.add(anon, 0, "Product Added")
        s.add(anon, removed_at * S, "Coupon Removed", props={"cart_id": "c", "coupon": "X"})
        if anon != "n":
            s.add(anon, 10 * S, "Checkout Started")
            s.add(anon, 20 * S, "Order Completed")
    f = funnel(
        [{"event": "Product Added"}, {"event": "Checkout Started"}, {"event": "Order Completed"}],
        window=(7, "day"),
        exclusions=[{"event": "Coupon Removed", "from_step": 1, "to_step": 3}],
    )
    # l: removal between steps 1 and 3; n: never reached step 3, removal in the window
    assert persons(run(f, s)) == [1, 1, 1]


def test_where_filter_and_breakdown_first_touch():
    s = Seq()
    camp = {"campaign": {"source": "google"}}
    s.add("a", 0, "Product Viewed", ctx={"campaign": {"source": ""}})
    s.add("a", 1 * S, "Product Viewed", ctx=camp)
    s.add("a", 2 * S, "Product Viewed", ctx={"campaign": {"source": "facebook"}})
    s.add("a", 3 * S, "Order Completed", props={"currency": "USD"})
    s.add("b", 0, "Product Viewed")
    s.add("b", 3 * S, "Order Completed", props={"currency": "EUR"})
    f = funnel(
        [{"event": "Product Viewed"}, {"event": "Order Completed", "where": {"currency": "USD"}}],
        breakdown="context.campaign.source",
    )
    rows = run(f, s)
    assert persons(rows) == [2, 1]
    assert persons(rows, "google") == [1, 1]
    assert persons(rows, "") == [1, 0]
    assert ("facebook", 1) not in rows


def test_identity_merge_counts_anonymous_history_as_the_user():
    s = Seq()
    s.add("anon1", 0, "Product Viewed")
    s.add("anon1", 1 * S, None, type_="identify", user="u1")
    s.add("anon2", 2 * S, "Product Added")
    alias = s.add("anon3", 3 * S, None, type_="alias", user="u1")
    alias.previous_id = "anon2"
    s.add(None, 4 * S, "Checkout Started", user="u1")
    s.add("x", 0, "Product Viewed")
    _events, ids = ref.prepare(s.events)
    assert ids[("anonymous_id", "anon2")] == "user:u1" == ids[("anonymous_id", "anon1")]
    assert ids[("anonymous_id", "x")] == "anon:x"
    assert persons(run(funnel(CHECKOUT), s)) == [2, 1, 1, 0]


def test_dedup_keeps_earliest_received_and_corrected_time():
    a = ref.Event(
        "m1",
        "track",
        10_000,
        "Product Viewed",
        anonymous_id="a",
        original_timestamp=5_000,
        sent_at=6_000,
        timestamp=1,
    )
    b = ref.Event(
        "m1",
        "track",
        90_000,
        "Product Viewed",
        anonymous_id="a",
        original_timestamp=5_000,
        sent_at=6_000,
        timestamp=1,
    )
    (kept,) = ref.dedup([b, a])
    assert kept.received_at == 10_000 and kept.occurred_at == 9_000
    assert ref.Event("m2", "page", 7, timestamp=3).occurred_at == 3
    assert ref.Event("m3", "page", 7).occurred_at == 7


def test_sessions_timeout_and_24h_split():
    s = Seq()
    for t in (0, 30 * 60 * S, 60 * 60 * S + 1, 65 * 60 * S):  # exactly 30 min stays
        s.add("a", t, None, type_="page")
    for i in range(80):  # every 20 min for 26.3 h: split once at 24 h
        s.add("k", i * 20 * 60 * S, None, type_="page")
    events, _ = ref.prepare(s.events)
    got = {}
    for x in ref.sessions(events):
        got.setdefault(x.device_key, []).append(x.event_count)
    assert got["a"] == [2, 2]
    assert got["k"] == [73, 7]


def test_retention_recurring_and_first_time():
    s = Seq()
    week = 7 * DAY
    for w in (0, 1, 3):
        s.add("p1", w * week + DAY, None, type_="page")
    for w in (1, 2):
        s.add("p2", w * week + 2 * DAY, None, type_="page")
    events, _ = ref.prepare(s.events)
    page = ref._step({"event": "page"})

    def matrix(kind):
        r = ref.Retention("r", page, page, "week", kind, 3)
        return {
            (x["cohort_start"], x["period_offset"]): (x["cohort_size"], x["retained_persons"])
            for x in ref.retention(r, events)
        }

    rec = matrix("recurring")
    assert [rec[("2025-01-06", k)][1] for k in range(4)] == [1, 1, 0, 1]
    assert [rec[("2025-01-13", k)] for k in range(3)] == [(2, 2), (2, 1), (2, 1)]
    assert ("2025-01-13", 3) not in rec  # after the newest period
    assert rec[("2025-01-20", 0)] == (1, 1) and rec[("2025-01-20", 1)] == (1, 0)
    first = matrix("first_time")
    assert set(first) == {("2025-01-06", k) for k in range(4)} | {
        ("2025-01-13", k) for k in range(3)
    }
    assert [first[("2025-01-13", k)][1] for k in range(3)] == [1, 1, 0]


def test_period_helpers():
    from datetime import date

    assert ref.period_start(date(2025, 1, 12), "week") == date(2025, 1, 6)
    assert ref.period_start(date(2025, 1, 12), "week", "sunday") == date(2025, 1, 12)
    assert ref.period_add(date(2025, 11, 1), "month", 3) == date(2026, 2, 1)
