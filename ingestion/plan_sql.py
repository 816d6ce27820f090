"""Compile the tracking plan's JSON Schemas into one DuckDB SQL expression.

The expression evaluates, per row, to a list of `{r: reason code, m: message}` structs (or
NULLs, filtered later). It reads the message's `properties` as a JsonVal built by
validate.py and dispatches on the event name with one CASE, so every event's checks run
in the same statement, vectorised, with no Python per row.

Safety: every plan-derived text (event names, property names, enum values, patterns)
reaches SQL only through `sql_str` (a standard SQL string literal with quotes doubled;
DuckDB does not process backslashes in such literals; NUL is refused at plan load) and
property names additionally go through JSON Pointer escaping (`~0`, `~1`).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ingestion.plan import EventSpec, TrackingPlan

PROBLEM = "STRUCT(r VARCHAR, m VARCHAR)"
NO_PROBLEMS = f"[]::{PROBLEM}[]"
NUMERIC_JSON_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"
JSON_TYPE_NAMES = {
    "string": ["VARCHAR"],
    "number": ["BIGINT", "UBIGINT", "DOUBLE", "HUGEINT"],
    "integer": ["BIGINT", "UBIGINT", "HUGEINT"],
    "boolean": ["BOOLEAN"],
    "object": ["OBJECT"],
    "array": ["ARRAY"],
    "null": ["NULL"],
}


def sql_str(text: str) -> str:
    """A SQL string literal for any text (NUL excluded at plan load)."""
    if "\x00" in text:
        raise ValueError("NUL in SQL literal")
    return "'" + text.replace("'", "''") + "'"


def sql_num(x: float | int) -> str:
    # Through a string cast, so inf/nan/huge values are still one safe literal.
    return f"CAST({sql_str(repr(float(x)))} AS DOUBLE)"


def json_pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


def problem(cond: str, code: str, message_sql: str) -> str:
    return f"CASE WHEN {cond} THEN {{'r': {sql_str(code)}, 'm': {message_sql}}} END"


_problem = problem


class JsonVal(NamedTuple):
    """A JSON value as three SQL expressions, so checks never re-parse it: `t` its
    json_type (NULL when absent), `s` its text (a string unquoted; other values as JSON
    text) and `j` its JSON text (read only when `t` is OBJECT or ARRAY).

    For an object whose members the caller has already extracted (the message's
    properties, see `event_property_keys`): `member_t` / `member_s` are SQL lists of the
    types and texts of the members named in `members`, in that order (the event's own:
    `compile_plan` sets them per event)."""

    t: str
    s: str
    j: str
    member_t: str | None = None
    member_s: str | None = None
    members: tuple[str, ...] = ()


def event_property_keys(spec: EventSpec) -> list[str]:
    """The top-level properties one event's schema checks, in a fixed order: the caller
    extracts them once per message of that event (one multi-path json_type and one
    json_extract_string) instead of inside a lambda, which DuckDB sets up again for every
    vector and CASE branch (~7 us per track message). Per event, not the plan's union:
    the union's 17 keys, looked up for every message and read from long lists, cost
    ~0.8 us per line more."""
    keys = dict.fromkeys(spec.schema.get("properties", {}))
    keys.update(dict.fromkeys(spec.schema.get("required", [])))
    return list(keys)


def json_pointers(keys: list[str] | tuple[str, ...]) -> str:
    """A SQL list of JSON Pointer literals for object members `keys`."""
    return "[" + ", ".join(sql_str(json_pointer(k)) for k in keys) + "]"


def compile_plan(plan: TrackingPlan, event_sql: str, properties: JsonVal) -> str:
    """SQL list of problems for a track message with event name `event_sql` (NULL if the
    message is not a track event with a usable name) and its `properties` (type NULL
    when not an object; an empty object when absent)."""
    if plan.unknown_events == "reject":
        msg = _cat(sql_str("event "), event_sql, sql_str(" is not in the tracking plan"))
        unknown = f"[{problem('true', 'unknown_event', msg)}]"
    else:
        unknown = NO_PROBLEMS
    if not plan.events:
        return f"CASE WHEN {event_sql} IS NULL THEN {NO_PROBLEMS} ELSE {unknown} END"
    branches = []
    for name, spec in plan.events.items():
        checks = _node(spec.schema, _of(properties, spec), sql_str("properties"), depth=0)
        branches.append(f"WHEN {sql_str(name)} THEN {_flatten(checks)}")
    return (
        f"CASE WHEN {event_sql} IS NULL THEN {NO_PROBLEMS} ELSE "
        f"CASE {event_sql} {' '.join(branches)} ELSE {unknown} END END"
    )


def compile_plan_ok(plan: TrackingPlan, event_sql: str, properties: JsonVal) -> str:
    """SQL boolean, never NULL: TRUE only when `compile_plan` gives no problem, and for
    nearly every message that has none. The fast path: it builds no lists of problems and
    no messages (FALSE sends a message to `compile_plan`, which decides)."""
    unknown = "false" if plan.unknown_events == "reject" else "true"
    if not plan.events:
        return f"({event_sql} IS NULL OR {unknown})"
    branches = []
    for name, spec in plan.events.items():
        oks = _node(spec.schema, _of(properties, spec), "''", depth=0, ok=True)
        branches.append(f"WHEN {sql_str(name)} THEN {_all(oks)}")
    return (
        f"(CASE WHEN {event_sql} IS NULL THEN true ELSE "
        f"CASE {event_sql} {' '.join(branches)} ELSE {unknown} END END)"
    )


def _of(properties: JsonVal, spec: EventSpec) -> JsonVal:
    """`properties` as one event's checks read them: its members, when extracted."""
    if properties.member_t is None:
        return properties
    return properties._replace(members=tuple(event_property_keys(spec)))


