"""Validate batches of lines in bulk: Arrow in, one DuckDB statement, Arrow or parquet out.

The envelope rules (contract §1) and every event schema of the tracking plan (compiled by
plan_sql.py) are evaluated in a single SELECT over the batch; Python never touches rows,
except to find the few invalid-UTF-8 lines when Arrow refuses a batch.

Output tables follow docs/design.md: `valid` is shaped like raw.events and `rejected` like
raw.rejected_events (as Arrow without `_dlt_load_id`, added by the caller; as spooled
parquet files with it, for the source to hand to dlt).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.line_bytes import invalid_utf8, is_utf8, line_depths, null_where
from ingestion.plan import TrackingPlan
from ingestion.plan_sql import (
    NO_PROBLEMS,
    PROBLEM,
    JsonVal,
    compile_plan,
    compile_plan_ok,
    event_property_keys,
    json_pointers,
    problem,
    sql_str,
)
from ingestion.reader import LineBatch
from ingestion.spool import ParquetSpool, Spooled
from ingestion.validation_stream import ValidationStream

# Envelope fields, read with one from_json per line (build_sql).
FIELDS = [
    "messageId",
    "type",
    "event",
    "name",
    "anonymousId",
    "userId",
    "previousId",
    "groupId",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
    "properties",
    "traits",
    "context",
]
OBJECT_FIELDS = ["properties", "traits", "context"]
# Fields whose JSON type a check reads (column t_<field>); of the others only presence
# counts (p_<field>), and whether a string (s_<field>).
TYPED_FIELDS = ["anonymousId", "userId", *OBJECT_FIELDS]
TIMESTAMP_FIELDS = ["timestamp", "originalTimestamp", "sentAt", "receivedAt"]
# Stamps that usually hold the same text as another of the message (~84% of bench lines
# each): the same text gets the same value and verdict, so the cast and the ISO regex run
# once (~0.2 us per line each).
SAME_STAMP_AS = {"originalTimestamp": "timestamp", "sentAt": "receivedAt"}
MESSAGE_TYPES = ["track", "page", "screen", "identify", "alias", "group"]
ISO_8601 = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?)?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
# Rejections decided before JSON (by the reader or UTF-8 check); replay cannot fix them.
NOT_REPLAYABLE = ("invalid_utf8", "line_too_long", "truncated_line")

VALIDATOR_MEMORY_LIMIT = "1GB"

TS = pa.timestamp("us", tz="UTC")
EVENTS_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("name", pa.string()),
        ("anonymous_id", pa.string()),
        ("user_id", pa.string()),
        ("previous_id", pa.string()),
        ("group_id", pa.string()),
        ("timestamp", TS),
        ("original_timestamp", TS),
        ("sent_at", TS),
        ("received_at", TS),
        ("properties", pa.string()),
        ("traits", pa.string()),
        ("context", pa.string()),
        ("source_id", pa.string()),
        ("received_day", pa.date32()),
        ("file", pa.string()),
        ("line_number", pa.int64()),
    ]
)
REJECTED_SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("line_number", pa.int64()),
        ("raw_line", pa.string()),
        ("raw_bytes", pa.binary()),
        ("reasons", pa.list_(pa.string())),
        ("message", pa.string()),
        ("message_id", pa.string()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("source_id", pa.string()),
        ("received_day", pa.date32()),
    ]
)
# Lines that look like one JSON object skip json_valid (a whole parse, ~0.5 us per line):
# from_json inside try() gives NULL exactly where json_valid is false. try() redoes a vector
# row by row when one of its lines throws, so lines that may well not be JSON (a cut line
# rarely ends with its brace) keep the json_valid guard. The shape only routes; both
# routes decide the same.
OBJECT_SHAPED = (
    "starts_with(line, '{') AND (ends_with(line, '}' || chr(10)) OR ends_with(line, '}') "
    "OR ends_with(line, '}' || chr(13) || chr(10)))"
)
# A line without the terminator the reader's column keeps (its newline, then one carriage
# return): as the file holds it, for raw_line.
LINE_END = r"\r?\n?$"
LINE_CONTENT = f"regexp_replace(line, '{LINE_END}', '')"
# What validate_table() expects: one row per line, lineage included.
INPUT_SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("line_number", pa.int64()),
        ("source_id", pa.string()),
        ("received_day", pa.date32()),
        ("line", pa.string()),  # text to validate (may keep its newline); NULL if pre-rejected
        ("raw_line", pa.string()),  # only for pre-rejected lines
        ("raw_bytes", pa.binary()),  # only for invalid UTF-8
        ("pre_reasons", pa.list_(pa.string())),
        ("pre_message", pa.string()),
    ]
)

# The validator's batch table: the input plus each line's nesting depth, exact at least
# wherever it passes the plan's max_nesting_depth (line_depths, or depth_bounds).
BATCH_SCHEMA = INPUT_SCHEMA.append(pa.field("max_depth", pa.int32()))
# What the statement reads: a temp table (validate_table) or, on a stream's own cursor, the
# Arrow stream registered under the same connection-local name.
BATCH = "batch"


@dataclass
class Validated:
    """One batch's outcome: Arrow tables, or (when spooled) parquet files."""

    valid: pa.Table | None
    rejected: pa.Table | None
    blank_lines: int  # whitespace-only lines: not messages, counted in no table
    blank_by_file: dict[str, int] = field(default_factory=dict)
    # file -> [valid, rejected, blank] lines of this batch
    by_file: dict[str, list[int]] = field(default_factory=dict)
    valid_file: Spooled | None = None
    rejected_file: Spooled | None = None
    # a stream's lines left undecided (build_sql), as BATCH_SCHEMA rows
    undecided: pa.Table | None = None


