"""Each suite passes on the good warehouse and fails, with the right observed values, on
data broken on purpose."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from expectations import SUITES, run_suite
from expectations import thresholds as th
from tests.expectations.warehouse import DAY0, LAST_DAY

DAY = LAST_DAY


def failed(outcome) -> list[dict]:
    return [e for e in outcome.metadata["expectations"] if not e["success"]]


def assert_small_json(outcome) -> None:
    text = json.dumps(outcome.metadata)
    assert len(text) < 20_000, len(text)


@pytest.mark.parametrize("name", list(SUITES))
def test_every_suite_passes_on_good_data(con, name):
    outcome = run_suite(name, con, DAY)
    assert outcome.passed, outcome.description
    assert outcome.severity == SUITES[name].severity
    assert outcome.metadata["failed_expectations"] == 0
    assert outcome.metadata.get("error") is None
    assert_small_json(outcome)


def test_registry_declares_params_and_reads():
    for name, suite in SUITES.items():
        assert suite.name == name
        assert suite.severity in ("ERROR", "WARN")
        assert suite.reads and all("." in table for table in suite.reads)
        assert dataclasses.is_dataclass(suite.params)


def test_unknown_suite_and_param(con):
    with pytest.raises(KeyError, match="known"):
        run_suite("nope", con, DAY)
    with pytest.raises(TypeError):
        run_suite("raw_rejected_rate", con, DAY, max_rate=0.1)


def test_missing_table_fails_with_error(con):
    con.execute("drop view staging.stg_raw__events")
    outcome = run_suite("staging_unique_message_ids", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "ERROR"
    assert "stg_raw__events" in outcome.metadata["error"]


def test_day_none_uses_the_newest_day(con):
    outcome = run_suite("raw_volume_anomaly", con, None)
    assert outcome.day == DAY
    assert outcome.metadata["day"] == DAY.isoformat()


# --- raw ---------------------------------------------------------------------------


def test_raw_rejected_rate(con):
    con.execute(
        """
        insert into raw.rejected_events
        select file, 1000 + i, '{}', null, '["missing_message_id"]', 'no messageId', null,
               null, null, source_id, received_day, _dlt_load_id
        from raw.rejected_events, range(30) t(i)
        where received_day = $day limit 30
        """,
        {"day": DAY},
    )
    outcome = run_suite("raw_rejected_rate", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "WARN"
    obs = outcome.metadata["observed"]
    assert obs["rejected_lines"] == 32 and obs["valid_lines"] == 200
    assert obs["rejected_rate"] == pytest.approx(32 / 232)
    assert outcome.metadata["top_reasons"][0] == {"reason": "missing_message_id", "lines": 30}
    assert outcome.metadata["thresholds"]["max_rejected_rate"] == 0.05
    assert "13.79%" in outcome.description
    # A looser threshold passes the same day.
    assert run_suite("raw_rejected_rate", con, DAY, max_rejected_rate=0.2).passed


def test_raw_volume_anomaly_low_day(con):
    con.execute(
        "delete from raw.events where received_day = $day and line_number > 50", {"day": DAY}
    )
    outcome = run_suite("raw_volume_anomaly", con, DAY)
    assert not outcome.passed
    obs = outcome.metadata["observed"]
    assert obs["day_count"] == 50
    assert obs["history_mean"] == 200
    assert obs["ratio"] == pytest.approx(0.25)
    assert len(outcome.metadata["history"]) == 7
    (exp,) = failed(outcome)
    assert exp["failing_examples"][0]["ratio_to_trailing_mean"] == pytest.approx(0.25)


def test_raw_volume_anomaly_without_history_passes_and_says_so(con):
    con.execute("delete from raw.events where received_day < $day - 5", {"day": DAY})
    con.execute(
        "delete from raw.events where received_day = $day and line_number > 10", {"day": DAY}
    )
    outcome = run_suite("raw_volume_anomaly", con, DAY, min_history_days=6)
    assert outcome.passed
    assert "not enough history: 5 of the trailing 7 days" in outcome.metadata["skipped"]
    assert outcome.metadata["observed"]["ratio"] == pytest.approx(10 / 200)


def test_raw_future_events(con):
    # Three events from a client clock two days ahead, no sentAt to correct it.
    con.execute(
        """
        update raw.events
        set timestamp = received_at + interval 2 day, sent_at = null
        where received_day = $day and line_number in (4, 8, 12)
        """,
        {"day": DAY},
    )
    # sentAt/originalTimestamp skew is corrected, so this one is fine.
    con.execute(
        """
        update raw.events
        set original_timestamp = received_at + interval 3 day,
            sent_at = received_at + interval 3 day,
            timestamp = received_at + interval 3 day
        where received_day = $day and line_number = 20
        """,
        {"day": DAY},
    )
    outcome = run_suite("raw_future_events", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "WARN"
    obs = outcome.metadata["observed"]
    assert obs["future_rows"] == 3
    assert obs["max_seconds_after_received"] == pytest.approx(2 * 86400)
    (exp,) = failed(outcome)
    assert exp["unexpected_count"] == 3
    examples = exp["failing_examples"]
    assert {e["line_number"] for e in examples} == {4, 8, 12}
    assert all(e["message_id"].startswith("m-7-") for e in examples)
    # Tolerance is a parameter.
    assert run_suite("raw_future_events", con, DAY, tolerance_s=3 * 86400).passed


def test_raw_envelope_contract(con):
    con.execute(
        """
        update raw.events set event = null
        where received_day = $day and line_number = 8;  -- i = 7: Order Completed
        update raw.events set type = 'bogus' where received_day = $day and line_number = 2;
        update raw.events set anonymous_id = '', user_id = null
        where received_day = $day and line_number = 3;
        update raw.events set anonymous_id = null, user_id = null
        where received_day = $day and line_number = 10;  -- alias: no identity needed
        """.replace("$day", f"DATE '{DAY}'")
    )
    outcome = run_suite("raw_envelope_contract", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "ERROR"
    bad = {e["what"]: e for e in failed(outcome)}
    assert set(bad) == {
        "type not one of the six",
        "track without event",
        "neither anonymousId nor userId (non-alias)",
    }
    assert bad["track without event"]["failing_examples"][0]["message_id"] == "m-7-7"
    assert bad["type not one of the six"]["failing_examples"][0]["type"] == "bogus"
    assert bad["neither anonymousId nor userId (non-alias)"]["unexpected_count"] == 1
    assert outcome.metadata["observed"]["rows_by_type"]["bogus"] == 1


# --- staging -----------------------------------------------------------------------


def test_staging_unique_message_ids(con):
    # A broken dedup: the view passes every copy through; the collector retried two lines.
    con.execute(
        """
        create or replace view staging.stg_raw__events as
        select message_id as event_id, type as event_type, received_at,
               received_day as received_date, file, line_number
        from raw.events
        """
    )
    con.execute(
        """
        insert into raw.events
        select * replace ('segment-logs/web/retry.jsonl.gz' as file)
        from raw.events where received_day = $day and line_number in (1, 2)
        """,
        {"day": DAY},
    )
    outcome = run_suite("staging_unique_message_ids", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "ERROR"
    obs = outcome.metadata["observed"]
    assert obs == {"rows": 202, "distinct_event_ids": 200, "duplicated_rows": 4}
    (exp,) = failed(outcome)
    assert {e["event_id"] for e in exp["failing_examples"]} == {"m-7-0", "m-7-1"}


def test_staging_unique_message_ids_with_real_dedup(con):
    con.execute(
        """
        insert into raw.events
        select * replace ('segment-logs/web/retry.jsonl.gz' as file)
        from raw.events where received_day = $day and line_number in (1, 2)
        """,
        {"day": DAY},
    )
    assert run_suite("staging_unique_message_ids", con, DAY).passed


def test_staging_event_mix(con):
    con.execute(
        """
        update raw.events set event = 'Product Viewed'
        where received_day = $day and event = 'Order Completed'
        """,
        {"day": DAY},
    )
    outcome = run_suite("staging_event_mix", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "WARN"
    obs = outcome.metadata["observed"]
    assert obs["keys_outside_band"] == ["track:Order Completed"]
    (exp,) = failed(outcome)
    (example,) = exp["failing_examples"]
    assert example["event_key"] == "track:Order Completed"
    assert example["day_share"] == 0 and example["history_share"] == pytest.approx(0.1)
    assert example["ratio"] == 0
    shares = {s["event_key"]: s for s in obs["shares"]}
    assert shares["track:Product Viewed"]["ratio"] == pytest.approx(1.5)


def test_staging_event_mix_small_day_is_skipped(con):
    con.execute(
        "delete from raw.events where received_day = $day and line_number > 50", {"day": DAY}
    )
    outcome = run_suite("staging_event_mix", con, DAY, min_day_events=100)
    assert outcome.passed
    assert outcome.metadata["skipped"] == "only 50 events that day, 100 needed"


# --- marts -------------------------------------------------------------------------


def test_marts_funnel_steps(con):
    con.execute(
        """
        update marts.fct_funnel_steps set persons = 25, conversion_from_previous = 1.25
        where funnel_name = 'checkout' and breakdown_value = 'pro' and step_index = 3
        """
    )
    outcome = run_suite("marts_funnel_steps", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "ERROR"
    obs = outcome.metadata["observed"]
    assert obs["increasing_steps"] == 1
    assert obs["breakdown_sum_mismatches"] == 1
    bad = {e["what"]: e for e in failed(outcome)}
    assert set(bad) == {
        "persons increase from one step to the next",
        "conversion_from_previous outside [0, 1]",
        "breakdown values do not add up to '(all)'",
    }
    (row,) = bad["persons increase from one step to the next"]["failing_examples"]
    assert row["breakdown_value"] == "pro" and row["step_index"] == 3
    assert (row["previous_step_persons"], row["persons"]) == (20, 25)
    (sums,) = bad["breakdown values do not add up to '(all)'"]["failing_examples"]
    assert (sums["all_persons"], sums["breakdown_persons"]) == (30, 45)


def test_marts_retention(con):
    con.execute(
        """
        update marts.fct_retention set retained_persons = 9, retention_rate = 0.9
        where period_offset = 0 and cohort_start = date '2024-02-12';
        update marts.fct_retention set retention_rate = 1.5
        where period_offset = 2 and cohort_start = date '2024-02-19';
        """
    )
    outcome = run_suite("marts_retention", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "ERROR"
    obs = outcome.metadata["observed"]
    assert obs["offset0_mismatches"] == 1
    assert obs["max_rate"] == 1.5
    bad = {e["what"]: e for e in failed(outcome)}
    assert set(bad) == {
        "retention_rate outside [0, 1]",
        "offset 0 retained_persons differs from cohort_size",
        "retention_rate differs from retained_persons / cohort_size",
    }
    (row,) = bad["offset 0 retained_persons differs from cohort_size"]["failing_examples"]
    assert row["cohort_start"] == "2024-02-12" and row["retained_persons"] == 9


def test_marts_identity_health_identified_share(con):
    con.execute("update marts.dim_persons set user_ids = []")
    outcome = run_suite("marts_identity_health", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "WARN"
    obs = outcome.metadata["observed"]
    assert obs["identified_share"] == 0
    assert obs["persons"] == 100  # bots left out
    assert obs["scope"] == "persons with a session that day"
    assert [e["what"] for e in failed(outcome)] == ["identified share under 2.00%"]


def test_marts_identity_health_over_merged(con):
    def person_with(n: int, person: str) -> None:
        con.execute(
            """
            insert into marts.person_identities
            select 'anonymous_id', $p || '-anon-' || i, $p from range($n) t(i)
            """,
            {"p": person, "n": n},
        )

    person_with(60, "p-big")
    outcome = run_suite("marts_identity_health", con, None)
    assert not outcome.passed
    assert outcome.severity == "WARN"
    assert outcome.metadata["observed"]["max_identifiers_per_person"] == 60
    assert outcome.metadata["observed"]["scope"] == "all persons"
    (exp,) = failed(outcome)
    assert exp["failing_examples"] == [
        {"person_id": "p-big", "identifiers": 60, "user_ids": 0, "anonymous_ids": 60}
    ]

    person_with(1200, "p-glued")
    outcome = run_suite("marts_identity_health", con, None)
    assert not outcome.passed
    assert outcome.severity == "ERROR"
    assert outcome.metadata["observed"]["max_identifiers_per_person"] == 1200
    assert outcome.metadata["observed"]["persons_over_bound"] == 2
    assert SUITES["marts_identity_health"].blocking


def test_marts_sessions_rows(con):
    con.execute(
        """
        update marts.fct_sessions set duration_s = 90000
        where cast(started_at as date) = $day and person_id = 'p3';
        update marts.fct_sessions set event_count = 0, pageview_count = 0
        where cast(started_at as date) = $day and person_id = 'p4';
        """.replace("$day", f"DATE '{DAY}'")
    )
    outcome = run_suite("marts_sessions", con, DAY)
    assert not outcome.passed
    assert outcome.severity == "WARN"
    obs = outcome.metadata["observed"]
    assert obs["max_duration_s"] == 90000
    assert obs["sessions_over_max_duration"] == 1
    assert obs["sessions_without_events"] == 1
    bad = {e["what"]: e for e in failed(outcome)}
    assert set(bad) == {"duration_s outside [0, 86460]", "event_count under 1"}
    assert bad["duration_s outside [0, 86460]"]["failing_examples"][0]["person_id"] == "p3"


def test_marts_sessions_count(con):
    con.execute(
        "delete from marts.fct_sessions where cast(started_at as date) = $day "
        "and person_id not in ('p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10')",
        {"day": DAY},
    )
    outcome = run_suite("marts_sessions", con, DAY)
    assert not outcome.passed
    obs = outcome.metadata["observed"]
    assert obs["day_count"] == 10 and obs["history_mean"] == 100
    assert obs["ratio"] == pytest.approx(0.1)
    assert [e["what"] for e in failed(outcome)] == ["session count outside 0.5x-2.0x trailing mean"]
    # Without history only the absolute bounds apply.
    first = run_suite("marts_sessions", con, DAY0)
    assert first.passed
    assert "trailing band not checked" in first.metadata["notes"][0]
    assert not run_suite("marts_sessions", con, DAY0, min_sessions=500).passed


def test_thresholds_defaults_are_the_documented_ones():
    assert th.RawRejectedRate().max_rejected_rate == 0.05
    assert (th.RawVolumeAnomaly().min_ratio, th.RawVolumeAnomaly().max_ratio) == (0.5, 2.0)
    assert th.RawFutureEvents().tolerance_s == 86400
    assert th.MartsIdentityHealth().max_identifiers_per_person == 50
    assert th.MartsSessions().max_duration_s == 86400
    assert dt.date(2024, 3, 8) == DAY


def test_readme_lists_every_suite():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "expectations" / "README.md").read_text()
    for name, suite in SUITES.items():
        assert f"| `{name}` | " in readme, name
        assert ("**ERROR**" if suite.severity == "ERROR" else "WARN") in readme


def test_importing_the_package_does_not_import_gx():
    import subprocess
    import sys

    code = (
        "import sys, expectations; "
        "assert 'great_expectations' not in sys.modules, 'GX imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