def _all(oks: list[str]) -> str:
    return "(" + " AND ".join(oks) + ")" if oks else "true"


def _cat(*parts: str) -> str:
    return "(" + " || ".join(parts) + ")"


def _flatten(lists: list[str]) -> str:
    if not lists:
        return NO_PROBLEMS
    return f"flatten([{', '.join(lists)}]::{PROBLEM}[][])"


def _node(
    schema: dict[str, Any], v: JsonVal, path: str, depth: int, *, ok: bool = False
) -> list[str]:
    """SQL list expressions of problems for JSON value `v` (type NULL = absent) at `path`
    (a SQL text expression used in messages).

    With `ok`, SQL booleans instead (never NULL), all TRUE exactly when the lists are all
    empty: the same conditions, without building structs or messages."""
    checks: list[str] = []  # single problems (struct or NULL)
    lists: list[str] = []  # nested lists of problems (objects, arrays)

    def problem(cond: str, code: str, message_sql: str) -> str:
        if ok:
            return f"(({cond}) IS NOT TRUE)"
        return _problem(cond, code, message_sql)

    jt, text = v.t, v.s
    number = f"TRY_CAST({text} AS DOUBLE)"
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        names = sorted({n for t in types for n in JSON_TYPE_NAMES[t]})
        good = f"{jt} IN ({', '.join(sql_str(n) for n in names)})"
        if "integer" in types and "number" not in types:
            good = f"({good} OR ({jt} = 'DOUBLE' AND {number} = floor({number})))"
        want = sql_str(": expected " + " or ".join(types) + ", got ")
        cond = f"{jt} IS NOT NULL AND NOT {good}"
        checks.append(problem(cond, "property_type", _cat(path, want, f"lower({jt})")))
    if "enum" in schema:
        members = []
        for m in schema["enum"]:
            if m is None:
                members.append(f"{jt} = 'NULL'")
            elif isinstance(m, bool):
                members.append(f"({jt} = 'BOOLEAN' AND {text} = {sql_str(str(m).lower())})")
            elif isinstance(m, int | float):
                members.append(f"({jt} IN {NUMERIC_JSON_TYPES} AND {number} = {sql_num(m)})")
            else:
                members.append(f"({jt} = 'VARCHAR' AND {text} = {sql_str(m)})")
        cond = f"{jt} IS NOT NULL AND NOT coalesce({' OR '.join(members)}, false)"
        msg = _cat(path, sql_str(": value not in enum: "), text)
        checks.append(problem(cond, "property_enum", msg))
    is_str = f"{jt} = 'VARCHAR'"
    if "maxLength" in schema:
        n = int(schema["maxLength"])
        cond = f"{is_str} AND length({text}) > {n}"
        checks.append(problem(cond, "property_too_long", _cat(path, sql_str(f": longer than {n}"))))
    if "minLength" in schema:
        n = int(schema["minLength"])
        cond = f"{is_str} AND length({text}) < {n}"
        msg = _cat(path, sql_str(f": shorter than {n}"))
        checks.append(problem(cond, "property_too_short", msg))
    if "pattern" in schema:
        cond = f"{is_str} AND NOT regexp_matches({text}, {sql_str(schema['pattern'])})"
        msg = _cat(path, sql_str(": does not match " + schema["pattern"]))
        checks.append(problem(cond, "property_pattern", msg))
    is_num = f"{jt} IN {NUMERIC_JSON_TYPES}"
    if "minimum" in schema:
        cond = f"{is_num} AND {number} < {sql_num(schema['minimum'])}"
        msg = _cat(path, sql_str(f": below minimum {schema['minimum']}"))
        checks.append(problem(cond, "property_range", msg))
    if "maximum" in schema:
        cond = f"{is_num} AND {number} > {sql_num(schema['maximum'])}"
        msg = _cat(path, sql_str(f": above maximum {schema['maximum']}"))
        checks.append(problem(cond, "property_range", msg))

    props = schema.get("properties", {})
    required = schema.get("required", [])
    if props or required:
        lists.append(_children(props, required, v, path, depth, ok=ok))
    if schema.get("additionalProperties") is False:
        allowed = _sql_list(props)
        extra = f"list_filter(json_keys({v.j}), lambda k: NOT list_contains({allowed}, k))"
        cond = f"{jt} = 'OBJECT' AND len({extra}) > 0"
        msg = _cat(path, sql_str(": unexpected properties: "), f"array_to_string({extra}, ', ')")
        checks.append(problem(cond, "property_unexpected", msg))
    if "items" in schema:
        lists.extend(_items(schema["items"], v, path, depth, ok=ok))
    if ok:
        return checks + lists
    return ([f"[{', '.join(checks)}]"] if checks else []) + lists


