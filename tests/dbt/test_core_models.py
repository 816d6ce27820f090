"""Build the core dbt models on the hand-made fixture (tests/dbt/fixture.py) with a real
`dbt build` (models, data tests, unit tests) and check the persons and sessions it yields."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.dbt.fixture import build_raw

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# Funnels and retention belong to their own tests (they need the config schema).
EXCLUDE = ["path:models/marts/analytics", "path:models/intermediate/analytics"]


def person(canonical: str) -> str:
    return hashlib.md5(canonical.encode()).hexdigest()


def at(hms: str) -> datetime:
    return datetime.fromisoformat(f"2024-03-01T{hms}")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("dbt")
    db = tmp / "warehouse.duckdb"
    build_raw(db)
    env = os.environ | {"SPOOR_WAREHOUSE": str(db), "SPOOR_PII_SALT": "test-salt"}
    cmd = [
        sys.executable,
        "-m",
        "dbt.cli.main",
        "build",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(tmp / "target"),
        "--log-path",
        str(tmp / "logs"),
        "--exclude",
        *EXCLUDE,
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-5000:]
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.sql(sql).fetchall()


def test_persons(warehouse):
    got = rows(
        warehouse,
        """
        select person_id, user_ids, anonymous_ids, session_count, event_count,
               first_touch_channel, is_bot
        from marts.dim_persons order by person_id""",
    )
    expected = sorted(
        [
            # a3 -(alias)- u1 - a1 (identify) - a2 (message with both ids): one person.
            (person("user:u1"), ["u1"], ["a1", "a2", "a3"], 4, 9, "Organic Social", False),
            # Shared device d1: u2 logged in first and keeps it; u3 stays separate.
            (person("user:u2"), ["u2"], ["d1"], 1, 2, "Direct", False),
            (person("user:u3"), ["u3"], [], 1, 2, "Direct", False),
            # anonymousId 'undefined' is junk: u4 only.
            (person("user:u4"), ["u4"], [], 1, 1, "Direct", False),
            (person("anon:c1"), [], ["c1"], 1, 1, "Referral", False),
            (person("anon:b1"), [], ["b1"], 0, 1, None, True),
        ]
    )
    assert got == expected


def test_every_identifier_has_one_person(warehouse):
    got = rows(
        warehouse,
        """
        select identifier_type, identifier, person_id from marts.person_identities
        order by identifier_type, identifier""",
    )
    assert [(t, i) for t, i, _ in got] == [
        ("anonymous_id", x) for x in ["a1", "a2", "a3", "b1", "c1", "d1"]
    ] + [("user_id", x) for x in ["u1", "u2", "u3", "u4"]]
    conflicts = rows(
        warehouse, "select anonymous_id, blocked_user_id from audit.identity_merge_conflicts"
    )
    assert conflicts == [("d1", "u3")]


def test_sessions(warehouse):
    got = rows(
        warehouse,
        """
        select anonymous_id, person_id, started_at, ended_at, event_count, pageview_count,
               entry_page, exit_page, is_bounce, is_engaged, channel
        from marts.fct_sessions order by started_at""",
    )
    u1 = person("user:u1")
    assert got == [
        (
            "a3",
            u1,
            at("08:00:00"),
            at("08:00:00"),
            1,
            1,
            "/old",
            "/old",
            True,
            False,
            "Organic Social",
        ),
        (
            "d1",
            person("user:u2"),
            at("09:00:00"),
            at("09:00:10"),
            2,
            1,
            "/",
            "/",
            True,
            False,
            "Direct",
        ),
        (
            "d1",
            person("user:u3"),
            at("09:20:00"),
            at("09:20:05"),
            2,
            1,
            "/account",
            "/account",
            True,
            False,
            "Direct",
        ),
        # 10:00 -> 10:30 is exactly the timeout: one session; 11:00:01 is 1 s over it.
        (
            "a1",
            u1,
            at("10:00:00"),
            at("10:30:00"),
            3,
            2,
            "/",
            "/shoes",
            False,
            True,
            "Organic Search",
        ),
        ("a1", u1, at("11:00:01"), at("11:00:05"), 2, 1, "/cart", "/cart", False, True, "Direct"),
        ("a2", u1, at("12:00:00"), at("12:01:00"), 3, 1, "/", "/", False, True, "Email"),
        (
            None,
            person("user:u4"),
            at("13:00:00"),
            at("13:00:00"),
            1,
            0,
            None,
            None,
            False,
            False,
            "Direct",
        ),
        # Client clock 1 h fast: 15:00 corrected to 14:00.
        (
            "c1",
            person("anon:c1"),
            at("14:00:00"),
            at("14:00:00"),
            1,
            1,
            "/",
            "/",
            True,
            False,
            "Referral",
        ),
    ]


def test_events(warehouse):
    # Deduplicated (m01 and m02 arrived twice), bot kept without a session.
    assert rows(warehouse, "select count(*), count(distinct event_id) from marts.fct_events") == [
        (16, 16)
    ]
    assert rows(
        warehouse,
        "select is_bot, session_id, device_type from marts.fct_events where event_id = 'm14'",
    ) == [(True, None, "bot")]
    # The first copy of m02 wins over the conflicting later one.
    assert rows(warehouse, "select anonymous_id from marts.fct_events where event_id = 'm02'") == [
        ("a1",)
    ]
    assert rows(warehouse, "select message_id from audit.message_id_conflicts") == [("m02",)]
    # Events before the identify belong to the merged person.
    assert rows(warehouse, "select person_id from marts.fct_events where event_id = 'm01'") == [
        (person("user:u1"),)
    ]


def test_privacy(warehouse):
    columns = {
        name
        for (name,) in rows(
            warehouse,
            """
        select column_name from information_schema.columns
        where table_schema in ('marts', 'audit', 'intermediate')
            and table_name not like 'int_ips%'""",
        )
    }
    assert "ip" not in columns
    assert rows(
        warehouse, "select distinct ip_prefix from marts.fct_events where event_id = 'm01'"
    ) == [("81.2.69.0",)]
    email = rows(
        warehouse,
        f"""
        select traits ->> 'email' from marts.dim_persons where person_id = '{person("user:u1")}'""",
    )
    assert email == [(hashlib.sha256(b"test-saltann@example.com").hexdigest(),)]


def test_audit(warehouse):
    assert rows(
        warehouse, "select count(*) from audit.file_manifest where lines <> valid + rejected"
    ) == [(0,)]
    assert rows(warehouse, "select reasons from audit.rejected_events") == [(["invalid_json"],)]
