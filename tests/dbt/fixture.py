"""A hand-made raw layer (docs/design.md "Raw layer") for developing and testing the dbt
models without the ingestion pipeline: messages in, raw.events / rejected_events /
file_manifest out, typed as dlt writes them.

    uv run python -m tests.dbt.fixture /tmp/spoor_dev.duckdb
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import duckdb

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

DAY = "2024-03-01"
SOURCE_ID = "web"


def _ctx(
    ua: str,
    ip: str,
    path: str | None = None,
    referrer: str | None = None,
    campaign: dict | None = None,
) -> dict:
    ctx: dict = {"userAgent": ua, "ip": ip, "library": {"name": "analytics.js", "version": "5.0"}}
    if path is not None:
        ctx["page"] = {
            "url": f"https://shop.example.com{path}",
            "path": path,
            "referrer": referrer or "",
            "title": path,
        }
    if campaign:
        ctx["campaign"] = campaign
    return ctx


def _msg(mid: str, type_: str, at: str, *, anon=None, user=None, **extra) -> dict:
    msg = {
        "messageId": mid,
        "type": type_,
        "timestamp": f"{DAY}T{at}Z",
        "receivedAt": f"{DAY}T{at}Z",
    }
    if anon is not None:
        msg["anonymousId"] = anon
    if user is not None:
        msg["userId"] = user
    msg.update(extra)
    return msg


def fixture_messages() -> list[tuple[str, dict]]:
    """(file, message) pairs. The story each person tells is in tests/dbt/test_core_models.py."""
    f1, f2 = "segment-logs/web/1709251200000/a.jsonl", "segment-logs/web/1709251200000/b.jsonl"
    mac = dict(ua=CHROME_MAC, ip="81.2.69.142")
    goog = "https://www.google.com/search?q=shoes"
    m = [
        # Person A: anon a1 browses from Google, identifies as u1; a 30-minute gap stays
        # in the session, 30 min + 1 s starts a new one.
        (
            f1,
            _msg(
                "m01",
                "page",
                "10:00:00",
                anon="a1",
                name="Home",
                context=_ctx(**mac, path="/", referrer=goog),
            ),
        ),
        (
            f1,
            _msg(
                "m02",
                "page",
                "10:30:00",
                anon="a1",
                name="Shoes",
                context=_ctx(**mac, path="/shoes"),
            ),
        ),
        (
            f1,
            _msg(
                "m03",
                "identify",
                "10:30:00",
                anon="a1",
                user="u1",
                traits={"email": "Ann@Example.com", "plan": "pro"},
                context=_ctx(**mac),
            ),
        ),
        (
            f1,
            _msg(
                "m04",
                "page",
                "11:00:01",
                anon="a1",
                user="u1",
                name="Cart",
                context=_ctx(**mac, path="/cart"),
            ),
        ),
        (
            f1,
            _msg(
                "m05",
                "track",
                "11:00:05",
                anon="a1",
                user="u1",
                event="Order Completed",
                properties={"revenue": 10, "currency": "USD"},
                context=_ctx(**mac),
            ),
        ),
        # Same person on a phone (a2, via a message with both ids) and an older id a3
        # merged by alias: the chain a3 - u1 - a1 - a2.
        (
            f1,
            _msg(
                "m06",
                "page",
                "12:00:00",
                anon="a2",
                name="Home",
                context=_ctx(
                    SAFARI_IPHONE,
                    "2a02:c7f::1",
                    "/",
                    campaign={"source": "newsletter", "medium": "email", "name": "spring"},
                ),
            ),
        ),
        (
            f1,
            _msg(
                "m07",
                "track",
                "12:00:20",
                anon="a2",
                user="u1",
                event="Product Viewed",
                properties={"sku": "x"},
                context=_ctx(SAFARI_IPHONE, "2a02:c7f::1"),
            ),
        ),
        (
            f1,
            _msg(
                "m08",
                "alias",
                "12:01:00",
                anon="a2",
                user="u1",
                previousId="a3",
                context=_ctx(SAFARI_IPHONE, "2a02:c7f::1"),
            ),
        ),
        (
            f1,
            _msg(
                "m09",
                "page",
                "08:00:00",
                anon="a3",
                name="Old",
                context=_ctx(IPAD, "8.8.8.8", "/old", referrer="https://t.co/abc"),
            ),
        ),
        # Shared device d1: u2 logs in first, then u3 on the same browser. The second
        # link is blocked (cap 1); d1's anonymous events stay with u2.
        (f1, _msg("m10", "identify", "09:00:00", anon="d1", user="u2", context=_ctx(**mac))),
        (
            f1,
            _msg("m11", "page", "09:00:10", anon="d1", name="Home", context=_ctx(**mac, path="/")),
        ),
        (
            f1,
            _msg(
                "m12",
                "identify",
                "09:20:00",
                anon="d1",
                user="u3",
                traits={"phone": "+44 20 7946 0000"},
                context=_ctx(**mac),
            ),
        ),
        (
            f1,
            _msg(
                "m13",
                "page",
                "09:20:05",
                anon="d1",
                user="u3",
                name="Account",
                context=_ctx(**mac, path="/account"),
            ),
        ),
        # A bot: kept in fct_events, flagged, no session, not a person's session.
        (
            f1,
            _msg(
                "m14",
                "page",
                "03:00:00",
                anon="b1",
                name="Home",
                context=_ctx(GOOGLEBOT, "66.249.66.1", "/"),
            ),
        ),
        # Junk anonymousId: never a node; the event belongs to u4.
        (
            f1,
            _msg(
                "m15",
                "track",
                "13:00:00",
                anon="undefined",
                user="u4",
                event="Signed Up",
                context=_ctx(**mac),
            ),
        ),
        # Clock skew: client clock 1 h fast; corrected time = receivedAt - (sentAt - ts).
        (
            f1,
            {
                "messageId": "m16",
                "type": "page",
                "anonymousId": "c1",
                "name": "Skewed",
                "originalTimestamp": f"{DAY}T15:00:00Z",
                "sentAt": f"{DAY}T15:00:10Z",
                "timestamp": f"{DAY}T15:00:00Z",
                "receivedAt": f"{DAY}T14:00:10Z",
                "context": _ctx(IPAD, "81.2.69.142", "/", referrer="https://news.example.org/x"),
            },
        ),
        # Collector retry of m01 received later in another file: dropped.
        (
            f2,
            _msg(
                "m01",
                "page",
                "10:00:00",
                anon="a1",
                name="Home",
                context=_ctx(**mac, path="/", referrer=goog),
            )
            | {"receivedAt": f"{DAY}T10:05:00Z"},
        ),
        # Same messageId, different payload: a conflict for audit; the first copy wins.
        (
            f2,
            _msg(
                "m02",
                "page",
                "10:30:00",
                anon="zz",
                name="Other",
                context=_ctx(**mac, path="/other"),
            )
            | {"receivedAt": f"{DAY}T10:40:00Z"},
        ),
    ]
    return m


def build_raw(db_path: str | Path, messages: list[tuple[str, dict]] | None = None) -> None:
    messages = fixture_messages() if messages is None else messages
    con = duckdb.connect(str(db_path))
    con.execute("create schema if not exists raw")
    con.execute("""
        create or replace table raw.events (
            message_id varchar not null, type varchar, event varchar, name varchar,
            anonymous_id varchar, user_id varchar, previous_id varchar, group_id varchar,
            timestamp timestamptz, original_timestamp timestamptz, sent_at timestamptz,
            received_at timestamptz not null, properties json, traits json, context json,
            source_id varchar, received_day date, file varchar,
            line_number bigint, _dlt_load_id varchar)""")
    lines: Counter[str] = Counter()
    for file, msg in messages:
        lines[file] += 1
        js = {
            k: (json.dumps(msg[k]) if k in msg else None)
            for k in ("properties", "traits", "context")
        }
        con.execute(
            f"insert into raw.events values ({', '.join(['?'] * 20)})",
            [
                msg["messageId"],
                msg["type"],
                msg.get("event"),
                msg.get("name"),
                msg.get("anonymousId"),
                msg.get("userId"),
                msg.get("previousId"),
                msg.get("groupId"),
                msg.get("timestamp"),
                msg.get("originalTimestamp"),
                msg.get("sentAt"),
                msg["receivedAt"],
                js["properties"],
                js["traits"],
                js["context"],
                SOURCE_ID,
                DAY,
                file,
                lines[file],
                "1709251200.1",
            ],
        )
    con.execute("""
        create or replace table raw.rejected_events (
            file varchar, line_number bigint, raw_line varchar, raw_bytes blob,
            reasons json, message varchar, message_id varchar, type varchar,
            event varchar, source_id varchar, received_day date, _dlt_load_id varchar)""")
    bad = "segment-logs/web/1709251200000/b.jsonl"
    con.execute(
        "insert into raw.rejected_events values (?, ?, ?, null, ?, ?, null, null, null, ?, ?, ?)",
        [
            bad,
            lines[bad] + 1,
            "{not json",
            json.dumps(["invalid_json"]),
            "line 3 is not JSON",
            SOURCE_ID,
            DAY,
            "1709251200.1",
        ],
    )
    lines_total = Counter(lines)
    lines_total[bad] += 1
    con.execute("""
        create or replace table raw.file_manifest (
            file varchar, source_id varchar, received_day date, bytes bigint, lines bigint,
            valid bigint, rejected bigint, status varchar, detail varchar,
            loaded_at timestamptz, _dlt_load_id varchar)""")
    for file, n in sorted(lines_total.items()):
        con.execute(
            "insert into raw.file_manifest values (?, ?, ?, ?, ?, ?, ?, 'ok', null, ?, ?)",
            [
                file,
                SOURCE_ID,
                DAY,
                1000,
                n,
                lines[file],
                n - lines[file],
                f"{DAY}T16:00:00Z",
                "1709251200.1",
            ],
        )
    con.close()


if __name__ == "__main__":
    build_raw(sys.argv[1] if len(sys.argv) > 1 else "/tmp/spoor_dev.duckdb")
