"""Raw-load throughput: `ingestion.load.run_load` against DuckDB's own `read_json`.

    uv run python -m benchmarks.bench_ingestion                # ~5M events (cached data)
    uv run python -m benchmarks.bench_ingestion --scale 0.2    # ~1M events, quick
    uv run python -m benchmarks.bench_ingestion --events /path/to/events   # your own files

The data is simulated once (`simulator.simulate`, per-day files, `truth="counts"`) and
cached under `--data` (a scaled run gets its own `-s<scale>` folder). Both contenders run
in ONE invocation, each in its own subprocess (peak RSS via RUSAGE_CHILDREN), on the same
files, one after the other; the machine is shared, so read the ratio, not the seconds.

  (a) DuckDB: CREATE TABLE e AS SELECT * FROM read_json([<root>/segment-logs/*/*/*.gz],
      format='newline_delimited', ignore_errors=true, columns={raw.events' fields})
      -- typed columns, no validation, no rejects, no lineage
  (b) run_load into a fresh warehouse: full envelope + tracking-plan validation, rejected
      lines with reasons, manifest, dlt state/atomicity.

Figures (the one place for them; 2 vCPU / 23 GB shared with other jobs, load average 2-6
during these runs, so only ratios within one run mean much):

  before (one ~38 KB statement per file and batch; every json_type/->> on a field
  re-ran the whole-line json_extract, because DuckDB inlines the CTE chain):
    old notes, 1M lines / 10 files: read_json (auto-detect) 24.5 s, run_load 127.7 s
      -> 5.2x, peak RSS 1.17 GB
    sample preset (847 files, 106,857 lines): run_load 243.9 s
  after (parse once, typed columns in a MATERIALIZED CTE, boolean fast path, lines of
  many files per statement; identical tables on the sample, checked with EXCEPT ALL):
    sample preset: run_load 24.7 s, and 10.8 s after the depth-regex fix (was 243.9 s)
    --scale 0.2 (1,068,729 lines, 500 files):
      read_json 16.1 s (66.4k rows/s, 0.50 GB); run_load 105.8 s (10.1k rows/s, 1.53 GB)
      -> 6.6x
    full (5,345,539 lines, 2,504 files), before the depth-regex fix and memory_limit:
      read_json 106.9 s (50.0k rows/s, 1.20 GB); run_load 670.2 s (8.0k rows/s, 3.00 GB)
      -> 6.3x
  after (depth check exact in numpy instead of the bracket regex: bytes.translate keeps
  only {}[]" per line, escaped quotes removed first, prefix sums per line; reading, gunzip,
  Arrow and depth in a read-ahead thread while DuckDB validates the previous batch; same
  valid/rejected counts; exactness vs json.loads in tests/ingestion/test_line_depths.py):
    --scale 0.2, same session, back to back (load average 6-8 from other jobs):
      HEAD:  read_json 30.6 s, run_load 148.9 s (7.2k rows/s, 1.58 GB) -> 4.87x
      now:   read_json 25.4 s, run_load  98.0 s (10.9k rows/s, 1.59 GB) -> 3.86x
      (a quieter earlier HEAD run: read_json 23.4 s, run_load 143.6 s, 1.67 GB -> 6.13x)
    Tried and not kept: 245,760-line statements (two DuckDB threads per statement): no
    clear gain on a 143k-line subset (11.5-14.2 s vs 13.3-14.8 s), +0.4 GB RSS.
    Fixed start-up: ~3.6 s of it is pandas being imported (pyarrow's pa.array on Python
    lists triggers it) and compiled from source, since PYTHONDONTWRITEBYTECODE=1 here.
  The <= 2x target is NOT met. The read_json baseline here reads typed columns and is
  faster than the old notes' auto-detect one (66k vs 41k rows/s).
  after (parse-once envelope: json_type / json_extract_string with path lists, also per
  plan object; DuckDB COPYs valid/rejected rows straight to parquet, JSON columns typed,
  imported by dlt as files, no Arrow round trip; identical raw tables and dlt schema on the
  sample, checked with EXCEPT ALL; load average 8-10 from other jobs):
    --scale 0.2: read_json 86.2 s, run_load 323.4 s (1.55 GB) -> 3.75x
      (same session, before the change: read_json 19.1 s, run_load 98.9 s -> 5.18x)
    full: read_json 148.7 s (1.15 GB); run_load 984.1 s (4.49 GB) -> 6.62x, with the
      ingestion and end-to-end test suites running beside run_load (not beside read_json),
      so the ratio is pessimistic; the peak RSS is a regression (3.00 GB before), not yet
      explained (suspect: the load step, many parquet files inserted by dlt's workers into
      the warehouse connection with DuckDB's default memory_limit).
    py-spy (native): about 2/3 of DuckDB's validation time is yyjson parsing; the
    payload_hash (md5 of json_merge_patch) alone costs about 0.8x read_json's CPU.
  Where run_load's time went before the depth fix (192k lines, cProfile): DuckDB
  validation ~60% (the depth check's bracket regex was over half of it), Python
  gunzip/split/Arrow ~10%, dlt parquet write + load ~20%, fixed start-up ~4 s (pandas
  import, see above).
  after memory_limit 1GB / no insertion order on the load connection (bc5623f):
    full: read_json 64.9 s, run_load 376.8 s (1.39 GB) -> 5.80x
  after (issue #3 "Speed", this round; identical raw tables on the sample preset, EXCEPT
  ALL both ways on every column but _dlt_load_id / loaded_at, payload_hash included):
    - DuckDB's parquet writer marks a column REQUIRED when the batch's statistics show no
      NULLs, which differed from dlt's schema, so dlt's normalize read and rewrote every
      spooled file; the COPY now writes dlt's nullability (NOT NULL filter / CASE) and dlt
      imports the files as they are (normalize 1.7 s -> 0.2 s on the 213k-line subset).
    - batch_to_table: Arrow from one joined buffer and numpy offsets; invalid UTF-8 found
      by bisecting Arrow's whole-array check (before, a batch with one bad line decoded
      every line in Python): 1.1 s -> 0.26 s of CPU per 213k lines.
    - the cyclic GC frozen during pipeline.run (perf: ~4% of the CPU in gc_collect_main /
      visit_decref before).
    - tried, then reverted: 245,760-line statements (two 122,880-row row groups, so both
      DuckDB threads work on one statement). Fine at --scale 0.2, but on the full set the
      load step (dlt copying the spooled parquet files into the warehouse under
      LOAD_DUCKDB_CONFIG's 1 GB memory_limit) failed: "Out of Memory Error ... Failed to
      commit". Back to 65,536-line statements.
    Same-session A/B, whole child's CPU (user+sys), 213k-line subset (every 5th file of
    --scale 0.2), both with the 245,760-line statements: HEAD 16.2 / 17.1 s, now 15.5 /
    15.2 s; read_json on it: 2.8 s of CPU. Load average 13-22 from other jobs during these
    runs (2 vCPU), so wall ratios mostly measure how much CPU each contender needs:
    --scale 0.2 (245,760-line statements): read_json 36.2 s (0.51 GB); run_load 202.5 s
      (1.52 GB) -> 5.59x (HEAD, same day at load average 8: read_json 39.9 s, run_load
      187.7 s (0.97 GB) -> 4.71x)
    full, final code (65,536-line statements), `--only load` (no time was left for
      read_json in the same invocation, so no ratio): run_load 485.2 s (11.0k rows/s,
      1.39 GB peak RSS), 5,345,539 lines (5,304,104 valid, 41,435 rejected), 2,504 files;
      load average 17-22 from other jobs. Not comparable with bc5623f's 376.8 s above.
  The <= 2x target is still NOT met. Where the CPU goes now (213k-line subset, process CPU
  per dlt step): imports 1.1 s; extract 10.0 s, of which the validation statement ~6-7 s
  and reading + gunzip + split + Arrow + depth ~1.5 s in the read-ahead thread; normalize
  0.06 s; load (parquet into the warehouse) 1.8 s. read_json does all of its work in
  2.8 s. perf on the statement alone: yyjson_read ~13% of the samples, memmove ~10%,
  malloc/free ~8%, the rest spread thin (lists of field types and texts, CASEs, casts,
  md5, string storage): no single hot spot left, the statement does too much per line.
  Tried and not kept, payload_hash: md5(json_merge_patch(line, '{"receivedAt":null}'))
  costs 1.3-1.5 s of CPU per 213k lines in DuckDB (md5 alone ~0.45 s). A text shortcut
  gives the same hash: when a line has no backslash and `"receivedAt"` occurs once, that
  occurrence is the top-level key; deleting the member and one adjacent comma from a
  compact line gives exactly yyjson's text (same md5 on every line of the sample and the
  subset; other lines would keep the old expression). But it is not cheaper: in DuckDB
  (guard: contains + regexp_matches; regexp_replace; md5) 1.97-2.04 s vs 1.87-2.11 s for
  the old one (both with a 0.63 s base), and in Python in the read-ahead thread 1.86 s
  per 213k lines (to_pylist, count/find, slicing, hashlib). DuckDB's strpos, replace and
  regexp_* cost as much as yyjson's parse and write on ~900-byte lines. A hash without
  the removal (md5 of the line, or of the extracted fields) would be cheap but changes
  what it means (retries differ in receivedAt; extra top-level keys) -- not done.
  Next, by expected gain: one parse per line (a multi-path json_extract of JSON texts,
  types from the first byte, strings unquoted only when they hold a backslash) instead of
  json_valid + json_type + json_extract_string; the plan reading properties from that
  same parse; the `result` temp table and its two COPYs (~1.3 s of CPU per 213k lines)
  replaced by writing valid and rejected rows in one pass; the four timestamp regexes.
  On an IDLE machine (load average < 2, the first clean measurement; the loaded runs
  above slowed read_json more than run_load, which flattered the ratio), final code:
    --scale 0.2: read_json 6.6 s (162.8k rows/s, 0.54 GB); run_load 47.6 s (22.5k rows/s,
      1.35 GB) -> 7.25x
  Another machine (2 vCPU, idle), the load step copying two parquet files at a time
  (ingestion.load.LOAD_PARALLEL_JOBS; dlt's default of 20 jobs shared the 1 GB cap and
  logged "Out of Memory" transient errors, then retried those jobs, on every run):
    --scale 0.2, back to back: HEAD read_json 6.4 s, run_load 48.1 s (1.26 GB) -> 7.46x;
      now read_json 6.4 s, run_load 47.4 s (0.98 GB) -> 7.45x. (An earlier quiet run of
      the old code: read_json 4.3 s, run_load 34.4 s -> 7.94x.)
    Load step alone (dlt `load`, 1M rows into a fresh warehouse): 1 job 15.8 s, 2 jobs
      6.0 s, the default 6.5-7.2 s with retries.
    Where run_load's time goes (1,068,729 lines; process CPU): imports 1.0 s; extract
      24 s wall / 31 s CPU, of which reading + gunzip + split + Arrow + depth 5.6 s (in
      the read-ahead thread) and the validation statement ~4.7 s of CPU per 222k lines
      (the payload_hash alone ~1 s of it, the ISO regexes ~0.2 s, the result table and
      its COPYs ~0.65 s); normalize 0.1 s; load 6-7 s wall.
    Tried and not kept: two validators (two DuckDB connections, one thread each, taking
      alternate batches): 222k lines validated in 3.0 s instead of 3.7 s in isolation,
      but the whole extract went from 24.0 to 23.4 s when idle and got slower under load
      (26.5-29.0 -> 31.1-32.2 s): the single validator's two DuckDB threads already use
      the second core.
  Why <= 2x is out of reach for this design: read_json needs about 7.5 us of CPU per line
  for everything; the validation statement alone needs ~18 us per line without the hash,
  and dlt's copy of the validated rows into the warehouse (the load step) alone takes
  about as long as read_json's whole job. Meeting it would take a validator that parses
  each line once into typed columns (what read_json does) and checks types and the plan
  on those columns, and validated rows written into the warehouse once.
  Session 6 measurements behind that (idle machine, --scale 0.2 and 65,536 real lines):
    dlt steps of run_load: extract 34.2 s, normalize 0.1 s, load 9.7 s; the load step
      alone takes 1.5x read_json's whole run (6.4 s).
    the validation statement on one batch: 0.94 s wall / 1.36 s CPU; without the payload
      hash 0.71 s; without the plan's checks 0.91 s; without the hash, the plan and the
      ISO regexes 0.63 s, i.e. ~9.6 us of wall per line for parsing the envelope,
      unpacking it and writing the result table, already more than read_json's ~6 us per
      line for everything.
    single-threaded cost per line of each parse: json_valid 1.1 us, the multi-path
      json_type 1.3 us, the multi-path json_extract_string 2.2 us (json_extract 2.0 us,
      from_json into a struct of JSON fields 5.2 us), md5(json_merge_patch(...)) 5.3 us
      (md5 of the line alone 1.9 us). One parse instead of three would save ~1.3 us of ~21.
  Session 7, the load step (dlt copying the spooled parquet files into the warehouse):
    dlt's DuckDB destination runs one INSERT per file. Each validated batch was its own
    ~60k-row file, under DuckDB's 122,880-row row group, so every INSERT went through the
    WAL and checkpoints wrote the rows again. Same 17 files (1M events), plain DuckDB:
    one INSERT each, autocommit 15.7 s; all in one transaction 7.2 s; one INSERT over all
    17 files 2.8 s; the files merged into ~480k-row ones, one INSERT each 5.5 s.
    Now `ingestion/spool.py` appends batch after batch to one parquet file (pyarrow
    ParquetWriter, one row group per batch, dlt's nullability and JSON types) and starts
    a new one every 491,520 rows: dlt's load step 8.2 -> 4.8 s at --scale 0.2; the
    spooling costs the same as DuckDB's per-batch COPY (3.1 vs 2.9 s). Identical raw
    tables (EXCEPT ALL both ways, every column but the load id). Tried first: rows kept
    in a DuckDB temp table until a file's worth, then one COPY: each INSERT into it got
    slower as it grew (0.1 s -> 1.4 s per 65k rows, DuckDB 2.0), 8.7 s per 1M rows.
    --scale 0.2, one invocation each, HEAD and new alternated (idle machine):
      HEAD 8.47x, 7.73x; new 7.64x, 7.13x (run_load 44.0 / 48.7 s -> 40.5 / 41.4 s).
    full (5,345,539 lines), one invocation each, in this order (read_json alone swings
    from 21.6 to 36.0 s between runs, so compare run_load's seconds too):
      new:  read_json 36.0 s (1.21 GB); run_load 166.5 s (1.34 GB) -> 4.62x
      HEAD: read_json 21.6 s (1.23 GB); run_load 204.6 s (1.27 GB) -> 9.47x
      new:  read_json 23.6 s (1.20 GB); run_load 194.9 s (1.37 GB) -> 8.25x
      (and new, `--only load`: 205.1 s, 1.37 GB). About 5-10% off run_load: the load
      step is a small part of it; the validation statement is still the cost (above).
  Session 8 (identical valid/rejected counts throughout; the ingestion tests and the
  simulator-truth tests pass):
    - no per-line payload hash: md5(json_merge_patch(...)) was ~27% of the statement's
      wall time; audit.message_id_conflicts now compares the raw columns of the ids that
      have several copies (a difference it counts is one raw.events shows).
    - the read-ahead is bounded by lines, not queue items: with ~2k-line files a 2-item
      queue kept the reader one file ahead, so after every 65k-line statement the
      validator waited for the next ~30 files (7.4 s of a 25.9 s extract; 0.5 s now).
    - the plan's checks read the properties the plan names from one extraction per track
      message instead of a lambda per event (DuckDB sets a lambda up per vector and CASE
      branch: ~7 us per track message). Statement CPU per line on real 65k-line batches:
      ~19.6 -> ~13.1 us (wall ~12.8 -> ~9.8 us).
    - one spooled parquet file per load and table: dlt's load step 3.7 -> 2.7 s per 1M.
    Tried, not kept: 245,760-line statements (no gain, +0.7 GB RSS); spooled parquet
    without compression (no gain); TRY(json_type(...)) instead of the json_valid guard
    (slower: a vector holding one invalid line is redone row by row).
    --scale 0.2, session start and now alternated (idle machine):
      start: 7.73x, 6.53x (run_load 38.2 / 39.9 s); now: 4.42x, 5.36x (28.1 / 28.5 s),
      before the plan change.
    full, after the four changes above: read_json 22.2 s (1.23 GB); run_load 107.0 s
      (49.9k rows/s, 1.32 GB) -> 4.82x (session 7: run_load 166.5-204.6 s).
    - the nesting depth from the reader's raw lines (b"\\n".join) instead of re-joining
      the Arrow column: 2.56 -> 1.40 s of the read-ahead thread per 1M lines.
    full, final code: read_json 22.1 s (1.24 GB); run_load 97.1 s (55.0k rows/s,
      1.42 GB) -> 4.39x.
    Where the CPU goes now, per 1M lines (extract ~15-18 s wall, 22-28 s CPU, so the
    two cores are mostly busy): the statement ~13 us/line; the read-ahead thread ~4.6 s
    (gunzip + split 2.4, Arrow 1.1, nesting depth 1.4); spooling 2.1-2.6 s (parquet
    write 1.5 s); dlt's load step 2.3 s. read_json does everything in ~10 s of CPU.
    Also tried, not kept: no empty problem list for valid rows (no measurable change).
  Session 11 (identical raw tables on the sample, EXCEPT ALL both ways; same counts at 5M):
    - the statement's result comes back as one Arrow table, split and counted there, not
      a temp table of results read three times: validate_table with spooling, 2 x 65k real
      lines, alternated: 13.2-14.7 -> 11.8-13.1 us per line.
    - the spools mask, add the load id and encode parquet in a writer thread while the
      next batch is validated (the main thread is the critical path: it waited 0.5 s of
      a 17 s extract for the read-ahead): extract step at --scale 0.2 17.2 -> 15.4 s.
    full, one invocation each, idle machine: session start (cbb8d1b) read_json 25.9 s,
      run_load 106.5 s (1.33 GB) -> 4.12x; with the two changes above read_json 25.6 s,
      run_load 90.5 s (59.1k rows/s, 1.52 GB) -> 3.54x. --scale 0.2: 4.21x -> 3.74-3.80x.
    - the nesting-depth scan drops adjacent quotes (a pair changes no bracket's parity)
      before numpy: its numpy work 1.8 -> 0.2 us per line; extract CPU at --scale 0.2
      37.4-37.8 -> 35.7 s (alternated, on a slower, busier machine than above). No wall
      gain: the read-ahead thread is not the critical path. Full, that machine, new then
      before: read_json 32.8 / 31.8 s, run_load 114.1 / 108.4 s -> 3.48x / 3.41x (noise).
    Where the CPU goes now (--scale 0.2, perf, per thread): extract 15.4-17 s wall for
      25.6-27.8 s of CPU; the main thread (DuckDB's share of the statement, the Arrow
      result) ~30% of all samples, a DuckDB worker ~27% (yyjson_read alone 8% of all),
      the read-ahead thread ~19% (translate + numpy for the nesting depth ~7%, gunzip
      ~4%), the two spool writers and the load step's inserts the rest. read_json needs
      ~8 us of CPU per line for everything; run_load ~25. The <= 2x target stays out of
      reach for this design (see "Why" above).
    Tried, not kept: `envelope` not MATERIALIZED (10.4 -> 12.8 us per line: the inlined
      chain recomputes), or materialized after all_ok so it could drop the line's text
      from valid rows (~5% less statement time in isolation if the text is simply
      dropped, but 12.5 -> 14 us per line this way); the plan's member lists unpacked into
      columns (no change); one json_extract of JSON texts with types from the first byte
      instead of json_type + json_extract_string (the derivation costs more than the
      parse it saves); 131,072-line statements (no gain, +0.7 GB RSS); glibc keeping
      freed memory (MALLOC_MMAP/TRIM_THRESHOLD_: within noise); a LIKE fast path for the
      timestamp regexes (DuckDB's cast accepts whitespace in digit positions, so the
      regex must stay).
  Session 12 (identical raw tables at --scale 0.2, EXCEPT ALL both ways):
    - two validation statements run at once, each on its own DuckDB cursor (one alone
      kept ~1.5 of 2 cores busy): validate_table throughput on 2 x 65k lines 10.9 ->
      8.4-9.0 us per line; extract step at --scale 0.2, alternated: 17.0 / 17.3 -> 16.5 /
      16.0 s.
    full, one invocation, idle machine: read_json 29.0 s (1.26 GB); run_load 96.2 s
      (55.6k rows/s, 1.84 GB) -> 3.32x (session 11: 3.54x; read_json ran 13% slower
      than then, so compare the ratios).
    - gunzip with ISA-L (isal: zlib's API, 1.5 against 0.5 GB/s on these files): read-
      ahead CPU at --scale 0.2 7.1 / 7.3 -> 6.2 / 6.3 s.
    - spool files without dictionary pages or statistics (read once, whole): parquet
      encoding 1.17 -> 0.69 us per row; extract at --scale 0.2 15.9 / 15.7 -> 15.0 /
      15.3 s (alternated), the load step unchanged.
    - one UTF-8 check per clean batch instead of a check then a checked cast (-0.1 us
      per line).
    full, after these three, one invocation, idle machine: read_json 28.2 s (1.26 GB);
      run_load 88.4 s (60.5k rows/s, 1.84 GB) -> 3.14x.
    Where the CPU goes now (--scale 0.2, per thread, real bench lines of ~910 bytes,
      twice the sample's): extract ~15.5 s wall for ~31 s of CPU, so both cores are full
      and only less CPU helps: the statement 19-20 s (its insert into the batch table
      ~2 us per line, one line parse ~1 us), the read-ahead 6.6 s (gunzip + split 2.6,
      Arrow 1.45, nesting depth 2.45; ~1 s less with ISA-L), the events spool 2.2 s (less
      without dictionary pages), the main thread 1.7 s (measured before the changes below
      the first).
    Found: DuckDB binds and plans a prepared statement again on every EXECUTE (PREPARE
      0.25 s and each EXECUTE 0.22 s for a 1,500-column select): the statement costs
      ~115 ms per batch before any row (~1.8 us per line at 65k lines); PREPARE still
      saves its parsing (~45 ms).
    Found: 95 of the statement's ~119 ms of planning are the compiled tracking plan (the
      envelope alone plans in 24 ms): plan checks kept as data (a rules table joined to
      the properties) instead of one CASE per event would cut it, an untried redesign.
    Tried, not kept: running the statement straight over the Arrow batch (no insert into
      the batch table, ~1.3 us per line, but then parsed each time: 15.8 -> 19 us per line
      of CPU); preserve_insertion_order=false in the validator (no change); a "fast"
      statement without the problem-list branch, the undecided lines (~0.5%) held and
      decided by the full statement once per ~16k of them: its planning is 50 instead of
      115 ms, but the statement's CPU at --scale 0.2 fell only 19.7 -> 18.9 s and the
      extract's wall not measurably, for a deferred manifest path in the batcher;
      threads=1 with two statements (same CPU, same wall); uncompressed spool files
      (encoding 0.63 us per row, 6x the bytes).
  Session 13:
    - DuckDB's in_clause optimizer off in the validator (SET disabled_optimizers): ~15 of
      the ~105 ms of planning per EXECUTE; statement CPU on 65k real lines 10.70 / 10.38
      -> 10.20 / 10.00 us per line; extract at --scale 0.2, alternated: 13.9 / 13.5 /
      13.6 s wall (26.6 / 25.9 / 25.9 s CPU) -> 13.5 / 13.4 / 13.0 s (25.5 / 25.3 /
      24.9 s). Disabling any other optimizer as well gained nothing measurable (+-0.4 us
      per line); disabling them all planned in 72 ms but ran at 17 us per line.
    - Tried, not kept: 131,072-line statements (extract 13.7 / 13.4 -> 13.4 / 13.0 s, CPU
      -1 s, peak RSS 1.74 -> 2.2 GB at --scale 0.2); the plan's enum checks as IN lists
      and one-element IN lists as `=` (no change).
    Found, the next lever: ONE query over all batches. The statement over a pyarrow
      RecordBatchReader of 16 x 65k real lines, read with to_arrow_reader: 8.3-8.5 us per
      line of CPU, 5.0 s wall, against 12.9-13.0 us and 6.9 s for 16 EXECUTEs two at a
      time (no planning per batch, no insert into the batch table). Fed a batch at a
      time, with a Future per batch resolved by a thread reading the results (the
      _Batcher's interface): 8.55-8.75 us per line, identical rows, but 7.3-7.4 s wall
      (1.2 cores: less CPU, which the full extract needs, not more speed alone). Caveats
      found: DuckDB emits a batch's rows only once its scan has taken the next input, so
      with ONE batch in flight the prototype waited forever (two or more worked, and the
      last batch needs the input closed first); to_arrow_reader pulls the first input on
      the calling thread, so the query must start on the reading thread. Whether two in
      flight can never stall (a DuckDB thread blocked in the generator while holding
      another batch's rows) must be shown before the nightly run relies on it.
  Session 14: the one query, built (ingestion/validation_stream.py). Why it cannot stall:
    the batcher never waits for a result while it holds input (it waits only for room in
    a 2-batch inbox, or, at the end, after closing the input), so whenever DuckDB blocks
    for input there is input to give or the input has ended. Results are cut back per
    batch and checked against each batch's (file, line_number); tests cover 1-line and
    one-for-everything batches, a query aborted while waiting for input and a failing one.
    Extract at --scale 0.2, alternated with the old per-batch statements: 13.5 / 13.4 s
    wall (25.6 / 25.7 s CPU) -> 10.8 / 10.6 s (20.1 / 19.6 s); raw tables identical.
    full, one invocation, idle machine: read_json 24.9 s (1.26 GB); run_load 67.6 s
      (79.1k rows/s, 1.56 GB) -> 2.71x (session 13: 3.25-3.38x). dlt steps at 5M, alone:
      extract 50.0 s wall / 94.2 s CPU, normalize 0.1 s, load 15.0 s / 26.8 s.
    Where the CPU goes now (--scale 0.2, perf): the extract is ~45% DuckDB (yyjson_read
      ~10% of it all), libc ~20% (memmove ~11%), Python's bytes functions ~16% (the depth
      scan's translate + replace ~8%, split ~1.6%), page clearing ~5%, snappy ~2%, ISA-L
      ~2.6%. The load step: DuckDB's dictionary/FSST compression ~15%, and ~8% a JSON
      parse of the JSON columns read from the spooled parquet (DuckDB validates them).
    <= 2x needs run_load <= ~50 s: with the load step at ~15 s, an extract of ~33 s (now
      50 s), about a third less CPU; no single piece left is that large.
  Session 15 (each change: identical raw tables at --scale 0.2, EXCEPT ALL both ways):
    - too_deep: each line's opening brackets counted in one numpy pass over the batch's
      Arrow buffers; only lines holding more than max_nesting_depth of them (~1 in 8 bench
      lines) get the exact scan: 2.1 -> 1.0 us per line; read-ahead 5.6 -> 4.5 s of CPU
      and extract 11.0 / 10.8 -> 10.1 / 10.0 s at --scale 0.2 (alternated).
    - timestamps cast as they are first, and with comma and z replaced only when refused:
      -0.35 us per line of the statement.
    - the plan's fast path for arrays of objects (Order Completed's products) over
      wildcard-path lists and set functions instead of a lambda parsing each element:
      that lambda cost ~0.8 us per line of the statement (~55 us per Order Completed
      message: DuckDB sets it up for every vector and CASE branch); statement on one
      thread 10.77 -> 10.34 us per line.
    - the stream leaves lines failing a check undecided and the full statement decides
      them together (every 16,384, and at the end): the problem lists cost ~1.1 us per
      line in the stream although ~1% of lines need one (~2 ms per vector that holds one;
      ~7 us per line when decided together). run_load at 5M, `--only load`, alternated:
      61.9 / 60.5 s before, 59.1 / 59.4 s after.
    - the reader hands on Arrow columns over the decompressed buffers (each value keeps its
      newline, JSON whitespace; raw_line strips it) instead of bytes.split + b"".join:
      reader + Arrow + depth 3.40 -> 3.12 us per line; read-ahead 4.5 / 4.3 -> 4.2 /
      3.9 s of CPU at --scale 0.2 (alternated).
    full, one invocation each, idle machine: after the first change read_json 24.6 s,
      run_load 62.9 s -> 2.55x; after the third 24.6 / 60.7 s -> 2.47x; after the fourth
      23.9 / 59.6 s -> 2.50x and 23.7 / 60.3 s -> 2.55x; final code (the reader too)
      24.2 / 58.3 s -> 2.41x and 23.7 / 57.3 s -> 2.41x, peak RSS 1.48-1.52 GB (session
      14: 2.71-2.73x). dlt steps at 5M, final code, alone: extract 42.3 s wall / 79.3 s
      CPU (was 50.0 / 94.2: the stream's thread 27.6, a DuckDB worker 21.7, read-ahead
      19.3, events spool 7.4, main 2.2), load 15.1 s / 26.2 s.
    Where the statement's time goes now (fast statement, one thread, profiler, per line):
      json_valid + json_type 2.3 us, json_extract_string 2.3, timestamps and plan members
      0.9, the plan and envelope booleans 1.1, the materialized CTE 0.8, Arrow output 0.6.
    Tried, not kept: the plan's property members in the envelope's multi-path calls
      (10.77 -> 13.6 us per line: longer lists for every line); `envelope` not
      materialized (-6% on one DuckDB thread, no change on two); result batches of 2,048
      or 65,536 rows; string views in the Arrow output; forcing fsst on the load step's
      INSERT (-35% of its CPU, but a 5x larger table).
  Session 16 (dlt steps at 5M with per-thread CPU; old/new alternated on one machine):
    - read-ahead (ingestion/line_bytes.py): invalid UTF-8 bisected among the lines holding
      a byte >= 0x80 only (~90% of the bench's batches hold one bad line, and the whole
      batch was bisected), those lines nulled through a validity bitmap instead of a copy
      of the batch, chunk-by-chunk takes (Arrow's take on a chunked array concatenates it
      first), opening brackets counted in cache-sized blocks: read-ahead thread 18.6 /
      18.5 -> 15.4 / 15.2 s of CPU, extract 41.6 / 41.7 -> 40.7 / 40.3 s. Then the reader
      stops copying each 8 MB chunk behind the previous chunk's partial line: the
      read-ahead alone (no validation) 16.0 -> 14.5 s.
    - raw.events created before dlt's first load with zstd for message_id, properties,
      traits and context (ingestion/load.py): the load step 15.2 s wall / 26.5 s CPU ->
      11.0 / 19.2 s, the table 812 -> 398 MB. Plain DuckDB, the 5M spooled file into a
      fresh table: auto 14.2 s, zstd JSON 10.0 s, + message_id 8.8 s, + anonymous_id and
      user_id 9.1 s (and larger); a scan extracting from context as fast either way.
    full, one invocation each, idle machine: after the read-ahead and zstd JSON: read_json
      24.0 s, run_load 52.6 s -> 2.19x; with message_id in zstd too: 24.6 / 51.6 s ->
      2.10x, peak RSS 1.37 GB; final code (per-line counts in bounded memory): 24.0 / 50.7 s
      -> 2.11x, peak RSS 1.44 GB. dlt trace (zstd JSON and message_id): extract 39.2 s,
      normalize 0.05 s, load 9.8 s; imports 0.8 s and the summary 0.7 s around them. The
      CPU is ~1.9 cores busy from the third second to the end, so the rest must come off
      the CPU: the extract's statement (~49 s of CPU) is most of it; the exact depth scan
      of the ~29% of lines holding more than 8 brackets (all of depth 3-4) costs ~4 s of
      read-ahead CPU.
    Tried, not kept: MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ (page faults: no
      change); the ISO-8601 regexes (~0.5 us per line of the statement's ~9) behind a
      shortcut: a LIKE of the usual shape does not check digits, translate() to check them
      is slower than the regex, one regex over the four timestamps joined gave no clear
      gain; the spooled parquet uncompressed (pyarrow alone on
      1.5M spooled rows: 1.13 -> 0.82 s of CPU, but 164 -> 1161 MB of temporary file).
  Session 17 (raw tables at 5M identical to the session's start, EXCEPT ALL both ways):
    - the exact depth scan gathers its candidate lines with Arrow's take (NULL slots read
      as their bytes) instead of a Python join of slices: ~3.1 -> ~2.6 us per candidate;
      a batch holding a nulled invalid-UTF-8 candidate no longer falls back to the slow
      path (1 batch in 5). Read-ahead alone at 5M: 15.1 -> 13.6 s of CPU.
    - the stream's query no longer carries the line's text through its CTEs (the stream
      hands the input's text on beside the result; Validator.split takes raw_line and the
      undecided lines from it), and sentAt / originalTimestamp reuse the ISO verdict of
      receivedAt / timestamp when the text is equal (84% of lines each): statement on one
      thread ~9.1 -> ~8.7 us per line (best of 5, alternated).
    run_load at 5M, alternated with the session's start: 50.1 / 50.9 s -> 49.7 / 49.2 s
      (CPU 91.5 / 92.7 -> 91.1 / 90.2 s). Full, one invocation, idle machine: read_json
      24.3 s (1.26 GB); run_load 50.0 s (1.44 GB) -> 2.06x. dlt extract at 5M: 39.6 s wall,
      73.8 s CPU (the stream's thread 27.7, a DuckDB worker 21.1, read-ahead 14.5, events
      spool 7.4, main 2.2); load 9.9 s / 17.4 s.
    - no json_valid parse for lines shaped like one object ({ ... } before the
      terminator): json_type inside try() is NULL exactly where json_valid is false, and
      try() redoes a vector row by row only when a line in it throws (a cut line rarely
      ends with its brace; the others keep the guard): statement ~8.8 -> ~8.3 us per line.
      Full: 24.2 / 48.2 s -> 1.99x, then 24.2 / 49.8 s -> 2.06x.
    - the plan's checks read each event's own property members (1-5 keys) instead of the
      plan's union (17) for every track message: statement 8.7 -> 7.9 us per line (best
      of 9, three alternated pairs); run_load at 5M, alternated, 50.1 / 51.1 -> 49.4 /
      48.7 s. Full, final code, four invocations: read_json 25.9 / 23.2 / 23.9 / 23.0 s,
      run_load 48.1 / 47.4 / 48.6 / 47.9 s (peak RSS 1.41-1.63 GB) -> 1.86x / 2.04x /
      2.04x / 2.08x.
    Where the statement's time goes now (one thread, ablations): the ISO regexes ~0.35 us
      per line, the property members and the checks reading them ~0.65, the envelope's
      two multi-path calls ~2 (a parse each, and ~0.7 us of path lookups for 16 paths).
    Found: the load step parses every JSON value again. DuckDB's parquet reader validates
      a JSON-typed column (StringColumnReader::VerifyString -> yyjson, ~12% of the load's
      CPU), and a VARCHAR -> JSON cast validates as well. The 5M spooled file into a table
      whose JSON columns are VARCHAR, from plain-string parquet: 9.0 s wall / 16.6 s CPU
      -> 7.5 / 13.7 s. Not done: raw.events would lose its JSON type (design.md, the
      issue), and fct_events' contract would need a cast in dbt instead.
    Tried, not kept: the same text-sharing for the stamps' TRY_CASTs (no change);
      `envelope` not materialized in the stream (no change); DuckDB threads=3 for the
      stream (no change); the events spool filtering by runs of valid rows (slices,
      then combine_chunks: 0.31 -> 0.28 us per row; unmerged slices made the parquet
      write slower); forcing dict_fsst / bitpacking or disabling compression methods on
      the load's INSERT (no change); lz4 / zstd / none for the spool (write 0.98 s per
      1.35M rows with snappy, 1.05 lz4, 1.40 zstd, 0.64 none; DuckDB reads each as fast).
  Session 18 (raw tables at 5M identical before and after, EXCEPT ALL both ways):
    - the envelope from ONE parse: from_json with every field typed JSON gives each
      field's JSON text; its first byte names the type as json_type would (a number's is
      parsed), a string is unquoted by json_extract_string on its short text (cheaper
      than slicing the quotes off in DuckDB). Single-call costs on the bench lines (one
      thread): multi-path json_type 1.45 us, multi-path json_extract_string 2.3, from_json
      2.2. Statement 8.3 -> 7.8 us per line; run_load at 5M, alternated: 48.2 / 48.2 ->
      46.5 / 46.7 s. JSON null and an absent field both come out NULL: every check
      already treated them alike (test_envelope_values_as_json_reads_them).
    - `envelope` not materialized and the shared stamps' casts (the same text as
      receivedAt / timestamp takes its value): one thread, fast 7.38 -> 7.17 and full
      8.88 -> 8.53 us per line; in the stream within noise (run_load 45.5 / 45.2 s before,
      44.1 / 45.6 s after).
    - presence booleans (p_<field>) for every envelope field and a JSON type only for
      the five fields a check types (anonymousId, userId, the objects): one thread
      7.16 -> 6.98 us per line (two alternated pairs); in the stream within noise.
    Tried, not kept: passing DuckDbCredentials its path after init to skip dlt's
      SQLAlchemy import (~0.25 s at start): dlt's load step imports it anyway, to print
      the credentials.
    Full, one invocation each, idle machine: after the two small cuts 23.7 / 45.9 s ->
      1.93x, 24.6 / 45.6 s -> 1.86x, 23.6 / 45.7 s -> 1.94x, and on a fresh clone
      23.3 / 45.5 s -> 1.95x, 23.2 / 45.6 s -> 1.97x; after the presence booleans
      23.6 / 46.0 s -> 1.95x, 23.3 / 45.5 s -> 1.95x. Peak RSS 1.41-1.58 GB (read_json
      1.21-1.31 GB).
    Where the statement's time goes now (one thread, ~7.2 us per line): from_json ~2.2,
      the checks' boolean ~1.5 (envelope ~0.5; the plan's ~1, of which Product Viewed's
      branch ~1.1 us per such message and Order Completed's products ~16 us per order),
      property members ~0.7, ISO regexes ~0.45, stamp casts ~0.3.
    The load step (perf, the 5M spooled file into raw.events): yyjson validating the JSON
      columns 14% of its CPU, zstd 14%, UTF-8 checks of the parquet strings 8%, FSST for
      the other string columns 6%, the uncompressed append and its re-scan 10%.
    Tried, not kept: from_json for the property members (JSON null comes out as absent,
      which the plan's checks tell apart); json_extract of the members with types from
      the first byte (lambdas: 7.58 -> 8.00 us); IN lists instead of OR chains for enums,
      the member lists unpacked into columns, the boolean as a CASE (no change);
      invalid UTF-8 found by casting slices of 1,024-16,384 lines and bisecting the bad
      ones (0.20 -> 0.28 us per line: more casting than the high-byte scan it replaces);
      pyarrow's count_substring for the bracket counts (3.3 us per line against numpy's
      0.39); dictionary encoding for the spool's low-cardinality columns (no change in
      writing or loading); GLOB for the canonical timestamp shape (0.11 against the
      regex's 0.13 us per call).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "ingestion" / "tracking_plan"
FULL_PERSONS = 150_000  # x 30 days ≈ 5M events with the bench behaviour model
DAYS = 30


def data_dir(base: str, scale: float) -> Path:
    return Path(base if scale == 1 else f"{base}-s{scale:g}")


def ensure_data(base: str, scale: float) -> Path:
    """The events root of the cached simulated set, generating it when missing."""
    out = data_dir(base, scale)
    done = out / "DONE.json"
    if not done.exists():
        from simulator import simulate

        t0 = time.perf_counter()
        print(f"generating ~{5 * scale:g}M events into {out} (takes a while) ...", flush=True)
        s = simulate(
            out,
            days=DAYS,
            persons=max(1000, int(FULL_PERSONS * scale)),
            shard_persons=10_000,
            batch_hours=24,  # one file per source, shard and day
            truth="counts",
        )
        done.write_text(
            json.dumps({"lines": s.lines, "files": s.files, "bytes": s.bytes, "events": s.events})
        )
        print(f"generated {s.lines} lines in {s.files} files in {time.perf_counter() - t0:.0f} s")
    return out / "events"


def _child(code: str, *args: str) -> tuple[dict, float, float]:
    """Run `code` in a fresh interpreter; (its JSON result, wall seconds, peak RSS GB).

    Peak RSS is that child's own (with its waited-for descendants): `os.wait4` returns the
    rusage of exactly that child, the per-child form of RUSAGE_CHILDREN.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)  # reaps it: Popen must not wait again
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            sys.exit(f"child failed ({p.returncode}):\n{err.read()[-4000:]}")
        result = json.loads(out.read().strip().splitlines()[-1])
    return result, wall, usage.ru_maxrss / 1024**2


