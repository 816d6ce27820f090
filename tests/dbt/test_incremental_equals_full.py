"""The incremental invariant: after any sequence of incremental `dbt` runs, every mart is
identical to a `--full-refresh` build over the same raw data.

Simulated files (faults on: retries, late files, rejects) are loaded day by day with the
real loader, with a dbt run after each step: a first build, new days, a hand-written late
file (an identify that merges an old anonymous trail into a new user, and a page view
days beyond the lookback that re-stitches an old session, built with the analytics root
fully refreshed alone first), a rerun with nothing new, and the rest under changed
analytics definitions. A copy of the warehouse is then rebuilt with
--full-refresh; every table in `marts` (and audit.late_events) must match, row for row
(EXCEPT ALL both ways).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.analytics_definitions import load_analytics, write_definitions
from ingestion.load import run_load
from simulator import simulate
from spoor.settings import DBT_PROJECT_DIR, REPO_ROOT

PLAN = REPO_ROOT / "ingestion" / "tracking_plan"
START = date(2025, 1, 6)
DAYS = 10


def dbt(warehouse: Path, tmp: Path, *args: str) -> None:
    from dbt.cli.main import dbtRunner

    os.environ["SPOOR_WAREHOUSE"] = str(warehouse)
    os.environ.setdefault("SPOOR_PII_SALT", "test-salt")
    started = time.perf_counter()
    result = dbtRunner().invoke(
        [
            *args,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(tmp / "target"),
            "--log-path", str(tmp / "logs"),
            "--quiet",
        ]
    )  # fmt: skip
    release_duckdb()
    failed = [
        f"{r.node.name}: {r.message}"
        for r in getattr(result.result, "results", [])
        if str(r.status) in ("error", "fail")
    ]
    assert result.success, f"dbt {' '.join(args)} failed: {result.exception or failed}"
    print(f"dbt {' '.join(args)}: {time.perf_counter() - started:.1f} s")


def release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps for the process (checkpointing the file),
    so the warehouse can be read, copied and reopened between in-process dbt runs."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    if DuckDBConnectionManager._ENV is not None:
        DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager._ENV = None


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write_late_file(events: Path, warehouse: Path, received: date) -> dict:
    """A late file in the folder of `received`: a late identify for the anonymous trail of
    an anonymous-only person first seen on day 1, and a page view on its first session's
    device 20 minutes after that session ended (so the session grows or merges)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    anon, ended = con.execute(
        """
        select s.anonymous_id, s.ended_at
        from marts.fct_sessions as s
        inner join marts.dim_persons as p on s.person_id = p.person_id
        where len(p.user_ids) = 0 and s.anonymous_id is not null
        order by s.started_at, s.session_id
        limit 1
        """
    ).fetchone()
    con.close()
    received_at = datetime(received.year, received.month, received.day, 12)
    page_at = ended + timedelta(minutes=20)
    messages = [
        {
            "type": "identify", "messageId": "late-identify-1", "anonymousId": anon,
            "userId": "usr_late_identify", "traits": {"plan": "free"},
            "timestamp": iso(received_at - timedelta(hours=1)), "receivedAt": iso(received_at),
        },
        {
            "type": "page", "messageId": "late-page-1", "anonymousId": anon, "name": "Late",
            "properties": {"path": "/late", "url": "https://shop.example.com/late"},
            "context": {"page": {"path": "/late", "url": "https://shop.example.com/late"}},
            "timestamp": iso(page_at), "receivedAt": iso(received_at),
        },
    ]  # fmt: skip
    folder = events / "segment-logs" / "web-js" / str(utc_midnight_ms(received))
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "late-by-hand.gz", "wt") as f:
        f.writelines(json.dumps(m) + "\n" for m in messages)
    return {"anonymous_id": anon}