def _col(name: str) -> str:
    return name.lower()


def _f(name: str) -> str:
    """The field as JSON text (NULL when absent): parses the line again, so only for
    messages (built for rejected lines only)."""
    return f"json_extract(line, {sql_str('$.' + name)})"


def _json(name: str) -> str:
    """An object field's JSON text, NULL when it is not an object (column j_<field>)."""
    return f"j_{_col(name)}"


def _type(name: str) -> str:
    """json_type of the field, NULL when absent or JSON null (column t_<field>; only
    for TYPED_FIELDS)."""
    if name not in TYPED_FIELDS:
        raise ValueError(f"no type column for {name}: add it to TYPED_FIELDS")
    return f"t_{_col(name)}"


def _text(name: str) -> str:
    """The field as text when it is a JSON string, else NULL (column s_<field>)."""
    return f"s_{_col(name)}"


def _present(name: str) -> str:
    """Present and not JSON null (analytics.js sends `"userId": null` for anonymous users):
    a boolean column, p_<field>."""
    return f"p_{_col(name)}"


def _nonempty(name: str) -> str:
    return f"coalesce({_text(name)} <> '', false)"


def _depth_exceeds(max_depth: int) -> str:
    # column max_depth: line_depths() or depth_bounds() per line (the message is depth 1)
    return f"coalesce(max_depth > {int(max_depth)}, false)"


