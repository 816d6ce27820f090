"""One shard: generate its persons, add faults, write its gzip files, report what it wrote.

A shard owns whole persons and writes its own files (names end in `-sNN`), so shards run
in parallel without sharing state and the bytes never depend on the process count.
"""

from __future__ import annotations

import gc
import gzip
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

from simulator.behaviour import person_events
from simulator.catalog import SOURCES
from simulator.config import SimConfig
from simulator.events import BODY, BOT, CLIENT, D0, DAY_MS, KEY, PERSON, SKEW, SRC, T, line, tail
from simulator.events import iso as _iso
from simulator.faults import KINDS, make_line

# base events for faults that fit any event: every track name, pages and screens
PLAY_TYPES_AND_TRACKS = (
    "page",
    "screen",
    "Product Viewed",
    "Product Added",
    "Checkout Started",
    "Order Completed",
    "Products Searched",
    "Signed Up",
    "Logged In",
    "Coupon Applied",
    "Coupon Removed",
)


@dataclass
class ShardResult:
    files: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    records: list[tuple] | None = None  # one per valid line, for the full truth
    persons: list[tuple] = field(default_factory=list)  # (sim person, kind)
    clean_events: int = 0


# A line to write: (received_ms, seq, event | None, sent_shift, raw fault bytes | None, fault kind)
_RCV, _SEQ, _EV, _SHIFT, _RAW, _FAULT = range(6)


def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%M")


def record(ev: tuple, data: bytes, rcv: int, sent_shift: int, file: str) -> tuple:
    """What truth needs to know about one valid line `data` (times as written, in ms)."""
    d = orjson.loads(data)
    t = ev[T]
    return (
        d["messageId"],
        d["type"],
        d.get("event"),
        d.get("name"),
        d.get("anonymousId"),
        d.get("userId"),
        d.get("previousId"),
        t,
        t + ev[SKEW] if ev[CLIENT] else None,
        t + ev[D0] + ev[SKEW] + sent_shift,
        rcv,
        ev[SRC],
        ev[BOT],
        d.get("properties"),
        d["context"],
        ev[PERSON],
        file,
    )


def run_shard(cfg: SimConfig, shard: int, lo: int, hi: int, out: str, start_ms: int):
    # Millions of long-lived objects and no cycles: the cyclic GC would only rescan them.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_shard(cfg, shard, lo, hi, out, start_ms)
    finally:
        if was_enabled:
            gc.enable()