def _children(
    props: dict[str, Any], required: list[str], v: JsonVal, path: str, depth: int, *, ok: bool
) -> str:
    """Checks of an object's properties. The types and texts of all children come from
    two multi-path calls (one parse each), bound to a lambda parameter (a SQL "let"), so
    each child is read as o<depth>.t[k] / o<depth>.s[k], never re-parsed; or, when the
    caller extracted them (v.member_t), read from its lists."""
    keys = list(props) + [r for r in required if r not in props]
    o = f"o{depth}"
    extracted = v.member_t is not None  # by the caller: no lambda
    types, texts, names = (
        (v.member_t, v.member_s, v.members) if extracted else (f"{o}.t", f"{o}.s", keys)
    )

    def child(key: str) -> JsonVal:
        k = names.index(key) + 1
        return JsonVal(f"{types}[{k}]", f"{texts}[{k}]", f"{texts}[{k}]")

    missing = []
    for r in required:
        cond = f"{child(r).t} IS NULL"
        msg = _cat(path, sql_str("." + r + ": required property missing"))
        missing.append(f"(({cond}) IS NOT TRUE)" if ok else problem(cond, "property_missing", msg))
    inner = missing if ok or not missing else [f"[{', '.join(missing)}]"]
    for key, sub in props.items():
        inner.extend(_node(sub, child(key), _cat(path, sql_str("." + key)), depth + 1, ok=ok))
    body, empty = (_all(inner), "true") if ok else (_flatten(inner), NO_PROBLEMS)
    if extracted:
        return f"(CASE WHEN {v.t} = 'OBJECT' THEN {body} ELSE {empty} END)"
    ptrs = json_pointers(keys)
    bound = f"{{'t': json_type({v.j}, {ptrs}), 's': json_extract_string({v.j}, {ptrs})}}"
    return (
        f"(CASE WHEN {v.t} = 'OBJECT' THEN list_transform([{bound}], "
        f"lambda {o}: {body})[1] ELSE {empty} END)"
    )


def _items(items: dict[str, Any], v: JsonVal, path: str, depth: int, *, ok: bool) -> list[str]:
    """Checks of every element of an array (each element parsed once per use; the fast
    path reads all elements at once where it can, `_items_ok`)."""
    if ok and (each := _items_ok(items, v.j)) is not None:
        return [f"(CASE WHEN {v.t} = 'ARRAY' THEN coalesce({each}, false) ELSE true END)"]
    x, i = f"x{depth}", f"i{depth}"
    item = JsonVal(f"json_type({x})", f"({x} ->> '$')", x)
    item_path = _cat(path, "'['", f"CAST({i} - 1 AS VARCHAR)", "']'")
    item_checks = _node(items, item, item_path, depth + 1, ok=ok)
    if not item_checks:
        return []
    elements = f"json_extract({v.j}, '$[*]')"
    if ok:
        each = f"list_bool_and(list_transform({elements}, lambda {x}: {_all(item_checks)}))"
        return [f"(CASE WHEN {v.t} = 'ARRAY' THEN coalesce({each}, true) ELSE true END)"]
    per_item = f"lambda {x}, {i}: {_flatten(item_checks)}"
    return [
        f"(CASE WHEN {v.t} = 'ARRAY' THEN "
        f"flatten(list_transform({elements}, {per_item})) ELSE {NO_PROBLEMS} END)"
    ]


