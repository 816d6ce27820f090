"""Scenarios 1 and 2: replays and synthetic duplicates.

1. The simulated files are ingested three times with overlapping file sets: the same
   folder again (dlt's state skips every file), then days 1-2 and days 2-3 re-delivered
   under new names (loaded: every line again). raw keeps every copy; the marts show each
   message once and every KPI is unchanged.
2. A messageId sent again with a different payload: the copy received earliest wins,
   even when it arrives in a later load, and audit.message_id_conflicts lists it.
"""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timedelta

import pytest

from tests.reliability.pipeline import Warehouse, iso, write_messages
from tests.reliability.scenario import START, Sim, differences


def redeliver(sim: Sim, dst, days: set[int], prefix: str) -> int:
    """Copy the files of the given received days (0-based from START, late folders
    included by their day) under new names; returns how many valid lines they hold."""
    valid = 0
    with open(sim.root / "truth" / "files.csv") as f:
        for row in csv.DictReader(f):
            day = (datetime.fromisoformat(row["received_day"]).date() - START).days
            if day not in days:
                continue
            src = sim.events / row["file"]
            target = dst / row["file"]
            target = target.with_name(prefix + target.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, target)
            valid += int(row["valid"])
    return valid


@pytest.fixture(scope="module")
def baseline(small, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replays")
    wh = Warehouse(tmp / "wh.duckdb", tmp)
    s = wh.load(small.events)
    assert (s.files, s.rows_valid) == (small.truth["files"], small.truth["valid_lines"])
    wh.build()
    return wh, wh.copy(tmp / "baseline.duckdb"), tmp


def test_three_overlapping_replays_change_no_kpi(small, baseline):
    wh, before, tmp = baseline
    truth = small.truth
    assert wh.kpis()["events"] == (truth["distinct_messages"],) * 2

    assert wh.load(small.events).files == 0  # replay 1: same files, same names: skipped
    extra_a = redeliver(small, tmp / "replay-a", {0, 1}, "replay-a-")
    extra_b = redeliver(small, tmp / "replay-b", {1, 2}, "replay-b-")
    assert wh.load(tmp / "replay-a").rows_valid == extra_a
    assert wh.load(tmp / "replay-b").rows_valid == extra_b
    wh.build()

    raw = wh.q("SELECT count(*) FROM raw.events")[0][0]
    assert raw == truth["valid_lines"] + extra_a + extra_b
    assert wh.q("SELECT count(*) - count(DISTINCT event_id) FROM marts.fct_events")[0][0] == 0
    assert wh.kpis() == before.kpis()
    # not just the KPIs: every marts table is identical, row for row
    changed = {t for t in differences(before.path, wh.path) if t.startswith("marts.")}
    assert changed == set()


def test_same_message_id_with_another_payload(small, baseline):
    wh, _, tmp = baseline
    first = wh.q(
        "SELECT event_id, received_at, anonymous_id FROM marts.fct_events "
        "WHERE event_type = 'page' ORDER BY received_at LIMIT 2"
    )
    (later_id, later_at, _anon_a), (earlier_id, earlier_at, anon_b) = first
    base = {"type": "page", "name": "Conflict", "properties": {"path": "/conflict"}}
    root = tmp / "conflicts"
    write_messages(
        root,
        START + timedelta(days=2),
        "conflict.gz",
        [
            # received after the original: the original stays
            {**base, "messageId": later_id, "anonymousId": "someone-else",
             "timestamp": iso(later_at), "receivedAt": iso(later_at + timedelta(hours=5))},
            # received before the original, delivered in a later file: this copy wins
            {**base, "messageId": earlier_id, "anonymousId": anon_b,
             "timestamp": iso(earlier_at - timedelta(seconds=1)),
             "receivedAt": iso(earlier_at - timedelta(milliseconds=1))},
        ],
    )  # fmt: skip
    copies = dict(
        wh.q(
            "SELECT message_id, count(*) FROM raw.events WHERE message_id IN (?, ?) GROUP BY 1",
            [later_id, earlier_id],
        )
    )
    assert wh.load(root).rows_valid == 2
    wh.build()

    kept = dict(
        wh.q(
            "SELECT event_id, page_name FROM marts.fct_events WHERE event_id IN (?, ?)",
            [later_id, earlier_id],
        )
    )
    assert kept[earlier_id] == "Conflict" and kept[later_id] != "Conflict", kept
    conflicts = wh.q(
        "SELECT message_id, payload_count, copy_count FROM audit.message_id_conflicts "
        "ORDER BY message_id"
    )
    assert conflicts == sorted((m, 2, copies[m] + 1) for m in (later_id, earlier_id))
    assert wh.kpis()["events"] == (small.truth["distinct_messages"],) * 2
