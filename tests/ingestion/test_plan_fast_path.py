"""The tracking plan's fast path for arrays of objects (`_items_ok`) against the full
checks: TRUE only where the full checks find no problem, and TRUE for plain valid arrays
(else the fast path would buy nothing)."""

from __future__ import annotations

import json
import random

import duckdb

from ingestion.plan_sql import NO_PROBLEMS, PROBLEM, JsonVal, _items

PRODUCTS = {
    "type": "object",
    "required": ["product_id", "quantity", "price"],
    "properties": {
        "product_id": {"type": "string", "pattern": "^SKU-[0-9]{5}$"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
        "price": {"type": "number", "minimum": 0},
        "size": {"type": ["string", "null"], "enum": ["S", "M", "L"], "minLength": 1},
        "note": {"type": "string", "maxLength": 5, "description": "annotations are ignored"},
    },
}
SCALARS = {"type": "number", "minimum": -1, "maximum": 1}
VALUES = [1, 0, -2, 100, 2.0, 2.5, 1e300, "SKU-00001", "SKU-1", "S", "XL", "", "abcdef",
          None, True, [1], {"a": 1}, "0"]  # fmt: skip


def _element(rng: random.Random) -> object:
    if rng.random() < 0.1:
        return rng.choice(VALUES)  # not an object
    good = {"product_id": f"SKU-{rng.randrange(10**5):05d}", "quantity": rng.randint(1, 99),
            "price": rng.choice([0, 1.5, 20])}  # fmt: skip
    if rng.random() < 0.3:
        good["size"] = rng.choice(["S", "M", "L"])
    for _ in range(rng.choice([0, 0, 1, 2])):  # spoil it: another value, or drop a key
        key = rng.choice([*PRODUCTS["properties"], "other"])
        if rng.random() < 0.2:
            good.pop(key, None)
        else:
            good[key] = rng.choice(VALUES)
    return good


def _verdicts(schema: dict, arrays: list[str]) -> list[tuple[bool, int]]:
    """(fast path, number of problems of the full checks) per array text."""
    v = JsonVal("'ARRAY'", "a", "a")
    fast = " AND ".join(_items(schema, v, "'p'", 0, ok=True))
    full = _items(schema, v, "'p'", 0, ok=False)
    problems = f"flatten([{', '.join(full)}]::{PROBLEM}[][])" if full else NO_PROBLEMS
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, a VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(arrays)))
    found = f"list_filter({problems}, lambda p: p IS NOT NULL)"
    return con.sql(f"SELECT {fast}, len({found}) FROM t ORDER BY i").fetchall()


def test_fast_path_true_only_without_problems() -> None:
    rng = random.Random(5)
    arrays = [json.dumps([_element(rng) for _ in range(rng.randint(0, 4))]) for _ in range(3000)]
    arrays += ["[]", '[{"product_id": "SKU-00001", "quantity": 2, "price": 0, "note": null}]']
    verdicts = _verdicts(PRODUCTS, arrays)
    assert all(n == 0 for fast, n in verdicts if fast), "fast path passed a problem"
    # both outcomes occur, and most clean arrays take the fast path
    clean = [fast for fast, n in verdicts if n == 0]
    assert len(clean) > 500 and sum(clean) / len(clean) > 0.8
    assert sum(n > 0 for _, n in verdicts) > 500


def test_fast_path_on_arrays_of_scalars() -> None:
    arrays = [json.dumps(a) for a in ([], [0, 1, -1], [0.5, 2], ["1"], [None])] + ["[1e400]"]
    assert _verdicts(SCALARS, arrays) == [
        (True, 0), (True, 0), (False, 1), (False, 1), (False, 1), (False, 1),
    ]  # fmt: skip


def test_fast_path_never_looser_than_the_full_checks() -> None:
    texts = [json.dumps([v]) for v in VALUES] + ["[1e400]", json.dumps(VALUES)]
    texts.append(json.dumps([{"a": 1}, {"a": 1, "b": 2}]))  # an unexpected member
    schemas = [
        {"enum": [1, "a", None, True]},  # non-string members: the per-element path
        {"enum": ["1", "S", "True"]},
        {"type": ["integer", "null"], "maximum": 5},
        {"type": "boolean"},
        {"maxLength": 1, "minLength": 1},
        {"pattern": "^[0-9]+$"},
        {"type": "object", "additionalProperties": False, "properties": {"a": {}}},
        {"type": "array", "items": {"type": "integer"}},
    ]
    for schema in schemas:
        verdicts = _verdicts(schema, texts)
        assert all(n == 0 for fast, n in verdicts if fast), schema
        assert any(fast for fast, _ in verdicts), schema
