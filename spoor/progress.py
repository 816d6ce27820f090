"""Progress for long stages: a bar per stage on a terminal, plain log lines otherwise.

Stages report through `stage(...)`; whoever runs them (the one-shot command in a
terminal, Dagster's UI, CI) gets the form that suits its output.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

log = logging.getLogger("spoor")

LOG_EVERY_SECONDS = 5.0


class Stage:
    def __init__(self, name: str, total: int | None, unit: str):
        self.name, self.total, self.unit = name, total, unit
        self.done = 0
        self._bar = (
            tqdm(total=total, desc=name, unit=f" {unit}", file=sys.stderr, leave=True)
            if sys.stderr.isatty()
            else None
        )
        self._last_log = 0.0
        if self._bar is None:
            log.info("%s: started (%s %s)", name, total if total is not None else "?", unit)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif time.monotonic() - self._last_log >= LOG_EVERY_SECONDS:
            self._last_log = time.monotonic()
            log.info("%s: %s/%s %s", self.name, self.done, self.total or "?", self.unit)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        else:
            log.info("%s: done (%s %s)", self.name, self.done, self.unit)


@contextmanager
def stage(name: str, total: int | None = None, unit: str = "items") -> Iterator[Stage]:
    current = Stage(name, total, unit)
    try:
        yield current
    finally:
        current.close()
