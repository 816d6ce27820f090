"""Every envelope and plan reason code, and tracking-plan loading."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from ingestion.load import run_load
from ingestion.plan import TrackingPlanError, load_tracking_plan
from tests.ingestion.conftest import PLAN, day_dir, line, msg, write_gz

P = msg(0)["properties"]
ORDER = {
    "order_id": "ORD-12345678",
    "revenue": 10,
    "currency": "USD",
    "products": [{"product_id": "SKU-00001", "quantity": 1, "price": 2.0}],
}
CASES: list[tuple[bytes, list[str]]] = [
    (line(msg(1)), []),
    (b"{not json", ["invalid_json"]),
    (b'["a"]', ["not_an_object"]),
    (line(msg(2, messageId="")), ["missing_message_id"]),
    (line(msg(3, type=None)), ["missing_type"]),
    (line(msg(4, type="click")), ["unknown_type"]),
    (line(msg(5, anonymousId=None)), ["missing_identity"]),
    (line(msg(6, userId=42)), ["invalid_identity"]),
    (line(msg(7, event=None)), ["missing_event"]),
    (line(msg(8, type="alias", userId="u1")), ["missing_previous_id"]),
    (line(msg(9, type="group")), ["missing_group_id"]),
    (line(msg(10, receivedAt=None)), ["missing_received_at"]),
    (line(msg(11, timestamp="yesterday")), ["invalid_timestamp"]),
    (line(msg(12, traits=[1])), ["invalid_envelope"]),
    (line(msg(13, event="Never Heard Of")), ["unknown_event"]),
    (
        line(msg(14, properties={k: v for k, v in P.items() if k != "cart_id"})),
        ["property_missing"],
    ),
    (line(msg(15, properties={**P, "price": "9"})), ["property_type"]),
    (line(msg(16, properties={**P, "currency": "JPY"})), ["property_enum"]),
    (line(msg(17, properties={**P, "cart_id": "c" * 41})), ["property_too_long"]),
    (line(msg(18, properties={**P, "product_id": "SKU-1"})), ["property_pattern"]),
    (line(msg(19, properties={**P, "quantity": 100})), ["property_range"]),
    # nested: arrays of objects
    (line(msg(20, event="Order Completed", properties=ORDER)), []),
    (
        line(
            msg(
                21,
                event="Order Completed",
                properties={**ORDER, "products": [{"product_id": "SKU-00001", "quantity": 0}]},
            )
        ),
        ["property_missing", "property_range"],
    ),
    (line(msg(22, type="page", event=None, name="Home", properties=None)), []),
    (line(msg(23, type="alias", previousId="a", userId="u", event=None, anonymousId=None)), []),
    (
        line(msg(24, type="identify", event=None, userId=None, anonymousId=None)),
        ["missing_identity"],
    ),
    (
        line(msg(25, userId=None, anonymousId=None, messageId=5, receivedAt="x")),
        ["invalid_timestamp", "missing_identity", "missing_message_id"],
    ),
    (line(msg(26, properties={**P, "quantity": 2.0})), []),  # 2.0 is an integer
    # shaped like an object, yet not JSON: parsed without the json_valid guard
    (b'{"messageId": "m27" "type": "track"}', ["invalid_json"]),
    (line(msg(28))[:40] + b"}", ["invalid_json"]),
    (b'{"a": 1}}\r', ["invalid_json"]),
    (line(msg(30)), []),
]


def test_every_reason_code(events_root, wh):
    write_gz(day_dir(events_root) / "reasons.gz", [c[0] for c in CASES])
    s = run_load(str(events_root), wh.path, PLAN)
    expected = [(i + 1, r) for i, (_, r) in enumerate(CASES) if r]
    assert wh.rejected("reasons.gz") == expected
    assert (s.rows_valid, s.rows_rejected) == (len(CASES) - len(expected), len(expected))
    msgs = wh.q("SELECT message FROM raw.rejected_events WHERE line_number = 23")[0][0]
    assert "products[0].price: required property missing" in msgs
    assert "products[0].quantity: below minimum 1" in msgs


def test_accept_unknown_events_override(events_root, wh):
    write_gz(day_dir(events_root) / "u.gz", [line(msg(1, event="Brand New"))])
    s = run_load(str(events_root), wh.path, PLAN, accept_unknown_events=True)
    assert (s.rows_valid, s.rows_rejected) == (1, 0)


def test_unsupported_keyword_names_file_and_keyword(tmp_path):
    plan = tmp_path / "plan"
    shutil.copytree(PLAN, plan)
    f = plan / "events" / "logged_in.yml"
    doc = yaml.safe_load(f.read_text())
    doc["properties"]["properties"]["method"]["format"] = "email"
    f.write_text(yaml.safe_dump(doc))
    with pytest.raises(TrackingPlanError, match=r"logged_in\.yml.*'format'"):
        load_tracking_plan(plan)


def test_hostile_plan_text_is_bound_safely(tmp_path, events_root, wh):
    plan = tmp_path / "plan"
    (plan / "events").mkdir(parents=True)
    (plan / "plan.yml").write_text("version: 1\nunknown_events: reject\nmax_nesting_depth: 8\n")
    evil = "It's'); DROP TABLE x; --"
    (plan / "events" / "evil.yml").write_text(
        yaml.safe_dump(
            {
                "event": evil,
                "properties": {
                    "type": "object",
                    "required": ["we'ird/key~"],
                    "properties": {"we'ird/key~": {"type": "string", "enum": ["o'k", "\\n"]}},
                },
            }
        )
    )
    good = line(msg(1, event=evil, properties={"we'ird/key~": "o'k"}))
    bad = line(msg(2, event=evil, properties={"we'ird/key~": "nope"}))
    write_gz(day_dir(events_root) / "evil.gz", [good, bad])
    s = run_load(str(events_root), wh.path, plan)
    assert (s.rows_valid, s.rows_rejected) == (1, 1)
    assert wh.rejected() == [(2, ["property_enum"])]


def test_envelope_values_as_json_reads_them(events_root, wh):
    """Each envelope field reaches raw.events as JSON reads it: escapes and non-ASCII
    text unquoted, null like absent, the first of duplicate keys, and key names matched
    exactly (messageid is not messageId)."""
    tricky = ['m-"q"', "m-\\back", "m-é/€", "m-\u2028", "m-\t", "m-😀", '\\"', "m-{x}"]
    lines = [line(msg(i, messageId=m, userId=m)) for i, m in enumerate(tricky)]  # \u escapes
    lines += [
        json.dumps(msg(i, messageId=m), ensure_ascii=False).encode() for i, m in enumerate(tricky)
    ]
    lines += [
        line(msg(20)).replace(b'"m-20"', b'"m-\\u00e9\\/\\ud83d\\ude00"'),
        line(msg(21)).replace(b'{"messageId": "m-21"', b'{"messageId": "m-21", "messageId": "x"'),
        line(msg(22, messageId=None)).replace(b'"type"', b'"messageid": "m-22", "type"'),
        b'{"userId": null, "context": null, ' + line(msg(23, userId=None, context=None))[1:],
    ]
    write_gz(day_dir(events_root) / "tricky.gz", lines)
    run_load(str(events_root), wh.path, PLAN)
    expected = {i + 1: m for i, m in enumerate(tricky + tricky + ["m-é/😀", "m-21"])}
    assert dict(wh.q("SELECT line_number, message_id FROM raw.events")) == {**expected, 20: "m-23"}
    users = dict(wh.q("SELECT line_number, user_id FROM raw.events WHERE line_number <= 8"))
    assert users == {i + 1: m for i, m in enumerate(tricky)}
    assert wh.rejected("tricky.gz") == [(19, ["missing_message_id"])]
    assert wh.q("SELECT user_id, context FROM raw.events WHERE line_number = 20") == [(None, None)]
