"""Load and check the tracking plan (`plan.yml` + `events/*.yml`).

The plan is human-edited, so every problem fails the load with a message naming the file
(and, for schemas, the keyword and its JSON path): a plan we cannot enforce must not pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

# The JSON Schema keywords the SQL compiler (validate.py) enforces. Annotations that do not
# constrain data are allowed too, so authors can document properties.
SUPPORTED_KEYWORDS = frozenset(
    {
        "type",
        "required",
        "properties",
        "items",
        "enum",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "additionalProperties",
    }
)
ANNOTATION_KEYWORDS = frozenset({"description", "title", "examples"})
JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
EVENT_FILE_KEYS = frozenset({"event", "description", "owner", "properties"})
PLAN_KEYS = frozenset({"version", "unknown_events", "max_nesting_depth"})


class TrackingPlanError(ValueError):
    """The plan cannot be enforced as written."""


@dataclass(frozen=True)
class EventSpec:
    name: str
    description: str
    owner: str
    schema: dict[str, Any]
    file: str


@dataclass(frozen=True)
class TrackingPlan:
    version: int
    unknown_events: str  # "reject" | "accept"
    max_nesting_depth: int
    events: dict[str, EventSpec] = field(default_factory=dict)

    def with_unknown_events(self, accept: bool | None) -> TrackingPlan:
        """The plan with `unknown_events` overridden (None keeps the plan's own choice)."""
        if accept is None:
            return self
        return TrackingPlan(
            self.version, "accept" if accept else "reject", self.max_nesting_depth, self.events
        )


def load_tracking_plan(path: str | Path) -> TrackingPlan:
    """Read the plan folder (or its `plan.yml`); raise TrackingPlanError on any problem."""
    root = Path(path)
    if root.is_file():
        root = root.parent
    plan_file = root / "plan.yml"
    raw = _read_yaml(plan_file)
    if not isinstance(raw, dict):
        raise TrackingPlanError(f"{plan_file}: expected a mapping")
    unknown = set(raw) - PLAN_KEYS
    if unknown:
        raise TrackingPlanError(f"{plan_file}: unsupported key(s) {sorted(unknown)}")
    version = raw.get("version", 1)
    unknown_events = raw.get("unknown_events", "reject")
    depth = raw.get("max_nesting_depth", 32)
    if unknown_events not in ("reject", "accept"):
        raise TrackingPlanError(f"{plan_file}: unknown_events must be 'reject' or 'accept'")
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 1000:
        raise TrackingPlanError(f"{plan_file}: max_nesting_depth must be an integer 1..1000")
    if not isinstance(version, int) or isinstance(version, bool):
        raise TrackingPlanError(f"{plan_file}: version must be an integer")

    events: dict[str, EventSpec] = {}
    for event_file in sorted((root / "events").glob("*.y*ml")):
        spec = _load_event_file(event_file)
        if spec.name in events:
            raise TrackingPlanError(
                f"{event_file}: event {spec.name!r} is already defined in {events[spec.name].file}"
            )
        events[spec.name] = spec
    return TrackingPlan(version, unknown_events, depth, events)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise TrackingPlanError(f"{path}: cannot read: {e}") from e


def _load_event_file(path: Path) -> EventSpec:
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise TrackingPlanError(f"{path}: expected a mapping")
    unknown = set(raw) - EVENT_FILE_KEYS
    if unknown:
        raise TrackingPlanError(f"{path}: unsupported key(s) {sorted(unknown)}")
    name = raw.get("event")
    if not isinstance(name, str) or not name.strip():
        raise TrackingPlanError(f"{path}: `event` must be a non-empty string")
    _check_text(path, "event", name)
    schema = raw.get("properties", {"type": "object"})
    if not isinstance(schema, dict):
        raise TrackingPlanError(f"{path}: `properties` must be a JSON Schema mapping")
    _check_schema(path, schema, "properties")
    return EventSpec(
        name=name,
        description=str(raw.get("description", "")),
        owner=str(raw.get("owner", "")),
        schema=schema,
        file=str(path),
    )


def _check_text(path: Path, where: str, text: str) -> None:
    # NUL cannot live inside a SQL string literal; everything else is escaped by the compiler.
    if "\x00" in text:
        raise TrackingPlanError(f"{path}: {where}: NUL character not allowed")


def _check_schema(path: Path, node: Any, where: str) -> None:
    """Recursively reject what the SQL compiler could not enforce faithfully."""
    if not isinstance(node, dict):
        raise TrackingPlanError(f"{path}: {where}: a schema must be a mapping")
    for key in node:
        if key not in SUPPORTED_KEYWORDS and key not in ANNOTATION_KEYWORDS:
            raise TrackingPlanError(
                f"{path}: unsupported JSON Schema keyword {key!r} at {where} "
                f"(supported: {', '.join(sorted(SUPPORTED_KEYWORDS))})"
            )
    types = node.get("type")
    if types is not None:
        for t in types if isinstance(types, list) else [types]:
            if t not in JSON_TYPES:
                raise TrackingPlanError(f"{path}: {where}.type: unknown type {t!r}")
    req = node.get("required", [])
    if not isinstance(req, list) or not all(isinstance(r, str) for r in req):
        raise TrackingPlanError(f"{path}: {where}.required must be a list of strings")
    for r in req:
        _check_text(path, f"{where}.required", r)
    props = node.get("properties", {})
    if not isinstance(props, dict):
        raise TrackingPlanError(f"{path}: {where}.properties must be a mapping")
    for name, sub in props.items():
        if not isinstance(name, str):
            raise TrackingPlanError(f"{path}: {where}.properties: names must be strings")
        _check_text(path, f"{where}.properties", name)
        _check_schema(path, sub, f"{where}.{name}")
    if "items" in node:
        _check_schema(path, node["items"], f"{where}[]")
    if "enum" in node:
        enum = node["enum"]
        if not isinstance(enum, list) or not enum:
            raise TrackingPlanError(f"{path}: {where}.enum must be a non-empty list")
        for v in enum:
            if not (v is None or isinstance(v, str | int | float | bool)):
                raise TrackingPlanError(f"{path}: {where}.enum: only scalar values supported")
            if isinstance(v, str):
                _check_text(path, f"{where}.enum", v)
    for kw in ("minLength", "maxLength"):
        v = node.get(kw)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise TrackingPlanError(f"{path}: {where}.{kw} must be a non-negative integer")
    for kw in ("minimum", "maximum"):
        v = node.get(kw)
        if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)):
            raise TrackingPlanError(f"{path}: {where}.{kw} must be a number")
    if "additionalProperties" in node and not isinstance(node["additionalProperties"], bool):
        raise TrackingPlanError(
            f"{path}: {where}.additionalProperties: only true/false supported (keyword "
            "'additionalProperties' with a schema is not supported)"
        )
    if "pattern" in node:
        _check_pattern(path, where, node["pattern"])


def _check_pattern(path: Path, where: str, pattern: Any) -> None:
    # Patterns run in DuckDB (RE2), not ECMA-262: compile them now so a bad one fails the
    # plan load instead of the load run.
    if not isinstance(pattern, str):
        raise TrackingPlanError(f"{path}: {where}.pattern must be a string")
    _check_text(path, f"{where}.pattern", pattern)
    try:
        duckdb.connect().execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error as e:
        raise TrackingPlanError(f"{path}: {where}.pattern {pattern!r} is not valid RE2: {e}") from e