def utc_midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def mart_tables(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    rows = con.execute(
        f"select table_schema || '.' || table_name from information_schema.tables "
        f"where table_catalog = '{db}' and (table_schema = 'marts' "
        f"or (table_schema = 'audit' and table_name = 'late_events')) order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def differences(incremental: str | Path, full: str | Path) -> dict[str, tuple[int, int, int]]:
    """{table: (rows, only-in-incremental, only-in-full)} for every mart that differs."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{incremental}' as inc (read_only)")
    con.execute(f"attach '{full}' as full_ (read_only)")
    tables = mart_tables(con, "full_")
    assert set(tables) == set(mart_tables(con, "inc")) and "marts.fct_events" in tables
    out = {}
    for t in tables:
        n = con.execute(f"select count(*) from full_.{t}").fetchone()[0]
        a = con.execute(
            f"select count(*) from (from inc.{t} except all from full_.{t})"
        ).fetchone()[0]
        b = con.execute(
            f"select count(*) from (from full_.{t} except all from inc.{t})"
        ).fetchone()[0]
        if a or b or n == 0:
            out[t] = (n, a, b)
    con.close()
    return out


def test_incremental_runs_equal_a_full_refresh(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate(sim, days=DAYS, persons=300, faults=True, truth="counts", processes=1)
    events = sim / "events"
    warehouse = tmp_path / "incremental.duckdb"
    write_definitions(load_analytics(DBT_PROJECT_DIR / "analytics.yml"), warehouse)

    def load(day_from: date | None, day_until: date | None) -> None:
        started = time.perf_counter()
        run_load(str(events), warehouse, PLAN, day_from=day_from, day_until=day_until)
        print(f"load {day_from}..{day_until}: {time.perf_counter() - started:.1f} s")

    d = lambda n: START + timedelta(days=n)  # noqa: E731
    load(None, d(5))  # days 1-5: the first build is a full one (and loads the seeds)
    dbt(warehouse, tmp_path, "build")
    load(d(5), d(7))  # two new days
    dbt(warehouse, tmp_path, "run")
    # A late file received on day 9: identify + a page view ~days beyond the lookback.
    late = write_late_file(events, warehouse, d(8))
    load(d(7), d(9))
    # ... built with the root of the analytics chain rebuilt alone (an operator's
    # --full-refresh of one asset) before the models below it, which must then rebuild
    # every person: its log of rebuilt persons cannot list them.
    dbt(
        warehouse,
        tmp_path,
        "run",
        "-s",
        "+int_analytics__events",
        "--exclude",
        "int_analytics__events",
    )
    dbt(warehouse, tmp_path, "run", "-s", "int_analytics__events", "--full-refresh")
    dbt(warehouse, tmp_path, "run")
    dbt(warehouse, tmp_path, "run")  # a rerun with nothing new changes nothing
    # checked here too: the definitions changed below rebuild every person anyway
    assert differences(warehouse, full_refresh_copy(warehouse, tmp_path, "before.duckdb")) == {}
    # Changed definitions reach every person (the analytics models are incremental per
    # person): a funnel window, a retention type, a funnel gone.
    changed = tmp_path / "analytics.yml"
    text = (DBT_PROJECT_DIR / "analytics.yml").read_text()
    text = text.replace("window: {value: 14, unit: day}", "window: {value: 1, unit: hour}")
    text = text.replace("type: first_time", "type: recurring")
    text = text.replace("name: browse_any_order", "name: browse_any_order_renamed")
    assert text != (DBT_PROJECT_DIR / "analytics.yml").read_text()
    changed.write_text(text)
    write_definitions(load_analytics(changed), warehouse)
    load(d(9), None)  # the rest, with the simulator's own late folder (day 12)
    dbt(warehouse, tmp_path, "build")

    con = duckdb.connect(str(warehouse), read_only=True)
    handled = dict(
        con.execute("select handled_by, count(*) from audit.late_events group by 1").fetchall()
    )
    merged = con.execute(
        "select count(distinct person_id), count(*) from marts.fct_events where anonymous_id = ?",
        [late["anonymous_id"]],
    ).fetchone()
    identified = con.execute(
        "select count(*) from marts.person_identities where identifier = 'usr_late_identify'"
    ).fetchone()[0]
    # the log of rebuilt persons keeps only the last run's: earlier ones were consumed
    log_runs = con.execute(
        "select count(distinct built_at) from audit.analytics_rebuilt_persons"
    ).fetchone()[0]
    con.close()
    assert log_runs == 1
    assert handled.get("beyond_lookback", 0) >= 1, handled  # the hand-written page view
    assert merged[0] == 1 and merged[1] >= 2, merged  # the old trail is the new user's now
    assert identified == 1

    assert differences(warehouse, full_refresh_copy(warehouse, tmp_path, "full.duckdb")) == {}


def full_refresh_copy(warehouse: Path, tmp: Path, name: str) -> Path:
    """A copy of the warehouse rebuilt with --full-refresh."""
    full = tmp / name
    shutil.copy(warehouse, full)
    dbt(full, tmp, "run", "--full-refresh")
    return full