def envelope_checks(max_depth: int) -> list[tuple[str, str, str]]:
    """(condition, reason code, message SQL) per envelope rule; a problem when TRUE."""
    t = _text("type")
    types = ", ".join(sql_str(x) for x in MESSAGE_TYPES)
    checks = [
        (
            f"NOT {_nonempty('messageId')}",
            "missing_message_id",
            "'messageId: missing or not a non-empty string'",
        ),
        (f"NOT {_present('type')}", "missing_type", "'type: missing'"),
        (
            f"{_present('type')} AND NOT coalesce(list_contains([{types}], {t}), false)",
            "unknown_type",
            f"'type: not one of {', '.join(MESSAGE_TYPES)}: ' || {_f('type')}",
        ),
        (
            f"{t} IS DISTINCT FROM 'alias' AND NOT {_nonempty('anonymousId')} "
            f"AND NOT {_nonempty('userId')}",
            "missing_identity",
            "'neither anonymousId nor userId is a non-empty string'",
        ),
        (
            f"{t} = 'track' AND NOT {_nonempty('event')}",
            "missing_event",
            "'event: missing for track'",
        ),
        (
            f"{t} = 'alias' AND NOT {_nonempty('previousId')}",
            "missing_previous_id",
            "'previousId: missing for alias'",
        ),
        (
            f"{t} = 'group' AND NOT {_nonempty('groupId')}",
            "missing_group_id",
            "'groupId: missing for group'",
        ),
        (f"NOT {_present('receivedAt')}", "missing_received_at", "'receivedAt: missing'"),
    ]
    for name in ("anonymousId", "userId"):
        checks.append(
            (
                f"{_present(name)} AND {_type(name)} <> 'VARCHAR'",
                "invalid_identity",
                f"'{name}: not a string'",
            )
        )
    for name in TIMESTAMP_FIELDS:
        checks.append(
            (
                f"{_present(name)} AND NOT iso_{_col(name)}",
                "invalid_timestamp",
                f"'{name}: not an ISO-8601 timestamp: ' || {_f(name)}",
            )
        )
    for name in ("properties", "traits", "context"):
        checks.append(
            (
                f"{_present(name)} AND {_type(name)} <> 'OBJECT'",
                "invalid_envelope",
                f"'{name}: not an object'",
            )
        )
    checks.append(
        (
            _depth_exceeds(max_depth),
            "too_deep",
            f"'nested deeper than max_nesting_depth={max_depth}'",
        )
    )
    return checks


def _unpack(name: str) -> str:
    """The p_, t_ (TYPED_FIELDS) and s_ (or j_) columns of envelope field `name` from its
    JSON text `e.<name>` (from_json, which gives NULL for an absent field and for JSON null
    alike: every check treats both as absent). The first byte tells the type, as
    json_type names it; only a number's needs a parse (typing every field cost ~0.15 us
    per line). A string is unquoted by parsing its short text (cheaper in DuckDB than
    slicing off the quotes); an object is its JSON text as is."""
    text = f'e."{name}"'  # a constant of FIELDS
    columns = [f"{text} IS NOT NULL AS {_present(name)}"]
    if name in TYPED_FIELDS:
        kinds = "WHEN '\"' THEN 'VARCHAR' WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY' "
        kinds += "WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN'"
        columns.append(f"CASE left({text}, 1) {kinds} ELSE json_type({text}) END AS {_type(name)}")
    if name in OBJECT_FIELDS:
        first, value, column = "{", text, _json(name)
    else:
        first, value, column = '"', f"json_extract_string({text}, '$')", _text(name)
    columns.append(f"CASE WHEN left({text}, 1) = '{first}' THEN {value} END AS {column}")
    return ",\n        ".join(columns)


def _stamp_columns(prefix: str, value: Callable[[str], str]) -> tuple[str, str]:
    """Columns `<prefix>_<stamp>` = `value(stamp)`: those of the stamps not in
    SAME_STAMP_AS, then those of the others, which take their SAME_STAMP_AS stamp's column
    when their text is the same (a later CTE: they read it)."""
    own = ",\n        ".join(
        f"{value(n)} AS {prefix}_{_col(n)}" for n in TIMESTAMP_FIELDS if n not in SAME_STAMP_AS
    )
    shared = ",\n        ".join(
        f"CASE WHEN {_text(n)} = {_text(m)} THEN {prefix}_{_col(m)} ELSE {value(n)} END "
        f"AS {prefix}_{_col(n)}"
        for n, m in SAME_STAMP_AS.items()
    )
    return own, shared


