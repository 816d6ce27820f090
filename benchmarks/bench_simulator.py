"""How fast the simulator writes the `bench` preset (~5.2M events) into a temp dir.

    uv run python -m benchmarks.bench_simulator [--processes N] [--keep]

Prints events, wall seconds, CPU seconds (this process plus its reaped workers, so a
machine shared with other jobs still shows what the run itself cost), events/s and MB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time

from simulator.config import PRESETS
from simulator.run import simulate


def _cpu() -> float:
    self_, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return self_.ru_utime + self_.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--processes", type=int, help="worker processes (default: CPU count)")
    p.add_argument("--keep", action="store_true", help="keep the output folder")
    a = p.parse_args(argv)
    out = tempfile.mkdtemp(prefix="spoor-simbench-")
    try:
        cpu0, t0 = _cpu(), time.perf_counter()
        s = simulate(out, processes=a.processes, **PRESETS["bench"])
        wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    finally:
        if not a.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(f"events      {s.events:,} ({s.valid_lines + s.rejected_lines:,} lines)")
    print(f"wall s      {wall:.1f}")
    print(f"cpu s       {cpu:.1f}")
    print(f"events/s    {s.events / wall:,.0f} (wall), {s.events / cpu:,.0f} per CPU second")
    print(
        f"MB          {s.bytes / 1e6:.1f} in {s.files:,} files" + (f" -> {out}" if a.keep else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