# The columns of raw.events (nested objects kept as JSON, as run_load does): explicit
# columns spare read_json a schema union over thousands of files (which ran out of memory).
READ_JSON_COLUMNS = {
    **dict.fromkeys(
        ["messageId", "type", "event", "name", "anonymousId", "userId", "previousId", "groupId"],
        "VARCHAR",
    ),
    **dict.fromkeys(["timestamp", "originalTimestamp", "sentAt", "receivedAt"], "TIMESTAMPTZ"),
    **dict.fromkeys(["properties", "traits", "context"], "JSON"),
}

DUCKDB_CODE = """
import duckdb, json, sys, time
con = duckdb.connect(sys.argv[1])
t0 = time.perf_counter()
con.execute(
    "CREATE TABLE e AS SELECT * FROM read_json(?, format='newline_delimited', "
    "ignore_errors=true, filename=true, columns=" + sys.argv[3] + ")",
    [json.load(open(sys.argv[2]))],
)
rows = con.execute("SELECT count(*) FROM e").fetchone()[0]
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t0}))
"""

LOAD_CODE = """
import json, sys, time
from ingestion.load import run_load
t0 = time.perf_counter()
s = run_load(sys.argv[1], sys.argv[2], sys.argv[3])
print(json.dumps({"rows": s.rows_valid + s.rows_rejected, "valid": s.rows_valid,
                  "rejected": s.rows_rejected, "files": s.files,
                  "seconds": time.perf_counter() - t0}))
"""


