"""One run at a time per warehouse, across processes.

DuckDB lets one process write a file, or many read it, never both. The `warehouse` pool
only covers single steps: between two steps of one run another run could take the file,
and the first run's next step (a check opening it read-only, a dbt step) would then fail
on DuckDB's lock. So every run holds this lock from its start to its end: the resource
that opens the warehouse takes it (runs execute in one process, see defs/executor.py),
whoever started the run: `spoor run`, the schedule, the sensor, the UI or a backfill.

An OS file lock (flock): a run whose process dies frees it at once, nothing to clean up.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


class WarehouseInUse(RuntimeError):
    """A run holds the warehouse (raised instead of waiting, with `wait=False`)."""


def lock_path(warehouse: str | Path) -> Path:
    return Path(str(warehouse) + ".run.lock")


def _who(f: IO[str]) -> str:
    """Who holds the lock, as its holder wrote it into the lock file."""
    f.seek(0)
    return f.read().strip() or "another process"


def holder(warehouse: str | Path) -> str | None:
    """The process holding the lock ("pid N"), None when it is free."""
    path = lock_path(warehouse)
    if not path.exists():
        return None
    with path.open("r") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _who(f)
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


@contextmanager
def warehouse_run_lock(
    warehouse: str | Path, log: Any = None, *, wait: bool = True
) -> Iterator[None]:
    """Hold the run lock of `warehouse`, waiting while another run has it (and saying so
    on `log`, a logging.Logger or Dagster's context.log); `wait=False` raises
    WarehouseInUse instead."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    f = path.open("a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            busy = f"a run of {_who(f)} is using {warehouse}"
            if not wait:
                raise WarehouseInUse(busy) from None
            if log:
                log.warning(f"waiting for the warehouse: {busy}")
            started = time.monotonic()
            fcntl.flock(f, fcntl.LOCK_EX)
            if log:
                log.warning(f"got the warehouse after {time.monotonic() - started:.0f} s")
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        yield
    finally:
        f.close()  # closing the file releases the lock
