"""Scenario 6: schema drift. What a producer changes, and what spoor does (documented in
RELIABILITY.md): a new property is kept verbatim (the plan's schemas allow extra
properties unless `additionalProperties: false`); a type change is rejected with
`property_type`, never coerced; a dropped required field is `property_missing`, a dropped
optional one is fine; nesting past `max_nesting_depth` is `too_deep`. Valid lines keep
their JSON exactly as sent."""

from __future__ import annotations

import json

from ingestion.load import run_load
from ingestion.reconcile import reconcile
from tests.ingestion.conftest import PLAN, Warehouse, day_dir, line, msg, write_gz


def props(**over) -> dict:
    p = msg()["properties"]
    for k, v in over.items():
        if v is None:
            p.pop(k)
        else:
            p[k] = v
    return p


def nest(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


DRIFT = {
    # name: (message, expected reasons or None when valid)
    "new property": (msg(1, properties=props(gift_wrap=True, note="x")), None),
    "price as string": (msg(2, properties=props(price="9.50")), ["property_type"]),
    "quantity as float": (msg(3, properties=props(quantity=1.5)), ["property_type"]),
    "quantity as string": (msg(4, properties=props(quantity="2")), ["property_type"]),
    "required dropped": (msg(5, properties=props(currency=None)), ["property_missing"]),
    "userId as number": (msg(6, userId=12345), ["invalid_identity"]),
    "timestamp as epoch": (msg(7, timestamp=1704103200000), ["invalid_timestamp"]),
    "properties as list": (msg(8, properties=[1, 2]), ["invalid_envelope"]),
    # message 1, properties 2, extra 3..: depth 8 is the plan's limit
    "nested to the limit": (msg(9, properties=props(extra=nest(6))), None),
    "nested past the limit": (msg(10, properties=props(extra=nest(7))), ["too_deep"]),
}


def test_schema_drift_is_kept_or_rejected_never_coerced(tmp_path):
    events_root, wh = tmp_path / "events", Warehouse(tmp_path / "wh" / "spoor.duckdb")
    names = list(DRIFT)
    write_gz(day_dir(events_root) / "drift.gz", [line(DRIFT[n][0]) for n in names])
    s = run_load(str(events_root), wh.path, PLAN)
    assert reconcile(wh.path).passed
    expected_valid = [n for n in names if DRIFT[n][1] is None]
    assert (s.rows_valid, s.rows_rejected) == (
        len(expected_valid),
        len(names) - len(expected_valid),
    )
    got = {n: r for n, r in wh.rejected("drift.gz")}
    assert {names[n - 1]: r for n, r in got.items()} == {
        n: DRIFT[n][1] for n in names if DRIFT[n][1] is not None
    }
    for n in expected_valid:
        i = names.index(n) + 1
        (stored,) = wh.q("SELECT properties FROM raw.events WHERE line_number = ?", [i])[0]
        assert json.loads(stored) == DRIFT[n][0]["properties"], n  # verbatim, nothing coerced
    # the rejected lines keep the producer's text byte for byte, for replay after a fix
    raw = wh.q("SELECT line_number, raw_line FROM raw.rejected_events ORDER BY 1")
    for i, text in raw:
        assert json.loads(text) == DRIFT[names[i - 1]][0]