def _gzip_files_duckdb_can_read(root: Path) -> list[str]:
    """`segment-logs/*/*/*.gz` minus files that are empty, not gzip, or corrupt/truncated: no
    read_json option skips those (ignore_errors covers JSON, not decompression), while
    run_load keeps their complete lines. Checked before the clock starts."""
    ok = []
    for path in sorted(root.glob("segment-logs/*/*/*.gz")):
        if path.read_bytes()[:2] != b"\x1f\x8b":  # empty, or not gzip
            continue
        try:
            with gzip.open(path) as f:
                while f.read(1 << 24):
                    pass
        except (OSError, EOFError, zlib.error):
            continue
        ok.append(str(path))
    return ok


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/tmp/spoor-bench-5m", help="cache of the simulated set")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of ~5M events")
    ap.add_argument("--events", help="use this events root instead of simulating")
    ap.add_argument("--work", default="/tmp/spoor-bench-work", help="scratch warehouses")
    ap.add_argument("--only", choices=["duckdb", "load"], help="run one contender")
    args = ap.parse_args(argv)

    root = Path(args.events) if args.events else ensure_data(args.data, args.scale)
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    files = [p for p in root.rglob("*") if p.is_file()]
    gz = sum(p.stat().st_size for p in files)
    print(f"events root {root}: {len(files)} files, {gz / 1e6:.0f} MB", flush=True)

    results = {}
    if args.only in (None, "duckdb"):
        readable = _gzip_files_duckdb_can_read(root)
        print(
            f"read_json gets {len(readable)} files (skips empty / not-gzip / truncated ones)",
            flush=True,
        )
        listing = work / "files.json"
        listing.write_text(json.dumps(readable))
        cols = "{" + ", ".join(f"'{k}': '{t}'" for k, t in READ_JSON_COLUMNS.items()) + "}"
        r, wall, rss = _child(DUCKDB_CODE, str(work / "readjson.duckdb"), str(listing), cols)
        results["read_json"] = (r, wall, rss)
        print(
            f"read_json : {r['rows']:>9} rows  {wall:7.1f} s  {r['rows'] / wall:9.0f} rows/s"
            f"  peak RSS {rss:.2f} GB",
            flush=True,
        )
    if args.only in (None, "load"):
        r, wall, rss = _child(LOAD_CODE, str(root), str(work / "spoor.duckdb"), str(PLAN))
        results["run_load"] = (r, wall, rss)
        print(
            f"run_load  : {r['rows']:>9} rows  {wall:7.1f} s  {r['rows'] / wall:9.0f} rows/s"
            f"  peak RSS {rss:.2f} GB  ({r['valid']} valid, {r['rejected']} rejected,"
            f" {r['files']} files)",
            flush=True,
        )
    if len(results) == 2:
        ratio = results["run_load"][1] / results["read_json"][1]
        print(f"ratio run_load / read_json (wall): {ratio:.2f}x  (target <= 2x)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
