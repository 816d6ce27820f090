"""The serving folder under real runs: readers in other processes never wait and never see
a partial build; a failed run publishes nothing; the report draws every chart.

One file, so one worker builds the shared warehouse (tests/serving/conftest.py) once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from spoor.settings import REPO_ROOT
from tests.conftest import run_spoor
from tests.serving.chromium import census, dump_dom, screenshot
from tests.serving.events import link_days, with_junk_identity

RUN_TIMEOUT_S = 900


def start_reader(stack, tables: list[str], out: Path, stop: Path, mode: str):
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.serving.reader"),
            *(str(stack.serving), json.dumps(tables), str(out), str(stop)),
            *("--mode", mode),
        ],
        cwd=REPO_ROOT,
    )


def observations(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_readers_see_whole_builds_while_a_run_publishes(stack, sample, tmp_path):
    before = stack.manifest()
    tables = sorted(before["tables"])
    stop = tmp_path / "stop"
    outs = {mode: tmp_path / f"{mode}.jsonl" for mode in ("reconnect", "hold")}
    readers = {mode: start_reader(stack, tables, out, stop, mode) for mode, out in outs.items()}
    try:
        assert wait_for(lambda: all(observations(o) for o in outs.values()), 120), "no reads"
        # The rest of the sample: new files, so the new build differs from the old one.
        events = link_days(sample.events, tmp_path / "all_days")
        started = time.time()
        run = subprocess.Popen(
            [sys.executable, "-m", "spoor.cli", *stack.args(events)],
            cwd=REPO_ROOT,
            env={**os.environ, **stack.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
        ended = time.time()
        assert run.returncode == 0, stdout + stderr  # the readers never blocked it
        after = stack.manifest()
        assert after["publish_id"] != before["publish_id"]
        assert after["tables"]["marts.fct_events"] > before["tables"]["marts.fct_events"]
        new_seen = lambda: any(  # noqa: E731
            o.get("publish_id") == after["publish_id"] for o in observations(outs["reconnect"])
        )
        assert wait_for(new_seen, 60), "a new connection never saw the new publish"
    finally:
        stop.touch()
        for reader in readers.values():
            reader.wait(timeout=60)
    assert all(reader.returncode == 0 for reader in readers.values())

    # Each build's counts, from the manifests: every read must match one of them whole.
    builds = {m["publish_id"]: m["tables"] for m in (before, after)}
    for mode, out in outs.items():
        rows = observations(out)
        errors = [o["error"] for o in rows if "error" in o]
        assert not errors, f"{mode} reader failed: {errors[:3]}"
        during = [o for o in rows if started <= o["t"] <= ended]
        assert len(during) >= 10, f"{mode} reader made only {len(during)} reads during the run"
        for o in rows:
            publish_id = o.get("publish_id") or o["parquet_publish_id"]
            assert publish_id in builds, o
            assert o["counts"] == builds[publish_id], f"{mode} read a partial build: {o}"
    # A connection held open keeps reading the build it opened, whole (its inode).
    assert {o["publish_id"] for o in observations(outs["hold"])} == {before["publish_id"]}
    parquet_ids = {o.get("parquet_publish_id") for o in observations(outs["reconnect"])}
    assert after["publish_id"] in parquet_ids


def column(con, sql: str) -> list:
    return [row[0] for row in con.execute(sql).fetchall()]


def serving_state(serving: Path) -> dict:
    snapshot = serving / "spoor.duckdb"
    return {
        "snapshot_inode": snapshot.stat().st_ino,
        "snapshot_mtime": snapshot.stat().st_mtime_ns,
        "parquet": os.readlink(serving / "parquet"),
        "manifest": (serving / "manifest.json").read_text(),
        "report": (serving / "report.html").read_bytes(),
        "files": sorted(p.name for p in serving.iterdir()),
    }


def test_a_failed_run_leaves_the_last_good_build(stack, sample, tmp_path):
    before = serving_state(stack.serving)
    # A junk login glued 1200 devices into one person: the identity-health check blocks.
    events = with_junk_identity(sample.events, tmp_path / "junk", anonymous_ids=1200)
    proc = run_spoor(*stack.args(events), env=stack.env, timeout=RUN_TIMEOUT_S)
    assert proc.returncode != 0, proc.stdout
    assert "blocking check failed" in proc.stderr, proc.stderr
    assert serving_state(stack.serving) == before  # nothing replaced, no leftovers
    # The warehouse did take the bad person: only the serving folder was protected.
    with duckdb.connect(str(stack.warehouse), read_only=True) as con:
        glued = con.execute(
            "select count(*) from marts.person_identities where person_id = "
            "(select person_id from marts.person_identities where identifier = 'junk-device-0')"
        ).fetchone()[0]
    assert glued > 1000
    with duckdb.connect(str(stack.serving / "spoor.duckdb"), read_only=True) as con:
        served = con.execute(
            "select count(*) from marts.person_identities where identifier = 'junk-device-0'"
        ).fetchone()[0]
    assert served == 0


def test_the_report_draws_every_chart(stack, tmp_path):
    report = stack.serving / "report.html"
    html = report.read_text()
    # Nothing to fetch: no script, stylesheet or image is loaded from elsewhere. (plotly.js
    # itself names a CDN as the default of map options this report does not use.)
    external = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?[a-z]+:", html)
    assert external == []
    dom = dump_dom(report, tmp_path / "profile")
    charts = census(dom)
    with duckdb.connect(str(stack.serving / "spoor.duckdb"), read_only=True) as con:
        steps = dict(
            con.execute(
                "select funnel_name, count(*) from marts.fct_funnel_steps "
                "where breakdown_value = '(all)' group by all"
            ).fetchall()
        )
        retention = column(con, "select distinct retention_name from marts.fct_retention")
        broken_down = column(
            con,
            "select distinct funnel_name from marts.fct_funnel_steps "
            "where breakdown_value <> '(all)'",
        )
        published = con.execute("select publish_id from serving.publish").fetchone()[0]
    assert published in html  # drawn from the snapshot that is served
    expected = [f"funnel-{name}" for name in steps] + [f"retention-{name}" for name in retention]
    expected += [f"funnel-{name}-breakdown" for name in broken_down]
    expected += ["active-persons", "sessions-by-channel", "sessions-by-country", "rejected-rows"]
    assert sorted(charts) == sorted(expected)
    for chart, marks in charts.items():
        assert marks["main_svg"] >= 1, (chart, marks)
    for name, n in steps.items():
        assert charts[f"funnel-{name}"]["bars"] == n, name  # one segment per step
    for name in retention:
        assert charts[f"retention-{name}"]["heatmaps"] == 1, name
    assert broken_down, "the repository's analytics file has a funnel with a breakdown"
    for name in broken_down:
        assert charts[f"funnel-{name}-breakdown"]["bars"] >= 2 * steps[name], name
    assert charts["active-persons"]["lines"] >= 3  # DAU, WAU, MAU
    for chart in ("sessions-by-channel", "sessions-by-country", "rejected-rows"):
        assert charts[chart]["bars"] >= 2, chart
    shots = Path(os.environ.get("SPOOR_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for name, height in [("report-top.png", 4000), ("report-all.png", 9000)]:
        shot = screenshot(report, tmp_path / "profile", shots / name, 1400, height)
        assert shot.stat().st_size > 50_000, shot  # a blank page is a few KB