def build_sql(plan: TrackingPlan, *, decide: bool = True) -> str:
    """One SELECT over the relation named BATCH (BATCH_SCHEMA). Each line is parsed once
    for all envelope fields together (plus json_valid for a line not shaped like an
    object, OBJECT_SHAPED): from_json gives every field as JSON text, whose first byte
    tells its type and a string's is unquoted (`_unpack`); every check reads those columns
    (p_/t_/s_/j_/ts_/iso_<field>), never re-parsing the line. Rows that pass every check
    (nearly all) take a boolean fast path; the list of problems (with messages) is only
    built for the others.

    With `decide=False` (the load's streaming query) the others are left undecided:
    `is_valid` NULL, with `max_depth`, to be decided later, many at once, with the full
    statement (`_Batcher._decide`, source.py). In a stream their problem lists cost ~1.1 us
    per line although ~1% of lines need one: DuckDB evaluates the large expression for
    every vector holding such a line (~2 ms each); decided together they cost ~7 us per
    such line. The stream's query also leaves the line's text out once parsed: its
    raw_line and the undecided lines come from the input it carries (`Validator.split`),
    ~0.25 us per line less than passing the text through the CTEs."""
    envelope_struct = sql_str(json.dumps(dict.fromkeys(FIELDS, "JSON")))
    unpack = ",\n        ".join(_unpack(n) for n in FIELDS)

    # ISO 8601 allows a decimal comma and a lower-case z; DuckDB's cast takes neither. A
    # stamp the plain cast refuses is cast again with both replaced; one it accepts that
    # the ISO regex passes holds neither, so the value is the same. (Replacing in every
    # stamp cost ~0.35 us per line.)
    def cast(name: str) -> str:
        return (
            f"coalesce(TRY_CAST({_text(name)} AS TIMESTAMPTZ), TRY_CAST(replace(replace("
            f"{_text(name)}, ',', '.'), 'z', 'Z') AS TIMESTAMPTZ))"
        )

    own_casts, shared_casts = _stamp_columns("ts", cast)

    def iso(name: str) -> str:
        return (
            f"coalesce(regexp_full_match({_text(name)}, {sql_str(ISO_8601)}) "
            f"AND ts_{_col(name)} IS NOT NULL, false)"
        )

    own_isos, shared_isos = _stamp_columns("iso", iso)
    event = (
        f"(CASE WHEN {_text('type')} = 'track' AND {_nonempty('event')} THEN {_text('event')} END)"
    )
    # properties as the plan sees them: absent (or null) is an empty object
    props_t = (
        f"(CASE WHEN NOT {_present('properties')} OR {_type('properties')} = 'OBJECT' "
        "THEN 'OBJECT' END)"
    )
    props_j = f"(CASE WHEN NOT {_present('properties')} THEN '{{}}' ELSE {_json('properties')} END)"
    # the members its event's checks read, extracted once per track message (absent: NULL
    # lists, i.e. every member absent, as in an empty object)
    keys = {n: event_property_keys(spec) for n, spec in plan.events.items()}
    track_props = f"{_text('type')} = 'track' AND {_type('properties')} = 'OBJECT'"

    def member_list(fn: str) -> str:
        branches = " ".join(
            f"WHEN {sql_str(n)} THEN {fn}({_json('properties')}, {json_pointers(k)})"
            for n, k in keys.items()
            if k
        )
        if not branches:
            return "NULL::VARCHAR[]"
        return f"CASE WHEN {track_props} THEN CASE {_text('event')} {branches} END END"

    members = (
        f"{member_list('json_type')} AS props_member_t,\n        "
        f"{member_list('json_extract_string')} AS props_member_s"
    )
    # compile_plan reads each event's members in the order of event_property_keys
    props = JsonVal("props_t", "props_j", "props_j", "props_member_t", "props_member_s")
    # a stream: raw_line and the undecided lines from its carried input (docstring)
    raw_line = f"coalesce(raw_line, {LINE_CONTENT})" if decide else "raw_line"
    undecided = "" if decide else ", max_depth"
    env = envelope_checks(plan.max_nesting_depth)
    env_ok = " AND ".join(f"({c}) IS NOT TRUE" for c, _, _ in env)
    env_list = ", ".join(problem(c, code, m) for c, code, m in env)
    checks = f"list_concat([{env_list}]::{PROBLEM}[], {compile_plan(plan, 'ev', props)})"
    return f"""
WITH shaped AS (
    SELECT *,
        CASE
            WHEN pre_reasons IS NOT NULL THEN NULL
            WHEN {OBJECT_SHAPED} THEN 'SHAPED'
            WHEN json_valid(line) THEN json_type(line)
        END AS shape
    FROM {BATCH}
), parsed AS (
    SELECT *,
        CASE WHEN shape IN ('SHAPED', 'OBJECT')
            THEN try(from_json(line, {envelope_struct})) END AS e
    FROM shaped
), unpacked AS (
    SELECT * EXCLUDE (e, shape),
        CASE WHEN e IS NOT NULL THEN 'OBJECT' WHEN shape <> 'SHAPED' THEN shape END
            AS line_type,
        CASE WHEN pre_reasons IS NULL AND shape IS NULL
            THEN trim(line, ' ' || chr(9) || chr(10) || chr(13)) = '' ELSE false END AS blank,
        {unpack}
    FROM parsed
), stamped AS (
    SELECT *,
        {own_casts},
        {members}
    FROM unpacked
), own_stamps AS (
    SELECT *,
        {shared_casts},
        {own_isos}
    FROM stamped
), envelope AS (
    SELECT *,
        {shared_isos},
        {event} AS ev,
        {props_t} AS props_t,
        {props_j} AS props_j
    FROM own_stamps
), fast AS (
    SELECT *,
        line_type = 'OBJECT' AND ({env_ok}) AND ({compile_plan_ok(plan, "ev", props)})
            AS all_ok
    FROM envelope
), checked AS (
    SELECT *,
        CASE
            WHEN pre_reasons IS NOT NULL THEN {NO_PROBLEMS}
            WHEN line_type IS NULL
                THEN [{{'r': 'invalid_json', 'm': 'not parseable JSON'}}]::{PROBLEM}[]
            WHEN line_type <> 'OBJECT' THEN [{{'r': 'not_an_object',
                'm': 'JSON ' || lower(line_type) || ', not an object'}}]::{PROBLEM}[]
            WHEN all_ok THEN {NO_PROBLEMS}
            ELSE {f"list_filter({checks}, lambda p: p IS NOT NULL)" if decide else "NULL"}
        END AS problems
    FROM fast
), decided AS (
    SELECT *,
        pre_reasons IS NULL AND len(problems) = 0 AS is_valid,
        coalesce(blank, false) AS blank_line
    FROM checked
)
SELECT
    is_valid,
    blank_line,
    {_text("messageId")} AS message_id,
    {_text("type")} AS type,
    {_text("event")} AS event,
    {_text("name")} AS name,
    {_text("anonymousId")} AS anonymous_id,
    {_text("userId")} AS user_id,
    {_text("previousId")} AS previous_id,
    {_text("groupId")} AS group_id,
    ts_timestamp AS timestamp,
    ts_originaltimestamp AS original_timestamp,
    ts_sentat AS sent_at,
    ts_receivedat AS received_at,
    {_json("properties")} AS properties,
    {_json("traits")} AS traits,
    {_json("context")} AS context,
    source_id, received_day, file, line_number,
    CASE WHEN NOT is_valid THEN {raw_line} END AS raw_line,
    raw_bytes,
    CASE WHEN NOT is_valid THEN coalesce(
        pre_reasons, list_sort(list_distinct(list_transform(problems, lambda p: p.r)))) END
        AS reasons,
    CASE WHEN NOT is_valid THEN coalesce(
        pre_message, array_to_string(list_transform(problems, lambda p: p.m), '; ')) END
        AS message{undecided}
FROM decided
"""


