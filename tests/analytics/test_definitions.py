"""The analytics file validator: every error names its field; names and values are data."""

from __future__ import annotations

import copy

import duckdb
import pytest
import yaml

from ingestion.analytics_definitions import (
    AnalyticsDefinitionError,
    load_analytics,
    parse_analytics,
    write_definitions,
)
from spoor.settings import DBT_PROJECT_DIR

VALID = {
    "timezone": "Europe/Paris",
    "week_start": "sunday",
    "funnels": [
        {
            "name": "a",
            "steps": [{"event": "page"}, {"event": "Paid", "where": {"amount": 10, "ok": True}}],
            "order": "ordered",
            "window": {"value": 2, "unit": "hour"},
        },
        {
            "name": "b",
            "steps": [{"event": "X"}, {"event": "Y"}, {"event": "Z", "name": "Zed"}],
            "order": "strict",
            "window": {"value": 1, "unit": "week"},
            "breakdown": "context.campaign.source",
            "exclusions": [{"event": "Q", "from_step": 2, "to_step": 3, "where": {"k": "v"}}],
        },
    ],
    "retention": [
        {
            "name": "r",
            "start_event": "screen",
            "return_event": "Paid",
            "period": "month",
            "type": "first_time",
            "intervals": 6,
        }
    ],
}


def mutate(path: str, value):
    """VALID with the value at a dotted path (`funnels.1.window.unit`) replaced/deleted."""
    doc = copy.deepcopy(VALID)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for p in parents:
        node = node[p]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


DELETE = object()

CASES = [
    ("funnels.1.window.unit", "fortnight",
     "funnels[1].window.unit: 'fortnight' is not one of second|minute|hour|day|week"),
    ("funnels.0.order", "random", "funnels[0].order: 'random' is not one of"),
    ("funnels.0.window.value", 0, "funnels[0].window.value: must be >= 1"),
    ("funnels.0.window.value", "2", "funnels[0].window.value: expected an integer"),
    ("funnels.0.window.extra", 1, "funnels[0].window.extra: unknown key"),
    ("funnels.0.colour", "red", "funnels[0].colour: unknown key"),
    ("funnels.0.steps", [{"event": "X"}], "funnels[0].steps: a funnel needs at least 2 steps"),
    ("funnels.0.steps", "X", "funnels[0].steps: expected a list"),
    ("funnels.0.steps.1.event", 5, "funnels[0].steps[1].event: expected a non-empty string"),
    ("funnels.0.steps.1.evnt", "Y", "funnels[0].steps[1].evnt: unknown key"),
    ("funnels.0.steps.1.where", {"a": [1]}, "funnels[0].steps[1].where.a: expected a string"),
    ("funnels.0.steps.1.where", {"a": None}, "funnels[0].steps[1].where.a: expected a string"),
    ("funnels.0.name", DELETE, "funnels[0].name: required"),
    ("funnels.1.name", "a", "funnels[1].name: duplicate name 'a'"),
    ("funnels.1.breakdown", "traits.plan", "funnels[1].breakdown: 'traits.plan' is not a path"),
    ("funnels.1.exclusions.0.from_step", 4,
     "funnels[1].exclusions[0].from_step: 4 is out of range"),
    ("funnels.1.exclusions.0.to_step", 9, "funnels[1].exclusions[0].to_step: 9 is out of range"),
    ("funnels.1.exclusions.0.to_step", 2, "funnels[1].exclusions[0].to_step: must be greater"),
    ("funnels.1.exclusions.0.from_step", 0, "funnels[1].exclusions[0].from_step: must be >= 1"),
    ("funnels.1.exclusions.0.from_step", True, "funnels[1].exclusions[0].from_step: expected an"),
    ("funnels.1.order", "unordered", "funnels[1].exclusions[0]: an unordered funnel's exclusion"),
    ("funnels.0", {"name": "u", "order": "unordered", "window": {"value": 1, "unit": "day"},
                   "steps": [{"event": "page"}] * 10 + [{"event": "page", "where": {"a": "b"}}]},
     "funnels[0].steps: an unordered funnel whose steps can match the same event has at most 10"),
    ("retention.0.period", "year", "retention[0].period: 'year' is not one of day|week|month"),
    ("retention.0.type", "rolling", "retention[0].type: 'rolling' is not one of"),
    ("retention.0.intervals", 0, "retention[0].intervals: must be >= 1"),
    ("retention.0.start_event", "", "retention[0].start_event: expected a non-empty string"),
    ("retention.0.return_event", DELETE, "retention[0].return_event: required"),
    ("retention.0.where", {}, "retention[0].where: unknown key"),
    ("timezone", "Mars/Olympus", "timezone: 'Mars/Olympus' is not a known IANA time zone"),
    ("timezone", "../../etc/passwd", "timezone: "),
    ("week_start", "friday", "week_start: 'friday' is not one of monday|sunday"),
    ("funnel", [], "funnel: unknown key"),
    ("retention", {"name": "r"}, "retention: expected a list"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "message"), CASES)
