"""dbt model build times against a bare DuckDB sessionization query, on ~5M events.

    uv run python -m benchmarks.bench_models                 # ~5M events (cached data)
    uv run python -m benchmarks.bench_models --scale 0.2     # ~1M events, quick

Data: the simulated set of benchmarks/bench_ingestion.py (30 received days, cached under
--data, generated when missing). Loaded once with ingestion.load.run_load into a cached
base warehouse holding every received day but the last; each measurement works on a copy.
All figures come from ONE invocation, each step in its own subprocess, one after the
other (the machine is shared: read the ratios, not the seconds).

  (1) bare: one DuckDB statement over raw.events: dedup on message_id, LAG over
      (person, device) by time, running SUM of new-session flags, GROUP BY session.
  (2) full: `dbt run` (every model, no tests) on the base, then `dbt test`.
  (3) incremental: load the last received day on top of (2), then `dbt run`.
  (4) full `dbt run` again with SPOOR_DUCKDB_MEMORY_LIMIT=2GB.

Targets: full / bare <= 6x; incremental / full <= 20%.

Pass a private --work on a shared machine (runs/ under it is wiped each time; the base
warehouse is cached in its cache/). --data is the 5M folder; --scale adds "-s<scale>".

Figures (single invocations, `--skip-tests`; the machine was shared and heavily loaded,
so the seconds are only comparable within one line):
  5M, before issue #4's model work:  bare 69.8 s, full 980 s (14.0x), incremental 469 s
      (47.9%), full with a 2 GB cap 534 s.
  0.2 scale (~1M events), before:     bare 4.4 s, full 195.6 s (44x), incremental 156.1 s
      (80%); slowest: int_events_enriched 34.1, fct_events 33.8,
      int_analytics__funnel_attempt_steps 26.5, stg_raw__events 18.7 s.
  0.2 scale, after (funnel ASOF chain, narrow enrichment, per-distinct-value regexes,
      incremental UA/IP lookups), load average 14-21 throughout: bare 54.1 s, full 676.5 s
      (12.5x), incremental 169.5 s (25%); slowest full: stg_raw__events 136.8, fct_events
      101.7, int_analytics__funnel_attempt_steps 92.6, int_events_enriched 48.8 s. The
      load moved during the run (bare ran at its peak), so neither ratio is a clean
      before/after; a quiet-machine rerun at 5M is still to do.
  IDLE machine (load average < 2), the code after the changes above:
    0.2 scale: bare 2.2 s, full 42.8 s (19.6x), incremental 35.4 s (82.6%), 2 GB cap 42.0 s.
    5M (5,013,006 events, 687,358 sessions): bare 8.9 s, full 152.4 s (17.2x), incremental
      103.1 s (67.7%; its day's load 13.9 s), full with a 2 GB cap 229.9 s (1.51x).
      Slowest full: fct_events 27.9, int_analytics__funnel_attempt_steps 26.5,
      int_events_enriched 25.1, stg_raw__events 21.1, fct_sessions 13.7 s. Slowest
      incremental: funnel_attempt_steps 26.2, fct_events 16.0, int_identifiers_observed
      8.3 s: the identity and analytics chains rebuild fully on every run.
  After the analytics chain went incremental per person (int_analytics__events and the
  funnel/retention intermediates re-derive only the persons with changed events;
  audit.build_fingerprints rebuilds everyone when the definitions change), fct_events
  rewrites a re-sessionized event only when its session changed, int_identifiers_observed
  is incremental and int_analytics__person_days feeds the active-person and lifecycle marts.
  Another machine (2 vCPU, idle apart from this run), 5M:
    bare 7.3 s, full 168.7 s (23.1x), incremental 71.9 s (42.6%; its day's load 15.4 s),
      full with a 2 GB cap 242.2 s (1.44x). Slowest full: int_events_enriched 33.2,
      fct_events 33.2, stg_raw__events 26.6, int_analytics__funnel_attempt_steps 25.2,
      fct_sessions 17.1 s. Slowest incremental: fct_events 10.0, funnel_attempt_steps 8.9,
      fct_sessions 8.0, int_events_sessionized 7.6, stg_raw__events 7.1 s.
    the code before these changes (cc44465), same machine, same base, right after:
      bare 9.0 s, full 167.5 s (18.6x), incremental 127.5 s (76.1%); slowest incremental:
      funnel_attempt_steps 31.8, fct_events 23.7, int_analytics__events 9.8 s. So the
      incremental run fell from 127.5 s to 71.9 s (-44%) and the full build is unchanged.
  Session 5 (incremental path only: visit-start restart in int_events_sessionized, narrow
  re-dedup in stg_raw__events, EXCEPT for vanished persons, aggregate first links): one
  incremental `dbt run` on copies of the same full-built 5M snapshot, old/new alternated:
  before 81.0 / 78.9 s, after 69.5 / 72.7 s (-11%). A full benchmark run the same day
  crossed a VM pause (a model's execution_time exceeded the run's wall time), so its
  figures (full 256.9 s, incremental 139.7 s, 54.4%) are not comparable.
  Session 6 (incremental path: the analytics chain stages its persons to rebuild once per
  model in a pre-hook temp table, the EXCEPT for vanished persons had run up to three times;
  fct_events identifies only its changed events instead of filtering the whole view):
    analytics chain alone (`--select int_analytics__events+` on copies of one 5M state,
      old/new alternated): 39.4 / 41.0 / 44.0 s -> 33.8 / 38.9 / 35.9 s;
    fct_events' incremental select: 2.8 -> 2.3 s, identical rows (EXCEPT ALL both ways);
    whole incremental `dbt run` on copies of one snapshot, old/new alternated: 78.1 / 64.8 s
      -> 74.7 / 63.2 s. Most of the chain's gain moved into a checkpoint: DuckDB checkpoints
      at whichever COMMIT crosses its WAL threshold (3-7 s, attempt_steps before, now
      funnel_persons).
    full benchmark, one invocation, idle machine: bare 6.8 s, full 132.9 s (19.6x),
      incremental 62.6 s (47.1%; its day's load 10.0 s), full with a 2 GB cap 245.5 s
      (1.85x). Slowest incremental: funnel_persons 9.0 (6.6 of it the checkpoint COMMIT),
      attempt_steps 6.3, step_matches 5.6, int_analytics__events 5.0, fct_events 5.0 s.
  Session 7 (no model changed; the raw load now copies a few large parquet files):
    full benchmark, one invocation: bare 6.1 s, full 134.0 s (22.0x), incremental 56.5 s
      (42.2%; its day's load 19.2 s, which is noise: the same day loaded onto copies of the
      base, old/new code alternated, 18.6 / 10.6 s vs 14.4 / 10.2 s), 2 GB cap 230.0 s
      (1.72x).
    tried, not kept: `checkpoint_threshold` 4GB / 1GB in the dbt profile. The checkpoint
      only moves to the close: incremental run's process CPU 118.8 / 100.1 s with it,
      115.8 / 83.3 s without (alternated), 0.9 GB written either way.
    one incremental run's SQL (`dbt --debug`, 70.6 s): the checkpoint COMMIT 6.7 s; the five
      models below int_analytics__events stage their persons to rebuild in 0.9-1.5 s each
      (6.3 s together, mostly the EXCEPT for vanished persons). A log of the persons
      int_analytics__events rewrote or deleted would replace those scans, but a full refresh
      of that model alone must then log every old and new person.
  Session 8 (the models below int_analytics__events read its log of rebuilt persons,
  audit.analytics_rebuilt_persons, instead of an EXCEPT each; stg_raw__events lost the
  payload_hash column):
    full benchmark, one invocation: bare 6.4 s, full 153.5 s (24.0x), incremental 47.1 s
      (30.7%; its day's load 12.8 s), 2 GB cap 200.6 s (1.31x). The full build was slow
      this time (fct_events 40.7 s and fct_sessions 23.4 s side by side; session 7: 37.0 /
      14.9 s) with no change to those models, so the percentage flatters: against session
      7's full build the incremental run is 35%. The incremental run itself: 56.5 -> 47.1 s.
    the five stagings, one incremental run each on copies of the 5M snapshot: 3.5 s
      together before (0.23-0.80 s each), ~0 s after; whole runs, alternated: before 69.6
      / 50.7 s, after 50.9 / 50.6 s (the checkpoint COMMIT, 4-10 s, lands in a different
      model each run).
    the PRIMARY KEY of fct_events' contract costs ~7 s of a full build (insert 20.4 /
      17.5 s vs 15.7 / 15.3 s without it, plus a 3.4 s COMMIT for its index); kept, it is
      the mart's declared grain. dbt with --threads 1: 165.8 s vs 156.8 s with 2.
  Session 9 (inline_cte(): DuckDB stores every CTE read more than once, copying each row;
  the wide ones in int_events_enriched, int_identifiers_observed and funnel_step_matches
  are now recomputed by each reader; fct_active_persons counts DAU/WAU/MAU with a running
  sum instead of a 30-day range join). Standalone selects on a 5M snapshot, old / new:
  int_events_enriched 24.3 / 9.3 s -> 3.7 / 4.2 s (peak memory 10.4 -> 2.0 GB),
  int_identifiers_observed 4.0 / 3.5 -> 1.2 / 1.3 s, fct_active_persons 3.0 / 1.4 ->
  0.1 / 0.1 s; identical rows (EXCEPT ALL both ways). One full build of each code on the
  same base: model time 172.3 -> 144.1 s. Incremental runs on copies of one snapshot,
  alternated: 59.2 / 55.8 s -> 49.1 / 50.3 s.
    full benchmark, one invocation: bare 7.5 s, full 149.6 s (19.9x), incremental 56.8 s
      (37.9%; its day's load 16.2 s), 2 GB cap 234.8 s (1.57x; fct_events 86 s and
      fct_sessions 45 s spilling side by side, 63 / 25 s in session 8's run).
    tried, not kept: inlining fct_sessions' session_events, int_identity_links_ranked's
      observed, funnel_persons' steps (no gain, or slower when incremental: each reader
      re-applies the persons filter); disabling DuckDB's dict_fsst string compression (a
      6.6M-row CTAS 4.5 -> 2.1 s, but fct_events' blocks 1.8k -> 13.7k and no faster).
  Session 10 (funnel chain: ordered funnels where no event matches two steps follow the
  next-step pointer, one equi-join per step; strict funnels without recursion; the
  unordered first-exclusion ASOF join only for funnels with exclusions; unordered funnels
  whose steps share events now take one event per step, a path the benchmark's definitions
  do not reach). int_analytics__funnel_attempt_steps' select on a built 5M warehouse,
  alternated: 21.0-24.0 s -> 15.8-16.6 s (chain), then 15.2-16.2 -> 14.5-15.4 s
  (exclusions); identical rows.
    full benchmark, idle machine, session start (fe7cbbd) then the new code twice, one
      invocation each: bare 9.2 / 8.5 / 8.7 s; full 141.2 s (15.3x) -> 133.0 s (15.6x) and
      131.9 s (15.2x), funnel_attempt_steps 28.2 -> 19.1 / 20.1 s; incremental 48.8 s
      (34.5%) -> 50.8 s (38.2%) and 51.1 s: attempt_steps 6.1 -> 5.6 s, but the checkpoint
      COMMIT (6-7 s) landed in fct_active_persons while funnel_attempt_steps waited for a
      thread, instead of in funnel_persons at the tail; 2 GB cap 203.8 s (1.44x) -> 199.1 s
      (1.50x).
    where fct_events' 30 s go (its select into a temp table, 5M rows): CPU 39 s, of which
      18 s materialise the 45 columns and 12 s are the two joins on event_id; copying the
      built mart into a temp table takes 10.8 s, into a persistent table 34.6 s (with the
      test suite running beside it): the write and its compression dominate.
  Session 13 (the marts declare their grain by blocking tests, without a PRIMARY KEY; see
  docs/design.md "Mart grain"). On 5M: fct_events' insert with its key 20.4 / 21.1 s,
  without 12.4 / 13.6 s (alternated); fct_sessions 2.1 -> 1.1 s, dim_persons 0.8 -> 0.5 s.
  Incremental runs on copies of one snapshot, alternated: 52.7 / 52.1 s -> 48.9 / 44.6 s.
    full benchmark, one invocation, idle machine: bare 7.7 s, full 116.1 s (15.2x; session
      12: 130.4 s, 16.0x), incremental 46.4 s (40.0%; 53.6 s, 41.1%; its day's load 8.0 s),
      2 GB cap 169.5 s (1.46x). Slowest full: fct_events 23.5 (33.7), attempt_steps 19.3,
      stg_raw__events 17.8, int_events_enriched 12.7, fct_sessions 12.4 s.
    where a persistent write goes (5M rows): copying raw.events into a temp table takes
      2.5 s, into a persistent one 11.3 s; fct_events 5.1 / 12.5 s. Each string column costs
      ~0.25 s (unique ids and JSON 1.4-1.8 s) whatever its cardinality, and forcing
      uncompressed storage, disabling dict_fsst, an older storage version or a 16 KB block
      size made it no faster (the last two slower). stg_raw__events' select: raw copy ~3 s,
      parsing context ~5 s, the persistent write ~7 s of its 17 s.
    the dbt overhead of an incremental run: ~3 s of Python start-up and ~2 s of parse and
      set-up before the first model; between statements, 0.05-0.25 s per model (5.6 s over
      36 models, on two threads).
    tried, not kept: joining events to the identity graph on the raw id per identifier type
      instead of the prefixed node id: 2.8 -> 2.65 s for 5M events.
  Neither target is met. What is left: the full build writes five ~5M-row tables (staging,
  enrichment, sessions, fct_events, funnel attempts); a CREATE TABLE AS of fct_events'
  SELECT into DuckDB's memory takes 2.4 s at 1M where counting its rows takes 0.4 s, so
  the cost is materialising wide rows (properties JSON, URLs), not the joins. dbt's start-up
  and parse take 3.5-6 s of every run. Incremental: the 3-day lookback re-reads 4 of 30 days of raw
  (about 13% of a full build's input before any model runs), and the identity graph,
  dim_persons, dim_person_profiles and int_person_traits_merged still rebuild in full.
  Session 14 (no model changed; measurements on a copy of a built 5M warehouse):
    a full `dbt run`: 118.0 s wall for 182.8 s user + 30.0 s system CPU, so the two cores
      are ~90% busy (idle only while dbt starts, and in the first ~8 s of stg_raw__events).
      Running models side by side cannot buy much: 6x the bare query (~46 s) needs ~60%
      less CPU, not more overlap.
    EXPLAIN ANALYZE (thread-seconds), each select into a persistent table alone:
      stg_raw__events 17.0 s wall, 31.9 s CPU: its CREATE TABLE AS 19.4 s, context's
        json_transform 7.1 s, the scans and dedup ~3 s;
      fct_events 15.8 s, 27.5 s CPU: CREATE TABLE AS 19.1 s, its four joins ~6 s;
      int_analytics__funnel_attempt_steps 16.5 s, 34.7 s CPU: recursive chain 5.2 s, two
        ASOF joins 8.3 s, windows ~5.7 s, CREATE TABLE AS 7.0 s;
      fct_sessions 4.4 s alone (15.0 s in the build, beside fct_events).
    the persistent write, perf on a copy of fct_events (12.3 s): DuckDB appends strings to
      uncompressed in-memory segments (StringAppend 13%), scans them back (14%: the scan
      and UTF-8 analysis) and compresses them (dict_fsst 17%). force_compression, a 5M-row
      copy of fct_events: auto 12.8 / 11.8 s, fsst 10.3 s, dict_fsst 11.8 s, dictionary
      15.9 s, uncompressed 13.2 s, zstd 13.6 s: no setting halves it.
    tried, not kept: context's 26 paths as one multi-path json_extract_string instead of
      json_transform into a struct (identical values on all 5.06M rows; 3.0 / 3.1 s
      against 3.3 / 2.9 s).
  Session 16 (no model changed; raw.events now stores message_id and its JSON columns
  with zstd, see ingestion/load.py): full benchmark, one invocation, idle machine: bare
  6.8 s, full 109.1 s (16.1x), incremental 41.2 s (37.8%; its day's load 6.2 s, was 8.0),
  2 GB cap 152.1 s (1.39x); stg_raw__events 17.3 s (17.8 s in session 13): reading the
  zstd columns costs nothing more.
    tried, not kept: the same zstd columns in fct_events through its contract (a `custom`
      column constraint `using compression zstd` on event_id and properties). A plain
      copy of the mart into such a table: 11.3 -> 9.7 s, 440 -> 335 MB; but the model
      itself, `dbt run --select fct_events --full-refresh` on copies of one snapshot,
      alternated: 20.1 / 20.6 / 19.1 s against 20.2 / 20.1 / 19.0 s, no gain.
    DuckDB's zstd_min_string_length (default 4096) does not make its automatic choice
      pick zstd for these columns even at 32: only a column's declared compression does.
  Session 19 (no model changed): full benchmark, one invocation, idle machine: bare 6.7 s,
  full 104.4 s (15.5x), incremental 42.3 s (40.6%; its day's load 6.0 s), 2 GB cap 147.9 s
  (1.42x).
    each model's full-build SELECT run alone on a built 5M warehouse, into a temp table
      (memory) and into a persistent one: 74.3 s wall / 142.9 s CPU against 105.6 / 190.7.
      So the writes are about a third. The analytics chain (int_analytics__events to
      funnel_persons) is ~78 of the 190.7 CPU-seconds, stg_raw__events 30.2 and fct_events 28.0.
    a `dbt run` of one trivial model: 4.4 s with partial parsing, 8.5 s without.
    an incremental run: ~2.4 s of imports and ~1.5 s of set-up before the first model.
      Closing the warehouse takes ~3.7 s (DuckDB's checkpoint), and the checkpoint inside
      funnel_persons' COMMIT takes 4.5 s. The per-person analytics rebuild rewrites 1.0M
      of the 5.0M analytics events: every person with a changed event gets all its history.
    the floor, benchmarks/bench_models_floor.py: fct_events and fct_sessions alone, built
      in the leanest way I found without dbt, come to 4.46-5.05x bare. With a one-model
      dbt run added, they come to 5.2-5.8x. Writing fct_events, even as a plain copy of
      the built mart, costs 1.7-2x bare by itself. So the 6x target cannot be met here
      with the models #4 asks for. The issue gives ~3 s for the bare query; at that
      figure the floor alone is ~10x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.bench_ingestion import DAYS, ensure_data

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "ingestion" / "tracking_plan"
DBT_DIR = REPO / "dbt_project"
START = date(2025, 1, 6)  # the simulator's default start date
LAST_DAY = START + timedelta(days=DAYS - 1)

BARE_SQL = """
create or replace table bare_sessions as
with dedup as (
    select * from raw.events
    qualify row_number() over (partition by message_id order by received_at, file, line_number) = 1
),
events as (
    select
        message_id,
        coalesce(user_id, anonymous_id) as person,
        coalesce(anonymous_id, user_id) as device,
        coalesce(timestamp, received_at) as occurred_at
    from dedup
),
flagged as (
    select *,
        case when occurred_at - lag(occurred_at) over w <= interval 30 minute then 0 else 1 end
            as is_new
    from events
    window w as (partition by person, device order by occurred_at, message_id)
),
numbered as (
    select *,
        sum(is_new) over (partition by person, device order by occurred_at, message_id
                          rows between unbounded preceding and current row) as session_index
    from flagged
)
select person, device, session_index, min(occurred_at) as started_at,
       max(occurred_at) as ended_at, count(*) as events
