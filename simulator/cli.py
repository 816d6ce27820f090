"""`spoor simulate`: write a synthetic events root plus its ground truth."""

from __future__ import annotations

import argparse
from datetime import date

from simulator.config import PRESETS
from simulator.run import simulate


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spoor simulate", description=__doc__)
    p.add_argument("--out", required=True, help="output folder: events/ and truth/ go here")
    p.add_argument("--preset", choices=sorted(PRESETS), help="sample (~100k events) or bench")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=int)
    p.add_argument("--persons", type=int)
    p.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2025, 1, 6),
        help="first day (UTC), YYYY-MM-DD",
    )
    p.add_argument("--no-faults", action="store_true", help="write clean events only")
    p.add_argument(
        "--truth",
        choices=["full", "counts"],
        help="full: identities, sessions, funnels, retention; counts: files only",
    )
    p.add_argument("--processes", type=int, help="worker processes (output is unaffected)")
    return p


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    opts = dict(PRESETS[a.preset or "sample"])
    for name in ("days", "persons", "truth"):
        if getattr(a, name) is not None:
            opts[name] = getattr(a, name)
    s = simulate(
        a.out,
        seed=a.seed,
        start_date=a.start,
        faults=not a.no_faults,
        processes=a.processes,
        **opts,
    )
    print(
        f"simulated {s.events:,} events ({s.valid_lines:,} valid lines, "
        f"{s.duplicates:,} duplicates, {s.rejected_lines:,} faulty lines) for "
        f"{s.persons:,} persons in {s.files:,} files, {s.bytes / 1e6:.1f} MB, "
        f"{s.seconds:.1f} s -> {a.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
