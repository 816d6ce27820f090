"""The analytics file (funnels, retention; contract §4) validated and written as data.

`load_analytics(path)` validates strictly: a definition we cannot compute exactly must
fail loudly, naming the field (`funnels[1].window.unit: ...`), rather than produce a
plausible wrong number. `write_definitions(defs, con_or_path)` replaces the `config.*`
tables of docs/design.md. Names and values reach DuckDB only through Arrow, never as SQL
text, so a funnel called `x'; DROP TABLE y; --` is just a funnel with an odd name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa
import yaml

ORDERS = ("ordered", "strict", "unordered")
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
PERIODS = ("day", "week", "month")
RETENTION_TYPES = ("recurring", "first_time")
WEEK_STARTS = ("monday", "sunday")
# `page` / `screen` match any page / screen call; anything else is a track event name.
CALL_TYPES = ("page", "screen")
# An unordered funnel whose steps can match one event checks every set of its steps for
# each event it takes (one event fills one step): 2^n sets, so n is bounded.
MAX_SHARED_UNORDERED_STEPS = 10
# A breakdown reads the event's properties or context JSON, at a dotted path.
BREAKDOWN_RE = re.compile(r"^(properties|context)(\.[^.]+)+$")


class AnalyticsDefinitionError(ValueError):
    """The analytics file is invalid; the message starts with the offending field path."""


@dataclass(frozen=True)
class EventRef:
    event_type: str  # track | page | screen
    event_name: str | None  # None for page/screen = any
    where: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    name: str
    event: EventRef


@dataclass(frozen=True)
class Exclusion:
    event: EventRef
    from_step: int
    to_step: int


@dataclass(frozen=True)
class Funnel:
    name: str
    order: str
    window_seconds: int
    steps: tuple[Step, ...]
    breakdown: str | None = None
    exclusions: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class Retention:
    name: str
    start_event: EventRef
    return_event: EventRef
    period: str
    type: str
    intervals: int


@dataclass(frozen=True)
class AnalyticsDefinitions:
    timezone: str = "UTC"
    week_start: str = "monday"
    funnels: tuple[Funnel, ...] = ()
    retention: tuple[Retention, ...] = ()


# ---------------------------------------------------------------- validation helpers


def _fail(path: str, msg: str) -> None:
    raise AnalyticsDefinitionError(f"{path}: {msg}")


def _mapping(value: Any, path: str, required: set[str], optional: set[str]) -> dict:
    if not isinstance(value, dict):
        _fail(path, f"expected a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str) or key not in required | optional:
            allowed = "|".join(sorted(required | optional))
            _fail(f"{path}.{key}" if path else str(key), f"unknown key (allowed: {allowed})")
    for key in sorted(required):
        if key not in value:
            _fail(f"{path}.{key}" if path else key, "required")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(path, f"expected a non-empty string, got {value!r}")
    return value


def _choice(value: Any, path: str, choices: tuple[str, ...] | dict) -> str:
    if not isinstance(value, str) or value not in choices:
        _fail(path, f"{value!r} is not one of {'|'.join(choices)}")
    return value


def _int(value: Any, path: str, minimum: int = 1) -> int:
    # bool is an int in Python; `intervals: true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"expected an integer, got {value!r}")
    if value < minimum:
        _fail(path, f"must be >= {minimum}, got {value}")
    return value


def _scalar_text(value: Any, path: str) -> str:
    """A `where` value as the text `properties ->> key` yields for the same JSON value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    _fail(path, f"expected a string, number or boolean, got {type(value).__name__}")
    raise AssertionError  # unreachable


def _event_ref(event: Any, where: Any, path: str) -> EventRef:
    name = _str(event, f"{path}.event")
    filters: dict[str, str] = {}
    if where is not None:
        if not isinstance(where, dict) or not where:
            _fail(f"{path}.where", "expected a non-empty mapping of property: value")
        for key, val in where.items():
            _str(key, f"{path}.where")
            filters[key] = _scalar_text(val, f"{path}.where.{key}")
    if name in CALL_TYPES:
        return EventRef(name, None, filters)
    return EventRef("track", name, filters)


