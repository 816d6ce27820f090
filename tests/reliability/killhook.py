"""`python -m tests.reliability.killhook run ...` = `spoor run ...` with a SIGKILL armed at
one point inside dlt's extract, normalize or load (env SPOOR_TEST_KILL_AT, e.g.
`load:before_commit`). The process kills its whole process group (dbt children included),
as a power cut or the OOM killer would: no Python cleanup, no finally blocks.

Only dlt's public step methods and the two Load methods that commit a package are wrapped;
spoor's own code runs unchanged.
"""

from __future__ import annotations

import functools
import os
import signal
import sys

POINTS = {
    "extract:start",  # Pipeline.extract entered, nothing read
    "extract:batch",  # the first batch of lines validated, mid-extract
    "extract:end",  # the package is extracted, not normalized
    "normalize:start",
    "normalize:spooled",  # parquet files normalized, the package not yet moved to load
    "normalize:end",
    "load:start",
    "load:job1",  # the first table job copied into DuckDB
    "load:job2",
    "load:before_commit",  # every job loaded, _dlt_loads not yet written
    "load:after_commit",  # _dlt_loads written, the package not yet archived
    "load:end",
}


# The run's own stderr, duplicated before Dagster captures a step's output: its compute log
# manager points fd 2 at a file that a `tail -F` child of the same process group copies
# back, and the SIGKILL can take that child down before it copies the marker (the chain
# test's extract:batch kill happened but its marker was lost).
_STDERR = os.dup(2)


def die() -> None:
    os.write(_STDERR, f"killhook: SIGKILL at {os.environ.get('SPOOR_TEST_KILL_AT')}\n".encode())
    os.killpg(os.getpgid(0), signal.SIGKILL)


def _wrap(owner, name: str, *, before: bool = False, after: bool = False, when=None):
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if before:
            die()
        result = original(*args, **kwargs)
        if after and (when is None or when(result)):
            die()
        return result

    setattr(owner, name, wrapper)


def arm(point: str) -> None:
    if point not in POINTS:
        raise SystemExit(f"killhook: unknown kill point {point!r}")
    from dlt.load.load import Load
    from dlt.normalize.normalize import Normalize
    from dlt.pipeline.pipeline import Pipeline

    from ingestion.validate import Validator

    step, _, where = point.partition(":")
    if step in ("extract", "normalize", "load") and where in ("start", "end"):
        _wrap(Pipeline, step, before=where == "start", after=where == "end")
    elif point == "extract:batch":
        _wrap(Validator, "validate_table", after=True)
    elif point == "normalize:spooled":
        _wrap(Normalize, "spool_files", after=True)
    elif point in ("load:job1", "load:job2"):
        need = int(where[-1])
        finished = []

        def enough(result) -> bool:
            finished.extend(result[1])  # (remaining, finalized, exception)
            return len(finished) >= need

        _wrap(Load, "complete_jobs", after=True, when=enough)
    elif point == "load:before_commit":
        _wrap(Load, "complete_package", before=True)
    elif point == "load:after_commit":
        _wrap(Load, "complete_package", after=True)


if __name__ == "__main__":
    arm(os.environ["SPOOR_TEST_KILL_AT"])
    from spoor.cli import entrypoint

    sys.argv = ["spoor", *sys.argv[1:]]
    entrypoint()