def test_errors_name_the_field(path, value, message):
    with pytest.raises(AnalyticsDefinitionError) as err:
        parse_analytics(mutate(path, value))
    assert str(err.value).startswith(message), str(err.value)


def test_step_bound_only_for_unordered_steps_sharing_events():
    many = [{"event": "page"}] * 11
    distinct = [{"event": f"E{i}"} for i in range(11)]
    assert len(parse_analytics(mutate("funnels.0.steps", many)).funnels[0].steps) == 11
    unordered = mutate("funnels.0.order", "unordered")
    unordered["funnels"][0]["steps"] = distinct
    assert len(parse_analytics(unordered).funnels[0].steps) == 11


def test_duplicate_retention_name():
    doc = copy.deepcopy(VALID)
    doc["retention"].append(copy.deepcopy(doc["retention"][0]))
    with pytest.raises(AnalyticsDefinitionError, match=r"^retention\[1\]\.name: duplicate"):
        parse_analytics(doc)


def test_top_level_must_be_a_mapping(tmp_path):
    (tmp_path / "a.yml").write_text("- just\n- a list\n")
    with pytest.raises(AnalyticsDefinitionError, match="expected a mapping"):
        load_analytics(tmp_path / "a.yml")


def test_bundled_file_is_valid():
    defs = load_analytics(DBT_PROJECT_DIR / "analytics.yml")
    assert defs.funnels[0].name == "checkout"
    assert defs.funnels[0].window_seconds == 14 * 86400


def test_written_tables(tmp_path):
    (tmp_path / "a.yml").write_text(yaml.safe_dump(VALID))
    db = tmp_path / "w.duckdb"
    write_definitions(load_analytics(tmp_path / "a.yml"), db)
    write_definitions(load_analytics(tmp_path / "a.yml"), db)  # replaced, not appended
    with duckdb.connect(str(db)) as con:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        assert q("from config.settings") == [("Europe/Paris", "sunday")]
        assert q("from config.funnels order by 1") == [
            ("a", "ordered", 7200, None, 2),
            ("b", "strict", 604800, "context.campaign.source", 3),
        ]
        assert q("from config.funnel_steps order by 1, 2") == [
            ("a", 1, "page", "page", None),
            ("a", 2, "Paid", "track", "Paid"),
            ("b", 1, "X", "track", "X"),
            ("b", 2, "Y", "track", "Y"),
            ("b", 3, "Zed", "track", "Z"),
        ]
        # values compare as the text `->>` yields: 10 -> '10', true -> 'true'
        assert q("from config.funnel_step_filters order by all") == [
            ("a", 2, "amount", "10"),
            ("a", 2, "ok", "true"),
        ]
        assert q("from config.funnel_exclusions") == [("b", 1, "track", "Q", 2, 3)]
        assert q("from config.funnel_exclusion_filters") == [("b", 1, "k", "v")]
        assert q("from config.retention_definitions") == [
            ("r", "screen", None, "track", "Paid", "month", "first_time", 6)
        ]


def test_injection_strings_are_data(tmp_path):
    inj = "x'; DROP TABLE y; --"
    doc = mutate("funnels.0.name", inj)
    doc["funnels"][0]["steps"][1]["where"] = {inj: inj}
    doc["funnels"][0]["steps"][0] = {"event": inj}
    doc["retention"][0]["name"] = 'r"); drop schema config cascade; --'
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table y (keep int)")
        write_definitions(parse_analytics(doc), con)
        assert con.execute("select count(*) from y").fetchall() == [(0,)]
        assert con.execute(
            "select funnel_name, event_name from config.funnel_steps where step_index = 1"
            " order by 1"
        ).fetchall() == [("b", "X"), (inj, inj)]
        assert con.execute("select * from config.funnel_step_filters").fetchall() == [
            (inj, 2, inj, inj)
        ]
        assert con.execute(
            "select retention_name from config.retention_definitions"
        ).fetchall() == [('r"); drop schema config cascade; --',)]