from numbered
group by all
"""


def sh(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall


def load(events: Path, warehouse: Path, day_from: date | None, day_until: date | None) -> float:
    code = (
        "import sys; from datetime import date; from ingestion.load import run_load; "
        "d = lambda s: date.fromisoformat(s) if s else None; "
        "run_load(sys.argv[1], sys.argv[2], sys.argv[3], day_from=d(sys.argv[4]), "
        "day_until=d(sys.argv[5]))"
    )
    args = [str(events), str(warehouse), str(PLAN), str(day_from or ""), str(day_until or "")]
    return sh([sys.executable, "-c", code, *args])


def dbt(
    warehouse: Path, work: Path, *args: str, env: dict | None = None, name: str | None = None
) -> float:
    cmd = [sys.executable, "-m", "dbt.cli.main", *args, "--project-dir", str(DBT_DIR),
           "--profiles-dir", str(DBT_DIR), "--target-path", str(work / "target"),
           "--log-path", str(work / "logs")]  # fmt: skip
    wall = sh(cmd, {"SPOOR_WAREHOUSE": str(warehouse), **(env or {})})
    if name:  # keep each step's per-model timings (run_results.json is overwritten)
        shutil.copy(work / "target" / "run_results.json", work / f"run_results_{name}.json")
    return wall


def slowest(work: Path, name: str, top: int = 10) -> str:
    """The `top` slowest models of a saved step, from dbt's run_results.json."""
    results = json.loads((work / f"run_results_{name}.json").read_text())["results"]
    timed = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in results),
                   reverse=True)  # fmt: skip
    return "\n".join(f"      {t:7.1f} s  {model}" for t, model in timed[:top])