def _unique(names: list[str], path: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            _fail(f"{path}[{i}].name", f"duplicate name {name!r}")
        seen.add(name)


# ---------------------------------------------------------------- parsing


def _funnel(raw: Any, path: str) -> Funnel:
    f = _mapping(raw, path, {"name", "steps", "order", "window"}, {"breakdown", "exclusions"})
    name = _str(f["name"], f"{path}.name")
    order = _choice(f["order"], f"{path}.order", ORDERS)
    win = _mapping(f["window"], f"{path}.window", {"value", "unit"}, set())
    value = _int(win["value"], f"{path}.window.value")
    unit = _choice(win["unit"], f"{path}.window.unit", UNITS)

    if not isinstance(f["steps"], list):
        _fail(f"{path}.steps", "expected a list")
    if len(f["steps"]) < 2:
        _fail(f"{path}.steps", f"a funnel needs at least 2 steps, got {len(f['steps'])}")
    steps = []
    for i, s in enumerate(f["steps"]):
        sp = f"{path}.steps[{i}]"
        s = _mapping(s, sp, {"event"}, {"where", "name"})
        ref = _event_ref(s["event"], s.get("where"), sp)
        label = _str(s["name"], f"{sp}.name") if "name" in s else s["event"]
        steps.append(Step(label, ref))
    n = len(steps)
    kinds = [(s.event.event_type, s.event.event_name) for s in steps]
    if order == "unordered" and n > MAX_SHARED_UNORDERED_STEPS and len(set(kinds)) < n:
        _fail(
            f"{path}.steps",
            f"an unordered funnel whose steps can match the same event has at most "
            f"{MAX_SHARED_UNORDERED_STEPS} steps, got {n}",
        )

    breakdown = f.get("breakdown")
    if breakdown is not None and (
        not isinstance(breakdown, str) or not BREAKDOWN_RE.match(breakdown)
    ):
        _fail(f"{path}.breakdown", f"{breakdown!r} is not a path like properties.x or context.a.b")

    exclusions = []
    raw_excl = f.get("exclusions") or []
    if not isinstance(raw_excl, list):
        _fail(f"{path}.exclusions", "expected a list")
    for i, e in enumerate(raw_excl):
        ep = f"{path}.exclusions[{i}]"
        e = _mapping(e, ep, {"event"}, {"where", "from_step", "to_step"})
        ref = _event_ref(e["event"], e.get("where"), ep)
        lo = _int(e.get("from_step", 1), f"{ep}.from_step")
        hi = _int(e.get("to_step", n), f"{ep}.to_step")
        if lo > n:
            _fail(f"{ep}.from_step", f"{lo} is out of range 1..{n}")
        if hi > n:
            _fail(f"{ep}.to_step", f"{hi} is out of range 1..{n}")
        if lo >= hi:
            _fail(f"{ep}.to_step", f"must be greater than from_step ({lo}), got {hi}")
        if order == "unordered" and (lo, hi) != (1, n):
            # contract §4: in an unordered funnel an exclusion spans the whole funnel.
            _fail(f"{ep}", f"an unordered funnel's exclusion must span steps 1..{n}")
        exclusions.append(Exclusion(ref, lo, hi))

    return Funnel(name, order, value * UNITS[unit], tuple(steps), breakdown, tuple(exclusions))


def _retention(raw: Any, path: str) -> Retention:
    r = _mapping(
        raw, path, {"name", "start_event", "return_event", "period", "type", "intervals"}, set()
    )
    return Retention(
        name=_str(r["name"], f"{path}.name"),
        start_event=_event_ref_field(r["start_event"], f"{path}.start_event"),
        return_event=_event_ref_field(r["return_event"], f"{path}.return_event"),
        period=_choice(r["period"], f"{path}.period", PERIODS),
        type=_choice(r["type"], f"{path}.type", RETENTION_TYPES),
        intervals=_int(r["intervals"], f"{path}.intervals"),
    )


def _event_ref_field(value: Any, path: str) -> EventRef:
    name = _str(value, path)
    return EventRef(name, None) if name in CALL_TYPES else EventRef("track", name)


def parse_analytics(raw: Any) -> AnalyticsDefinitions:
    """Validate an already-parsed analytics document."""
    doc = _mapping(raw, "", set(), {"timezone", "week_start", "funnels", "retention"})
    tz = _str(doc.get("timezone", "UTC"), "timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        _fail("timezone", f"{tz!r} is not a known IANA time zone")
    week_start = _choice(doc.get("week_start", "monday"), "week_start", WEEK_STARTS)

    sections = {}
    for key in ("funnels", "retention"):
        items = doc.get(key) or []
        if not isinstance(items, list):
            _fail(key, "expected a list")
        sections[key] = items
    funnels = [_funnel(f, f"funnels[{i}]") for i, f in enumerate(sections["funnels"])]
    _unique([f.name for f in funnels], "funnels")
    retention = [_retention(r, f"retention[{i}]") for i, r in enumerate(sections["retention"])]
    _unique([r.name for r in retention], "retention")
    return AnalyticsDefinitions(tz, week_start, tuple(funnels), tuple(retention))


def load_analytics(path: str | Path) -> AnalyticsDefinitions:
    """Read and validate the analytics YAML file at `path`."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AnalyticsDefinitionError(f"{path}: not valid YAML: {exc}") from exc
    return parse_analytics(raw if raw is not None else {})


# ---------------------------------------------------------------- writing


def _tables(defs: AnalyticsDefinitions) -> dict[str, pa.Table]:
    s, i32, i64 = pa.string(), pa.int32(), pa.int64()
    rows: dict[str, list[dict]] = {
        k: []
        for k in (
            "funnels",
            "funnel_steps",
            "funnel_step_filters",
            "funnel_exclusions",
            "funnel_exclusion_filters",
            "retention_definitions",
        )
    }
    for f in defs.funnels:
        rows["funnels"].append(
            dict(
                funnel_name=f.name,
                funnel_order=f.order,
                window_seconds=f.window_seconds,
                breakdown_path=f.breakdown,
                step_count=len(f.steps),
            )
        )
        for k, step in enumerate(f.steps, 1):
            ev = step.event
            rows["funnel_steps"].append(
                dict(
                    funnel_name=f.name,
                    step_index=k,
                    step_name=step.name,
                    event_type=ev.event_type,
                    event_name=ev.event_name,
                )
            )
            for prop, val in ev.where.items():
                rows["funnel_step_filters"].append(
                    dict(funnel_name=f.name, step_index=k, property=prop, value=val)
                )
        for x, excl in enumerate(f.exclusions, 1):
            ev = excl.event
            rows["funnel_exclusions"].append(
                dict(
                    funnel_name=f.name,
                    exclusion_index=x,
                    event_type=ev.event_type,
                    event_name=ev.event_name,
                    from_step=excl.from_step,
                    to_step=excl.to_step,
                )
            )
            for prop, val in ev.where.items():
                rows["funnel_exclusion_filters"].append(
                    dict(funnel_name=f.name, exclusion_index=x, property=prop, value=val)
                )
    for r in defs.retention:
        rows["retention_definitions"].append(
            dict(
                retention_name=r.name,
                start_event_type=r.start_event.event_type,
                start_event_name=r.start_event.event_name,
                return_event_type=r.return_event.event_type,
                return_event_name=r.return_event.event_name,
                period=r.period,
                retention_type=r.type,
                intervals=r.intervals,
            )
        )
    schemas = {
        "funnels": [
            ("funnel_name", s), ("funnel_order", s), ("window_seconds", i64),
            ("breakdown_path", s), ("step_count", i32),
        ],
        "funnel_steps": [
            ("funnel_name", s), ("step_index", i32), ("step_name", s),
            ("event_type", s), ("event_name", s),
        ],
        "funnel_step_filters": [
            ("funnel_name", s), ("step_index", i32), ("property", s), ("value", s),
        ],
        "funnel_exclusions": [
            ("funnel_name", s), ("exclusion_index", i32), ("event_type", s),
            ("event_name", s), ("from_step", i32), ("to_step", i32),
        ],
        "funnel_exclusion_filters": [
            ("funnel_name", s), ("exclusion_index", i32), ("property", s), ("value", s),
        ],
        "retention_definitions": [
            ("retention_name", s), ("start_event_type", s), ("start_event_name", s),
            ("return_event_type", s), ("return_event_name", s), ("period", s),
            ("retention_type", s), ("intervals", i32),
        ],
    }  # fmt: skip
    out = {
        name: pa.Table.from_pylist(rows[name], schema=pa.schema(cols))
        for name, cols in schemas.items()
    }
    out["settings"] = pa.Table.from_pylist(
        [dict(timezone=defs.timezone, week_start=defs.week_start)],
        schema=pa.schema([("timezone", s), ("week_start", s)]),
    )
    return out


def write_definitions(
    defs: AnalyticsDefinitions, con_or_path: duckdb.DuckDBPyConnection | str | Path
) -> None:
    """Replace the `config.*` tables with `defs`, in one transaction.

    Table names are this module's constants; every name and value from the file travels
    as Arrow data, so nothing from the file is ever part of SQL text.
    """
    own = not isinstance(con_or_path, duckdb.DuckDBPyConnection)
    con = duckdb.connect(str(con_or_path)) if own else con_or_path
    try:
        con.execute("begin transaction")
        con.execute("create schema if not exists config")
        for name, table in _tables(defs).items():
            con.register("_spoor_config_arrow", table)
            # `name` is one of this module's fixed table names, never file content.
            con.execute(f"create or replace table config.{name} as from _spoor_config_arrow")
            con.unregister("_spoor_config_arrow")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        if own:
            con.close()


def main(argv: list[str] | None = None) -> None:
    """`python -m ingestion.analytics_definitions [FILE [WAREHOUSE]]` (defaults: settings)."""
    import sys

    from spoor.settings import Settings

    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    analytics = args[0] if args else settings.analytics
    warehouse = args[1] if len(args) > 1 else settings.warehouse
    write_definitions(load_analytics(analytics), warehouse)


if __name__ == "__main__":
    main()
