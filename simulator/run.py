"""`simulate()`: shard the persons, run the shards in worker processes, write truth."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from simulator.config import FaultRates, SimConfig
from simulator.truth import write_truth
from simulator.writer import run_shard

DEFAULT_ANALYTICS = Path(__file__).resolve().parent.parent / "dbt_project" / "analytics.yml"


@dataclass(frozen=True)
class Summary:
    out_dir: Path
    events: int  # distinct clean messages
    lines: int
    valid_lines: int
    rejected_lines: int
    duplicates: int
    files: int
    bytes: int
    persons: int
    seconds: float
    truth: dict


def _shard(args):
    return run_shard(*args)


def simulate(
    out_dir: str | Path,
    *,
    seed: int = 1,
    days: int = 30,
    persons: int = 3000,
    start_date: date = date(2025, 1, 6),
    faults: bool | FaultRates = True,
    shard_persons: int = 4000,
    truth: str = "full",
    processes: int | None = None,
    analytics: str | Path | None = DEFAULT_ANALYTICS,
    gzip_level: int = 1,
    batch_hours: int = 4,
) -> Summary:
    """Write `<out_dir>/events/segment-logs/...` and `<out_dir>/truth/`. Deterministic:
    the same arguments give byte-identical files (whatever `processes` is)."""
    t0 = time.perf_counter()
    if faults is True:
        rates = FaultRates()
    elif faults is False:
        rates = FaultRates.off()
    else:
        rates = faults
    cfg = SimConfig(
        seed=seed,
        days=days,
        persons=persons,
        start_date=start_date,
        faults=rates,
        shard_persons=shard_persons,
        truth=truth,
        processes=processes,
        gzip_level=gzip_level,
        batch_hours=batch_hours,
    )
    out = Path(out_dir)
    for sub in (out / "events" / "segment-logs", out / "truth"):
        if sub.exists():  # stale files from an earlier run would break reproducibility
            shutil.rmtree(sub)
    start_ms = int(
        datetime(start_date.year, start_date.month, start_date.day, tzinfo=UTC).timestamp() * 1000
    )
    jobs = [
        (cfg, i, lo, min(lo + shard_persons, persons), str(out), start_ms)
        for i, lo in enumerate(range(0, persons, shard_persons))
    ]
    nproc = min(len(jobs), processes or os.cpu_count() or 1)
    if nproc <= 1:
        results = [_shard(j) for j in jobs]
    else:
        with mp.get_context("fork").Pool(nproc) as pool:
            results = pool.map(_shard, jobs, chunksize=1)
    s = write_truth(out / "truth", results, cfg, str(analytics) if analytics else None)
    return Summary(
        out,
        s["distinct_messages"],
        s["lines"],
        s["valid_lines"],
        s["rejected_lines"],
        s["duplicates"],
        s["files"],
        s["bytes"],
        s["sim_persons"],
        time.perf_counter() - t0,
        s,
    )


def simulate_config(out_dir: str | Path, cfg: SimConfig, **kw) -> Summary:
    return simulate(
        out_dir,
        seed=cfg.seed,
        days=cfg.days,
        persons=cfg.persons,
        start_date=cfg.start_date,
        faults=cfg.faults,
        shard_persons=cfg.shard_persons,
        truth=cfg.truth,
        processes=cfg.processes,
        gzip_level=cfg.gzip_level,
        batch_hours=cfg.batch_hours,
        **kw,
    )


__all__ = ["Summary", "replace", "simulate", "simulate_config"]