def work_dir(work: str, scale: float) -> Path:
    """--work, with "-s<scale>" unless the scale is 1: one base cache per data set (shared
    with benchmarks/bench_models_floor.py)."""
    return Path(work if scale == 1 else f"{work}-s{scale:g}")


def base_warehouse(events: Path, cache: Path) -> Path:
    """Raw layer (every received day but the last) and config tables, loaded once."""
    base = cache / "base.duckdb"
    done = cache / "BASE_DONE.json"
    if not done.exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        print(f"loading the base warehouse {base} (once) ...", flush=True)
        wall = load(events, base, None, LAST_DAY)
        code = (
            "import sys; from ingestion.analytics_definitions import load_analytics, "
            "write_definitions; write_definitions(load_analytics(sys.argv[1]), sys.argv[2])"
        )
        sh([sys.executable, "-c", code, str(DBT_DIR / "analytics.yml"), str(base)])
        done.write_text(json.dumps({"load_seconds": wall}))
    return base


def copy(base: Path, dst: Path) -> Path:
    for suffix in ("", ".dlt"):
        src, out = Path(str(base) + suffix), Path(str(dst) + suffix)
        shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink(missing_ok=True)
        if src.is_dir():
            shutil.copytree(src, out)
        elif src.exists():
            shutil.copy(src, out)
    return dst


