"""The simulator's files against its own truth, re-derived independently from the bytes."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zlib
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from simulator import catalog
from simulator.config import FaultRates
from simulator.run import simulate

REPO = Path(__file__).resolve().parents[2]
# Boosted rates so that a small run has every kind of fault.
RATES = FaultRates(
    malformed_json=0.01,
    invalid_utf8=0.005,
    missing_message_id=0.005,
    unknown_type=0.005,
    missing_identity=0.005,
    property_type=0.005,
    property_missing=0.005,
    property_enum=0.005,
    property_too_long=0.005,
    property_type_and_enum=0.005,
    unknown_event=0.005,
    duplicate=0.03,
    late_file=0.05,
)
SMALL = dict(seed=7, days=8, persons=240, faults=RATES, shard_persons=100)


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    summary = simulate(out, processes=2, **SMALL)
    return out, summary


def read_csv(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_same_seed_same_bytes_whatever_the_process_count(run, tmp_path):
    out, _ = run
    again = simulate(tmp_path / "again", processes=1, **SMALL)
    assert again.files > 10
    assert tree_hashes(out) == tree_hashes(tmp_path / "again")


def test_different_seed_different_bytes(run, tmp_path):
    out, _ = run
    simulate(tmp_path / "other", processes=1, **{**SMALL, "seed": 8})
    a, b = tree_hashes(out / "events"), tree_hashes(tmp_path / "other" / "events")
    empty = hashlib.sha256(b"").hexdigest()
    common = [k for k in set(a) & set(b) if a[k] != empty]
    assert len(common) > 10 and all(a[k] != b[k] for k in common)


def test_gzip_headers_are_reproducible(run):
    out, _ = run
    f = next((out / "events").rglob("*.gz"))
    head = f.read_bytes()[:10]
    assert head[:2] == b"\x1f\x8b" and head[4:8] == b"\0\0\0\0"  # mtime 0
    assert head[3] & 0x08 == 0  # no file name


# ---- an independent validator: the reason codes of docs/design.md, from the bytes -------
PLAN = {}
for p in (REPO / "ingestion" / "tracking_plan" / "events").glob("*.yml"):
    doc = yaml.safe_load(p.read_text())
    PLAN[doc["event"]] = doc["properties"]
TYPES = {"string": str, "object": dict, "array": list, "boolean": bool}


def schema_errors(value, schema) -> set[str]:
    errs: set[str] = set()
    t = schema.get("type")
    if t == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = t is None or isinstance(value, TYPES[t])
    if not ok:
        return {"property_type"}
    if "enum" in schema and value not in schema["enum"]:
        errs.add("property_enum")
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", 1 << 30):
            errs.add("property_too_long")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.add("property_pattern")
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (
            value < schema.get("minimum", float("-inf"))
            or value > schema.get("maximum", float("inf"))
        )
    ):
        errs.add("property_range")
    if isinstance(value, dict):
        for req in schema.get("required", []):
            if req not in value:
                errs.add("property_missing")
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                errs |= schema_errors(value[k], sub)
    if isinstance(value, list) and "items" in schema:
        for item in value:
            errs |= schema_errors(item, schema["items"])
    return errs


def reasons(raw: bytes) -> set[str]:
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return {"invalid_utf8"}
    try:
        m = json.loads(text)
    except ValueError:
        return {"invalid_json"}
    errs = set()
    if not isinstance(m.get("messageId"), str) or not m["messageId"]:
        errs.add("missing_message_id")
    if m.get("type") not in ("track", "page", "screen", "identify", "alias", "group"):
        return errs | {"unknown_type"}
    if m["type"] != "alias" and not (m.get("anonymousId") or m.get("userId")):
        errs.add("missing_identity")
    if m["type"] == "alias" and not m.get("previousId"):
        errs.add("missing_previous_id")
    if "receivedAt" not in m:
        errs.add("missing_received_at")
    if m["type"] == "track":
        if m.get("event") not in PLAN:
            return errs | {"unknown_event"}
        errs |= schema_errors(m.get("properties", {}), PLAN[m["event"]])
    return errs


def read_lines(path: Path) -> tuple[list[bytes], bool]:
    """Lines of a file; a cut gzip yields what decompresses, the last part flagged partial."""
    data = path.read_bytes()
    if not data:
        return [], False
    d = zlib.decompressobj(31)
    body = d.decompress(data)
    parts = body.split(b"\n")
    return parts[:-1] + ([parts[-1]] if parts[-1] else []), bool(parts[-1]) and not d.eof


def test_rejected_truth_matches_the_bytes(run):
    out, summary = run
    truth = {
        (r["file"], int(r["line_number"])): r
        for r in read_csv(out / "truth" / "rejected_lines.csv")
    }
    manifest = {r["file"]: r for r in read_csv(out / "truth" / "files.csv")}
    files = sorted((out / "events").rglob("*.gz"))
    assert {str(p.relative_to(out / "events")) for p in files} == set(manifest)
    seen_codes: Counter = Counter()
    statuses = Counter()
    for path in files:
        rel = str(path.relative_to(out / "events"))
        lines, partial = read_lines(path)
        rejected = 0
        for n, raw in enumerate(lines, 1):
            got = {"truncated_line"} if partial and n == len(lines) else reasons(raw)
            want = set(truth[(rel, n)]["reasons"].split(";")) if (rel, n) in truth else set()
            assert got == want, (rel, n, raw[:200])
            rejected += bool(got)
            seen_codes.update(got)
        m = manifest[rel]
        statuses[m["status"]] += 1
        assert (int(m["lines"]), int(m["rejected"]), int(m["valid"])) == (
            len(lines),
            rejected,
            len(lines) - rejected,
        )
        assert int(m["bytes"]) == path.stat().st_size
    assert dict(seen_codes) == summary.truth["rejected_by_reason"]
    expected_codes = {
        "invalid_json",
        "invalid_utf8",
        "missing_message_id",
        "unknown_type",
        "missing_identity",
        "property_type",
        "property_missing",
        "property_enum",
        "property_too_long",
        "unknown_event",
        "truncated_line",
    }
    assert set(seen_codes) == expected_codes
    assert statuses["empty"] == 1 and statuses["truncated"] == 1 and statuses["late"] >= 1
    multi = [r for r in truth.values() if ";" in r["reasons"]]
    assert multi and all(r["reasons"] == "property_enum;property_type" for r in multi)


def valid_messages(out: Path):
    bad = {
        (r["file"], int(r["line_number"])) for r in read_csv(out / "truth" / "rejected_lines.csv")
    }
    for path in sorted((out / "events").rglob("*.gz")):
        rel = str(path.relative_to(out / "events"))
        lines, _ = read_lines(path)
        for n, raw in enumerate(lines, 1):
            if (rel, n) not in bad:
                yield rel, json.loads(raw)


def test_counts_identities_and_folders(run):
    out, summary = run
    ids = {
        (r["identifier_type"], r["identifier"]): r
        for r in read_csv(out / "truth" / "identities.csv")
    }
    mids = Counter()
    for rel, m in valid_messages(out):
        mids[m["messageId"]] += 1
        for field, kind in (
            ("anonymousId", "anonymous_id"),
            ("userId", "user_id"),
            ("previousId", "anonymous_id"),
        ):
            if m.get(field):
                assert (kind, m[field]) in ids, (rel, field)
        day = int(rel.split("/")[2])  # the folder is the UTC day the collector received it
        received = datetime.fromisoformat(m["receivedAt"]).timestamp() * 1000
        assert day <= received < day + 86_400_000 or rel.endswith("cut0.gz"), rel
    assert sum(mids.values()) == summary.valid_lines
    assert len(mids) == summary.events
    assert summary.duplicates == sum(mids.values()) - len(mids) > 0
    # users merge: an identified person's anonymousIds share the user's person_id
    by_sim = {}
    for r in ids.values():
        if r["identifier_type"] == "user_id":
            by_sim[r["sim_person"]] = r["person_id"]
    merged = [
        r
        for r in ids.values()
        if r["identifier_type"] == "anonymous_id" and by_sim.get(r["sim_person"]) == r["person_id"]
    ]
    assert len(merged) > 20


def test_clock_skew_is_corrected_to_the_truth(run):
    out, _ = run
    skewed = 0
    for _, m in valid_messages(out):
        if "originalTimestamp" not in m:
            continue
        ts = {
            k: datetime.fromisoformat(m[k])
            for k in ("originalTimestamp", "sentAt", "receivedAt", "timestamp")
        }
        corrected = ts["receivedAt"] - (ts["sentAt"] - ts["originalTimestamp"])
        if abs((ts["originalTimestamp"] - ts["timestamp"]).total_seconds()) > 1:
            skewed += 1
        assert corrected >= ts["timestamp"]  # equal, or a later retry copy
    assert skewed > 50


def test_edge_sessions_and_funnels_present(run):
    out, summary = run
    ids = read_csv(out / "truth" / "identities.csv")
    sessions = read_csv(out / "truth" / "sessions.csv")
    dev = {r["sim_person"]: r["identifier"] for r in ids if r["identifier_type"] == "anonymous_id"}
    edge = [s for s in sessions if s["device_key"] == dev["p0000011"]]
    assert [int(s["event_count"]) for s in edge] == [2, 2]  # 30:00.000 stays, 30:00.001 splits
    kiosk = [s for s in sessions if s["device_key"] == dev["p0000007"]]
    assert len(kiosk) == 2 and float(kiosk[0]["duration_s"]) <= 86400
    funnels = read_csv(out / "truth" / "funnels.csv")
    names = {
        r["funnel_name"]
        for r in funnels
        if r["breakdown_value"] == "(all)" and r["step_index"] == "2" and int(r["persons"]) > 0
    }
    assert names == {
        "checkout",
        "signup_to_order",
        "checkout_strict",
        "browse_any_order",
        "checkout_no_coupon_removal",
    }
    assert summary.truth["sessions"] == len(sessions)


def test_user_agents_and_ips_are_what_enrichment_will_see():
    from geoip2fast import GeoIP2Fast
    from ua_parser import parse

    for ua, _ in catalog.BOT_UAS:
        assert parse(ua).device.family == "Spider"
    for ua in catalog.DESKTOP_UAS + catalog.MOBILE_WEB_UAS + [d[4] for d in catalog.APP_DEVICES]:
        assert parse(ua).device is None or parse(ua).device.family != "Spider"
    geo = GeoIP2Fast()
    for (a, b), country, *_ in catalog.IP_BLOCKS:
        for c in (1, 77, 154, 254):
            assert geo.lookup(f"{a}.{b}.{c}.{c}").country_code == country
