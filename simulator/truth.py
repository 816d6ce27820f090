"""Ground truth: what the warehouse must show for the files the simulator wrote."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from simulator import reference as ref
from simulator.events import iso


def to_events(records: list[tuple]) -> tuple[list[ref.Event], dict[str, str]]:
    """Valid-line records (see writer.record) -> reference Events, and identifier -> sim person."""
    out, sim = [], {}
    for (
        mid,
        typ,
        event,
        name,
        anon,
        user,
        prev,
        ts,
        orig,
        sent,
        rcv,
        src,
        bot,
        props,
        ctx,
        person,
        _file,
    ) in records:
        out.append(
            ref.Event(
                mid, typ, rcv, event, name, anon, user, prev, ts, orig, sent, src, bot, props, ctx
            )
        )
        for i in (anon, user, prev):
            if i:
                sim[i] = person
    return out, sim


def _csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k)) for k in columns})


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(round(v, 9))
    if isinstance(v, list):
        return ";".join(v)
    return v


def write_truth(truth_dir: Path, results, cfg, analytics_path: str | None) -> dict:
    truth_dir.mkdir(parents=True, exist_ok=True)
    files = sorted((f for r in results for f in r.files), key=lambda f: f["file"])
    rejected = sorted(
        (x for r in results for x in r.rejected), key=lambda x: (x["file"], x["line_number"])
    )
    _csv(
        truth_dir / "files.csv",
        files,
        [
            "file",
            "source_id",
            "received_day",
            "received_day_ms",
            "bytes",
            "lines",
            "valid",
            "rejected",
            "status",
        ],
    )
    _csv(truth_dir / "rejected_lines.csv", rejected, ["file", "line_number", "fault", "reasons"])
    by_reason = Counter(code for x in rejected for code in x["reasons"])
    by_fault = Counter(x["fault"] for x in rejected)
    clean = sum(r.clean_events for r in results)
    valid = sum(f["valid"] for f in files)
    summary = {
        "config": {
            "seed": cfg.seed,
            "days": cfg.days,
            "persons": cfg.persons,
            "start_date": cfg.start_date.isoformat(),
            "truth": cfg.truth,
            "faults": {k: v for k, v in vars(cfg.faults).items()},
        },
        "files": len(files),
        "bytes": sum(f["bytes"] for f in files),
        "lines": sum(f["lines"] for f in files),
        "valid_lines": valid,
        "rejected_lines": len(rejected),
        "distinct_messages": clean,
        "duplicates": valid - clean,
        "rejected_by_reason": dict(sorted(by_reason.items())),
        "rejected_by_fault": dict(sorted(by_fault.items())),
        "late_files": sum(1 for f in files if f["status"] == "late"),
        "sim_persons": sum(len(r.persons) for r in results),
        "sim_bot_persons": sum(1 for r in results for _, k in r.persons if k == "bot"),
    }
    if cfg.truth == "full":
        records = [rec for r in results for rec in r.records]
        summary.update(_full_truth(truth_dir, records, analytics_path))
    (truth_dir / "summary.json").write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return summary


def _full_truth(truth_dir: Path, records: list[tuple], analytics_path: str | None) -> dict:
    lines, sim = to_events(records)
    files_of = {}
    for rec in records:  # the file of the kept (earliest received) copy
        cur = files_of.get(rec[0])
        if cur is None or rec[10] < cur[0]:
            files_of[rec[0]] = (rec[10], rec[16])
    ids = ref.resolve_identities(lines)
    all_events = ref.dedup(lines)
    for e in all_events:
        node = ("user_id", e.user_id) if e.user_id else ("anonymous_id", e.anonymous_id)
        e.person_id = ref.person_id(ids[node])
    bot_ids = {i for e in all_events if e.is_bot for i in (e.anonymous_id, e.user_id) if i}
    _csv(
        truth_dir / "identities.csv",
        [
            {
                "identifier_type": t,
                "identifier": i,
                "person_key": k,
                "person_id": ref.person_id(k),
                "sim_person": sim.get(i, ""),
                "is_bot": str(i in bot_ids).lower(),
            }
            for (t, i), k in sorted(ids.items())
        ],
        ["identifier_type", "identifier", "person_id", "person_key", "sim_person", "is_bot"],
    )

    events = sorted(
        (e for e in all_events if not e.is_bot), key=lambda e: (e.occurred_at, e.message_id)
    )
    sess = ref.sessions(events)
    _csv(
        truth_dir / "sessions.csv",
        [
            {
                "person_id": s.person_id,
                "device_key": s.device_key,
                "started_at": iso(s.started_at),
                "ended_at": iso(s.ended_at),
                "duration_s": (s.ended_at - s.started_at) / 1000,
                "event_count": s.event_count,
                "first_message_id": s.first_message_id,
            }
            for s in sess
        ],
        [
            "person_id",
            "device_key",
            "started_at",
            "ended_at",
            "duration_s",
            "event_count",
            "first_message_id",
        ],
    )

    dau: dict[str, set] = defaultdict(set)
    for e in events:
        dau[iso(e.occurred_at)[:10]].add(e.person_id)
    _csv(
        truth_dir / "daily_active.csv",
        [{"day": d, "persons": len(p)} for d, p in sorted(dau.items())],
        ["day", "persons"],
    )

    analytics = ref.load_analytics(analytics_path) if analytics_path else None
    frows, rrows = [], []
    if analytics:
        persons = ref.by_person(events)
        for f in analytics.funnels:
            frows += ref.funnel(f, persons)
        for r in analytics.retention:
            rrows += ref.retention(r, events, analytics.timezone, analytics.week_start)
    _csv(
        truth_dir / "funnels.csv",
        frows,
        [
            "funnel_name",
            "breakdown_value",
            "step_index",
            "step_name",
            "persons",
            "conversion_from_start",
            "conversion_from_previous",
            "avg_seconds_from_previous",
            "median_seconds_from_previous",
        ],
    )
    _csv(
        truth_dir / "retention.csv",
        rrows,
        [
            "retention_name",
            "period",
            "cohort_start",
            "period_offset",
            "cohort_size",
            "retained_persons",
            "retention_rate",
        ],
    )

    ordered = sorted(all_events, key=lambda e: (e.occurred_at, e.message_id))
    table = pa.table(
        {
            "message_id": [e.message_id for e in ordered],
            "type": [e.type for e in ordered],
            "event": [e.event for e in ordered],
            "name": [e.name for e in ordered],
            "anonymous_id": [e.anonymous_id for e in ordered],
            "user_id": [e.user_id for e in ordered],
            "source_id": [e.source_id for e in ordered],
            "occurred_at": pa.array([e.occurred_at for e in ordered], pa.timestamp("ms", "UTC")),
            "received_at": pa.array([e.received_at for e in ordered], pa.timestamp("ms", "UTC")),
            "file": [files_of[e.message_id][1] for e in ordered],
            "person_id": [e.person_id for e in ordered],
            "sim_person": [sim.get(e.user_id or e.anonymous_id, "") for e in ordered],
            "is_bot": [e.is_bot for e in ordered],
        }
    )
    pq.write_table(table, truth_dir / "events.parquet", compression="zstd")
    persons_all = {e.person_id for e in all_events}
    return {
        "persons": len(persons_all),
        "persons_non_bot": len({e.person_id for e in events}),
        "identifiers": len(ids),
        "sessions": len(sess),
        "events_by_type": dict(sorted(Counter(e.type for e in all_events).items())),
        "bot_events": sum(1 for e in all_events if e.is_bot),
    }