def bare(warehouse: Path) -> tuple[float, int, int]:
    code = (
        "import json, sys, time, duckdb; c = duckdb.connect(sys.argv[1]); "
        "c.execute(\"set TimeZone = 'UTC'\"); t = time.perf_counter(); c.execute(sys.argv[2]); "
        "w = time.perf_counter() - t; "
        "n, e = c.execute('select count(*), sum(events) from bare_sessions').fetchone(); "
        "print(json.dumps([w, int(n), int(e)]))"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(warehouse), BARE_SQL], cwd=REPO,
                          capture_output=True, text=True, check=True)  # fmt: skip
    wall, sessions, events = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, sessions, events


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="/tmp/spoor-bench-5m", help="cache of the simulated set")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of ~5M events")
    ap.add_argument("--work", default="/tmp/spoor-bench-models", help="scratch and base cache")
    ap.add_argument("--skip-tests", action="store_true", help="do not time `dbt test`")
    args = ap.parse_args(argv)

    events = ensure_data(args.data, args.scale)
    work = work_dir(args.work, args.scale)
    base = base_warehouse(events, work / "cache")
    runs = work / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    out: dict[str, float] = {}

    bare_s, sessions, n = bare(copy(base, runs / "bare.duckdb"))
    out["bare"] = bare_s
    print(f"(1) bare sessionization:   {bare_s:8.1f} s  ({n} events, {sessions} sessions)")

    wh = copy(base, runs / "inc.duckdb")
    dbt(wh, runs, "seed")
    out["full"] = dbt(wh, runs, "run", name="full")
    print(f"(2) full dbt run:          {out['full']:8.1f} s  (models only)")
    print(slowest(runs, "full"), flush=True)
    if not args.skip_tests:
        out["tests"] = dbt(wh, runs, "test")
        print(f"    dbt test:              {out['tests']:8.1f} s  (data + unit tests)")

    out["load_day"] = load(events, wh, LAST_DAY, LAST_DAY + timedelta(days=1))
    out["incremental"] = dbt(wh, runs, "run", name="incremental")
    print(f"(3) incremental dbt run:   {out['incremental']:8.1f} s  "
          f"(one new received day, {LAST_DAY}; its load took {out['load_day']:.1f} s)")  # fmt: skip
    print(slowest(runs, "incremental"), flush=True)

    wh2 = copy(base, runs / "mem.duckdb")
    dbt(wh2, runs, "seed")
    out["full_2gb"] = dbt(
        wh2, runs, "run", env={"SPOOR_DUCKDB_MEMORY_LIMIT": "2GB"}, name="full_2gb"
    )
    print(f"(4) full dbt run, 2GB cap: {out['full_2gb']:8.1f} s")

    print(f"full / bare:        {out['full'] / bare_s:6.1f}x  (target <= 6x)")
    print(f"incremental / full: {out['incremental'] / out['full']:6.1%}  (target <= 20%)")
    print(f"full 2GB / full:    {out['full_2gb'] / out['full']:6.2f}x")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