# Member names written into a JSONPath as they are (others take the per-element path).
_PATH_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _items_ok(items: dict[str, Any], array: str) -> str | None:
    """The fast path's check of every element of JSON array `array`: TRUE only when no
    element has a problem (FALSE sends the message to the full checks, which decide).

    Wildcard paths give the types and texts of all elements (`$[*]`), or of one member of
    every element (`$[*].key`), in one parse each; the checks then run over those lists.
    The per-element lambda, which parsed every element again and again, cost ~55 us per
    Order Completed message in DuckDB. None when the item schema nests deeper than
    objects of scalars (those keep the per-element path)."""
    own = {k: x for k, x in items.items() if k not in ("properties", "required")}
    elements = _each_ok(own, f"json_type({array}, '$[*]')", f"json_extract_string({array}, '$[*]')")
    props, required = items.get("properties", {}), items.get("required", [])
    keys = list(props) + [r for r in required if r not in props]
    if elements is None or not all(_PATH_KEY.fullmatch(k) for k in keys):
        return None
    conds = [elements]
    # a member path yields one value per element holding it: as many as there are
    # elements only when every element is an object that holds it
    conds += [f"len(json_type({array}, '$[*].{r}')) = json_array_length({array})" for r in required]
    for key, sub in props.items():
        member = f"{array}, '$[*].{key}'"
        check = _each_ok(sub, f"json_type({member})", f"json_extract_string({member})")
        if check is None:
            return None
        conds.append(check)
    return "(" + " AND ".join(conds) + ")"


def _each_ok(schema: dict[str, Any], types: str, texts: str) -> str | None:
    """TRUE only when every value of the SQL lists `types` / `texts` (json_type and text
    of each) passes `schema`'s own checks; None when the schema nests. Set functions on
    the lists instead of a lambda where they can (DuckDB sets a lambda up again for every
    vector and CASE branch). Stricter than `_node` on purpose, never looser: an integral
    DOUBLE for "integer", a non-string value under "enum" or a range, or a non-string
    text failing a string check give FALSE, and the full checks decide."""
    if (
        any(k in schema for k in ("properties", "required", "items"))
        or schema.get("additionalProperties") is False
        or not all(isinstance(m, str) for m in schema.get("enum", []))
    ):
        return None
    conds: dict[str, None] = {}  # ordered, without repeats
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        conds[
            f"list_has_all({_sql_list(n for k in kinds for n in JSON_TYPE_NAMES[k])}, {types})"
        ] = None
    if "enum" in schema:
        conds[f"list_has_all(['VARCHAR'], {types})"] = None
        conds[f"list_has_all({_sql_list(schema['enum'])}, {texts})"] = None
    text_checks = []
    if "maxLength" in schema:
        text_checks.append(f"length(x) <= {int(schema['maxLength'])}")
    if "minLength" in schema:
        text_checks.append(f"length(x) >= {int(schema['minLength'])}")
    if "pattern" in schema:
        text_checks.append(f"regexp_matches(x, {sql_str(schema['pattern'])})")
    if text_checks:  # on every value's text: as strict as on the strings alone, or more
        each = f"list_transform({texts}, lambda x: {' AND '.join(text_checks)})"
        conds[f"coalesce(list_bool_and({each}), true)"] = None
    numbers = f"TRY_CAST({texts} AS DOUBLE[])"
    for keyword, agg, op in (("minimum", "min", ">="), ("maximum", "max", "<=")):
        if keyword in schema:
            conds[f"list_has_all({_sql_list(JSON_TYPE_NAMES['number'])}, {types})"] = None
            bound = sql_num(schema[keyword])
            conds[f"coalesce(list_aggregate({numbers}, '{agg}') {op} {bound}, true)"] = None
    return " AND ".join(conds) or "true"


def _sql_list(texts: Any) -> str:
    return "[" + ", ".join(sql_str(t) for t in dict.fromkeys(texts)) + "]::VARCHAR[]"