def _run_shard(cfg: SimConfig, shard: int, lo: int, hi: int, out: str, start_ms: int):
    res = ShardResult(records=[] if cfg.truth == "full" else None)
    events: list[tuple] = []
    for i in range(lo, hi):
        evs = person_events(i, cfg.seed, start_ms, cfg.days)
        events.extend(evs)
        res.persons.append((f"p{i:07d}", "bot" if evs and evs[0][BOT] else "person"))
    res.clean_events = len(events)
    f = cfg.faults
    frng = random.Random(f"{cfg.seed}:faults:{shard}")  # faults never touch behaviour RNGs
    nrng = np.random.default_rng([cfg.seed, shard, 7])
    batch = cfg.batch_hours * 3600_000

    # 1. batch files, some of them delivered whole days late
    files: dict[tuple, list[tuple]] = {}
    shift_of: dict[tuple, int] = {}
    by_name: dict[str, list] = {}  # clean lines by event name or type: fault bases
    for seq, ev in enumerate(events):
        rcv = ev[T] + ev[D0]
        key = (ev[SRC], rcv // batch, "")
        lst = files.get(key)
        if lst is None:
            lst = files[key] = []
            shift_of[key] = DAY_MS * frng.randrange(1, 5) if frng.random() < f.late_file else 0
        shift = shift_of[key]
        ln = (rcv + shift, seq, ev, shift, None, None)
        lst.append(ln)
        names = by_name.get(ev[KEY])
        if names is None:
            names = by_name[ev[KEY]] = []
        names.append(ln)
    seq = len(events)
    primary = sorted(files)

    # 2. collector retries: the same payload again in a retry file of a later batch
    on_time = [ln for key in primary if not shift_of[key] for ln in files[key]]
    for i in _pick(nrng, len(on_time), f.duplicate):
        ln = on_time[i]
        ev = ln[_EV]
        b = ln[_RCV] // batch + 1
        rcv = b * batch + frng.randrange(1000, 20 * 60_000)
        files.setdefault((ev[SRC], b, "retry"), []).append((rcv, seq, ev, 0, None, None))
        seq += 1

    # 3. faulty lines, next to the clean line they were made from
    for kind, rate in f.line_kinds():
        names, _ = KINDS[kind]
        pool = [ln for n in (names or PLAY_TYPES_AND_TRACKS) for ln in by_name.get(n, ())]
        for i in _pick(nrng, len(events), rate, cap=len(pool)):
            ln = pool[i]
            ev = ln[_EV]
            key = (ev[SRC], (ln[_RCV] - ln[_SHIFT]) // batch, "")
            d = orjson.loads(line(ev, ln[_RCV], ln[_SHIFT]))  # same key order as the line
            end = (ln[_RCV] // batch + 1) * batch - 1  # stay inside the file's batch window
            rcv = min(ln[_RCV] + frng.randrange(1, 2000), end)
            d["receivedAt"] = _iso(rcv)
            files[key].append((rcv, seq, None, 0, make_line(kind, d, frng), kind))
            seq += 1

    # 4. write, in a fixed order
    root = Path(out) / "events" / "segment-logs"
    records = res.records
    for key in sorted(files):
        src, b, tag = key
        lines = files[key]
        lines.sort()  # by (received, seq): seq is unique, so no further field is compared
        day = (b * batch + shift_of.get(key, 0)) // DAY_MS * DAY_MS
        name = f"{_stamp(b * batch)}-s{shard:02d}{'-' + tag if tag else ''}.gz"
        rel = f"segment-logs/{src}/{day}/{name}"
        buf = []
        nrej = 0
        for n, (rcv, _, ev, shift, raw, fault) in enumerate(lines, 1):
            if raw is not None:
                buf += (raw, b"\n")
                nrej += 1
                res.rejected.append(
                    {"file": rel, "line_number": n, "fault": fault, "reasons": KINDS[fault][1]}
                )
            else:
                end = tail(ev, rcv, shift)
                buf += ev[BODY]  # parts of the line, joined once per file
                buf.append(end)
                if records is not None:
                    records.append(record(ev, b"".join(ev[BODY]) + end[:-1], rcv, shift, rel))
        data = gzip.compress(b"".join(buf), compresslevel=cfg.gzip_level, mtime=0)
        _write(root / src / str(day) / name, data)
        res.files.append(
            _manifest(
                rel,
                src,
                day,
                len(data),
                len(lines),
                len(lines) - nrej,
                nrej,
                "late" if shift_of.get(key) else "ok",
            )
        )
    if shard == 0:
        _special_files(cfg, res, files, root, batch, frng)
    return res


def _special_files(cfg, res, files, root, batch, frng) -> None:
    """An empty file, and a retry file cut short (a truncated gzip stream)."""
    web = SOURCES["web"]
    keys = sorted(k for k in files if k[0] == web and k[2] == "")
    for i in range(cfg.faults.empty_files):
        b = keys[(len(keys) // 2 + i) % len(keys)][1] if keys else 0
        day = b * batch // DAY_MS * DAY_MS
        rel = f"segment-logs/{web}/{day}/{_stamp(b * batch)}-s00-empty{i}.gz"
        _write(root / web / str(day) / rel.rsplit("/", 1)[1], b"")
        res.files.append(_manifest(rel, web, day, 0, 0, 0, 0, "empty"))
    for i in range(cfg.faults.truncated_files):
        if not keys:
            break
        key = keys[(len(keys) // 3 + i) % len(keys)]
        clean = [ln for ln in files[key] if ln[_RAW] is None][:300]
        if not clean:
            continue
        delay = batch + frng.randrange(60_000, 3600_000)  # retried one batch later
        body = [line(ln[_EV], ln[_RCV] + delay, ln[_SHIFT]) for ln in clean]
        data = gzip.compress(b"\n".join(body) + b"\n", compresslevel=cfg.gzip_level, mtime=0)
        data = data[: int(len(data) * 0.6)]
        # What a reader that decompresses as far as the bytes allow recovers:
        prefix = zlib.decompressobj(31).decompress(data)
        parts = prefix.split(b"\n")
        complete, partial = parts[:-1], parts[-1]
        rcv0 = clean[0][_RCV] + delay
        day = rcv0 // DAY_MS * DAY_MS
        rel = f"segment-logs/{web}/{day}/{_stamp(key[1] * batch + delay)}-s00-cut{i}.gz"
        _write(root / web / str(day) / rel.rsplit("/", 1)[1], data)
        for ln, raw in zip(clean, complete, strict=False):
            if res.records is not None:
                res.records.append(record(ln[_EV], raw, ln[_RCV] + delay, ln[_SHIFT], rel))
        nrej = 1 if partial else 0
        if partial:
            res.rejected.append(
                {
                    "file": rel,
                    "line_number": len(complete) + 1,
                    "fault": "truncated_gzip",
                    "reasons": ["truncated_line"],
                }
            )
        res.files.append(
            _manifest(
                rel, web, day, len(data), len(complete) + nrej, len(complete), nrej, "truncated"
            )
        )


def _pick(nrng, n: int, rate: float, cap: int | None = None) -> list[int]:
    """Indices of the faulted items: a binomial count, then a sample without replacement."""
    if n == 0 or rate <= 0 or cap == 0:
        return []
    k = int(nrng.binomial(n, min(rate, 1.0)))
    limit = n if cap is None else cap
    k = min(k, limit)
    return sorted(int(i) for i in nrng.choice(limit, size=k, replace=False))


def _manifest(rel, src, day, nbytes, lines, valid, rejected, status) -> dict:
    return {
        "file": rel,
        "source_id": src,
        "received_day_ms": day,
        "received_day": datetime.fromtimestamp(day / 1000, UTC).strftime("%Y-%m-%d"),
        "bytes": nbytes,
        "lines": lines,
        "valid": valid,
        "rejected": rejected,
        "status": status,
    }


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