class Validator:
    """Holds a DuckDB connection and the compiled statement for a plan.

    `validate_table` validates one table on the calling thread (replay, tests). `stream`
    runs the statement once over every batch of a load (validation_stream.py): no
    planning and no batch table per batch."""

    def __init__(self, plan: TrackingPlan, *, threads: int | None = None) -> None:
        self.plan = plan
        self.sql = build_sql(plan)
        self.stream_sql = build_sql(plan, decide=False)
        self.con = duckdb.connect()
        # bound DuckDB's buffer pool so RSS stays flat over long loads
        self.con.execute(f"SET memory_limit = '{VALIDATOR_MEMORY_LIMIT}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        # DuckDB plans the statement again on every EXECUTE; its IN-list rewrite alone cost
        # ~15 of ~105 ms per plan, and the plan's short type lists run no slower without it
        # (statement CPU on 65k real lines: 10.70 / 10.38 -> 10.20 / 10.00 us per line).
        self.con.execute("SET disabled_optimizers = 'in_clause'")
        self._prepared = False
        self._streams: list[ValidationStream] = []
        self.spools: dict[str, ParquetSpool] = {}

    def stream(self) -> ValidationStream:
        """A new query over batches given one at a time (its own cursor). It leaves the
        few lines that fail a check undecided (`Validated.undecided`): decide them with
        `validate_table`, many at once."""
        cursor = self.con.cursor()
        cursor.execute("SET TimeZone = 'UTC'")  # per connection, unlike the settings above
        stream = ValidationStream(cursor, self.stream_sql, BATCH, BATCH_SCHEMA, carry=("line",))
        self._streams.append(stream)
        return stream

    def _ready(self) -> duckdb.DuckDBPyConnection:
        """The connection, with the statement prepared on its first use, over a temp table
        each batch refills (a registered Arrow object would be captured by the prepared
        plan). Prepared, the large statement is parsed once (~45 ms); DuckDB still binds
        and plans it again on every EXECUTE (~115 ms, most of it the compiled plan)."""
        if not self._prepared:
            self.con.execute("SET TimeZone = 'UTC'")
            self.con.register("batch_arrow", BATCH_SCHEMA.empty_table())
            self.con.execute(f"CREATE TEMP TABLE {BATCH} AS SELECT * FROM batch_arrow")
            self.con.unregister("batch_arrow")
            self.con.execute(f"PREPARE validate_batch AS {self.sql}")
            self._prepared = True
        return self.con

    def close(self) -> None:
        try:
            for stream in self._streams:  # stops a failed load's query; frees its cursor
                stream.abort()
            for spool in self.spools.values():  # a file left open by a failed load: finish
                spool.shutdown()  # it (the next load clears the spool folder)
        finally:
            self.con.close()

    def validate_table(self, table: pa.Table) -> Validated:
        """Validate an INPUT_SCHEMA table (used directly by replay), optionally with its
        `max_depth` column (BATCH_SCHEMA) already computed.

        After `spool_to`, the valid and rejected rows go to parquet files instead of Arrow
        tables (no parquet writing by dlt): `valid_file` / `rejected_file` are set when
        this batch completed one, and `flush_spools` returns the last ones."""
        return self.split(self._execute(table))

    def _execute(self, table: pa.Table) -> pa.Table:
        """The statement's result for `table`, as one Arrow table: split and counted in
        `split` (a temp table of results read three times cost ~1 us per line more)."""
        con = self._ready()
        con.execute(f"DELETE FROM {BATCH}")
        if "max_depth" not in table.column_names:  # the source computes it while reading
            table = table.append_column("max_depth", line_depths(table["line"]))
        con.register("batch_arrow", table)
        try:
            con.execute(f"INSERT INTO {BATCH} SELECT * FROM batch_arrow")
        finally:
            con.unregister("batch_arrow")
        return con.sql("EXECUTE validate_batch").to_arrow_table()

    def split(self, out: pa.Table) -> Validated:
        """A statement's result (`_execute`, or a stream's Future) as valid and rejected
        rows, counted per file, and undecided ones (NULL `is_valid`, a stream's only), not
        counted; the spools append them in the order of the calls."""
        valid, blank = out["is_valid"], out["blank_line"]
        rejected = pc.and_not(pc.invert(valid), blank)
        undecided = None
        if "line" in out.column_names:  # a stream's result: it carries the input's line
            undecided = _undecided(out)
            out = _with_raw_lines(out, rejected)
        by_file = _counts_by_file(out["file"], valid, rejected, blank)
        blank_by_file = {f: n[2] for f, n in by_file.items() if n[2]}
        blank_lines = sum(blank_by_file.values())
        # rows DuckDB found valid but missing a NOT NULL column of raw.events: none exist
        # (the envelope checks require both); kept out of the file dlt would refuse
        events_where = pc.and_(valid, _all_valid(out, EVENTS_NOT_NULL))
        events = out.select(EVENTS_SCHEMA.names)
        rejected_rows = out.select(REJECTED_SCHEMA.names)
        if self.spools:  # filtered (and written) by the spools' threads
            return Validated(
                None,
                None,
                blank_lines,
                blank_by_file,
                by_file,
                self.spools["events"].write(events, events_where),
                self.spools["rejected"].write(rejected_rows, rejected),
                undecided,
            )
        return Validated(
            events.filter(events_where).cast(EVENTS_SCHEMA),
            rejected_rows.filter(rejected).cast(REJECTED_SCHEMA),
            blank_lines,
            blank_by_file,
            by_file,
            undecided=undecided,
        )

    def spool_to(self, folder: str | Path, load_id: str) -> None:
        """Write the valid and rejected rows of the next batches, with `load_id` as their
        `_dlt_load_id`, to parquet files in `folder` shaped like raw.events and
        raw.rejected_events."""
        load_id_column = {LOAD_ID_FIELD.name: load_id}
        self.spools = {
            "events": ParquetSpool(folder, "events", EVENTS_FILE_SCHEMA, constants=load_id_column),
            "rejected": ParquetSpool(
                folder, "rejected", REJECTED_FILE_SCHEMA, constants=load_id_column
            ),
        }

    def flush_spools(self) -> Validated:
        """The last, partly filled files of the spools (no rows of a new batch)."""
        return Validated(
            None,
            None,
            0,
            valid_file=self.spools["events"].close(),
            rejected_file=self.spools["rejected"].close(),
        )

    def validate_batch(
        self, batch: LineBatch, *, file: str, source_id: str | None, received_day: date | None
    ) -> Validated:
        return self.validate_table(
            batch_to_table(batch, file=file, source_id=source_id, received_day=received_day)
        )


# Spooled files: typed as dlt declares the tables (dlt rewrites every imported file whose
# nullability differs from its schema), with the object fields as parquet's JSON logical
# type so the warehouse takes them without a VARCHAR -> JSON cast.
EVENTS_NOT_NULL = ["message_id", "received_at"]
LOAD_ID_FIELD = pa.field("_dlt_load_id", pa.string())
EVENTS_FILE_SCHEMA = pa.schema(
    [
        pa.field(f.name, pa.json_(pa.string()))
        if f.name in OBJECT_FIELDS
        else f.with_nullable(f.name not in EVENTS_NOT_NULL)
        for f in EVENTS_SCHEMA
    ]
).append(LOAD_ID_FIELD)
REJECTED_FILE_SCHEMA = REJECTED_SCHEMA.append(LOAD_ID_FIELD)


def _undecided(out: pa.Table) -> pa.Table | None:
    """A stream result's undecided lines, as input for the full statement (BATCH_SCHEMA)."""
    if not out["is_valid"].null_count:
        return None
    rows = out.filter(pc.is_null(out["is_valid"]))
    n = rows.num_rows
    columns = {name: rows[name] for name in ("file", "line_number", "source_id", "received_day")}
    columns["line"] = rows["line"]
    for name in ("raw_line", "raw_bytes", "pre_reasons", "pre_message"):
        columns[name] = pa.nulls(n, BATCH_SCHEMA.field(name).type)
    columns["max_depth"] = rows["max_depth"]
    return pa.table(columns, schema=BATCH_SCHEMA)


def _with_raw_lines(out: pa.Table, rejected: pa.ChunkedArray) -> pa.Table:
    """A stream's result with raw_line set, as the full statement sets it, for the lines
    it rejected itself (not JSON, not an object): their carried `line`, unterminated."""
    missing = pc.and_(rejected, pc.is_null(out["raw_line"])).combine_chunks()
    if not pc.any(missing).as_py():
        return out
    text = pc.replace_substring_regex(
        out["line"].filter(missing), LINE_END, "", max_replacements=1
    ).combine_chunks()
    raw_line = pc.replace_with_mask(out["raw_line"].combine_chunks(), missing, text)
    return out.set_column(out.schema.get_field_index("raw_line"), "raw_line", raw_line)


def _all_valid(table: pa.Table, columns: list[str]) -> pa.ChunkedArray:
    """TRUE where none of `columns` is NULL."""
    mask = pc.is_valid(table[columns[0]])
    for name in columns[1:]:
        mask = pc.and_(mask, pc.is_valid(table[name]))
    return mask


def _counts_by_file(
    files: pa.ChunkedArray,
    valid: pa.ChunkedArray,
    rejected: pa.ChunkedArray,
    blank: pa.ChunkedArray,
) -> dict[str, list[int]]:
    """file -> [valid, rejected, blank] lines."""
    counts = (
        pa.table({"file": files, "v": valid, "r": rejected, "b": blank})
        .group_by("file")
        .aggregate([("v", "sum"), ("r", "sum"), ("b", "sum")])
    )
    return {
        f: [int(v), int(r), int(b)]
        for f, v, r, b in zip(
            *(counts[c].to_pylist() for c in ("file", "v_sum", "r_sum", "b_sum")), strict=True
        )
    }


def _sparse(n: int, values: dict[int, Any], type_: pa.DataType) -> pa.Array:
    """A length-n array, NULL except at the given indices."""
    if not values:
        return pa.nulls(n, type_)
    index = np.zeros(n, np.int32)
    index[list(values)] = np.arange(1, len(values) + 1, dtype=np.int32)
    return pa.array([None, *values.values()], type_).take(pa.array(index))


def batch_to_table(
    batch: LineBatch, *, file: str, source_id: str | None, received_day: date | None
) -> pa.Table:
    """Lines to an INPUT_SCHEMA table: the reader's column as it is (its values keep their
    terminators, JSON whitespace), a whole-column UTF-8 check, per-line work only for the
    (rare) lines the reader or the check flagged."""
    n = len(batch)
    try:  # one whole-array UTF-8 check; nearly every batch passes it
        text, bad = batch.text.cast(pa.string()), set()
    except pa.ArrowInvalid:
        bad = set(invalid_utf8(batch.text))
        text = batch.text.cast(pa.string(), safe=False)  # bad lines are masked below
    # an over-long line is judged by what raw_line keeps of it
    bad = (bad - set(batch.kept)) | {i for i, x in batch.kept.items() if not is_utf8(x)}
    flagged = sorted(set(batch.problems) | bad)
    if flagged:
        raw_line, raw_bytes, pre_reasons, pre_message = {}, {}, {}, {}
        for i, raw in zip(flagged, batch.lines_at(flagged), strict=True):
            reasons, messages = [], []
            if i in batch.problems:
                reasons.append(batch.problems[i][0])
                messages.append(batch.problems[i][1])
            if i in bad:
                reasons.append("invalid_utf8")
                messages.append("not valid UTF-8; raw_bytes holds the line")
                raw_bytes[i] = raw
            raw_line[i] = raw.decode("utf-8", "backslashreplace")
            pre_reasons[i] = reasons
            pre_message[i] = "; ".join(messages)
        mask = np.zeros(n, np.bool_)
        mask[flagged] = True
        cols = [
            null_where(text, mask),
            _sparse(n, raw_line, pa.string()),
            _sparse(n, raw_bytes, pa.binary()),
            _sparse(n, pre_reasons, pa.list_(pa.string())),
            _sparse(n, pre_message, pa.string()),
        ]
    else:
        cols = [
            text,
            pa.nulls(n, pa.string()),
            pa.nulls(n, pa.binary()),
            pa.nulls(n, pa.list_(pa.string())),
            pa.nulls(n, pa.string()),
        ]
    lineage = [
        pa.repeat(pa.scalar(file, pa.string()), n),
        pa.array(np.arange(batch.first_line, batch.first_line + n, dtype=np.int64)),
        pa.repeat(pa.scalar(source_id, pa.string()), n),
        pa.repeat(pa.scalar(received_day, pa.date32()), n),
    ]
    return pa.Table.from_arrays(lineage + cols, schema=INPUT_SCHEMA)
