"""Simulator options: sizes, fault rates and the two presets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class FaultRates:
    """Expected fraction of clean events that get a faulty extra line of each kind.

    Faulty lines are *extra* lines: the clean events stay the truth. `duplicate` repeats a
    clean message in a later file (collector retry); `late_file` is the fraction of batch
    files delivered days late; the last two are absolute counts of special files.
    """

    malformed_json: float = 0.002
    invalid_utf8: float = 0.0004
    missing_message_id: float = 0.0006
    unknown_type: float = 0.0006
    missing_identity: float = 0.0006
    property_type: float = 0.0006
    property_missing: float = 0.0006
    property_enum: float = 0.0006
    property_too_long: float = 0.0006
    property_type_and_enum: float = 0.0003
    unknown_event: float = 0.001
    duplicate: float = 0.01
    late_file: float = 0.01
    truncated_files: int = 1
    empty_files: int = 1

    @classmethod
    def off(cls) -> FaultRates:
        return cls(**{f.name: 0 for f in dataclasses.fields(cls)})

    def line_kinds(self) -> list[tuple[str, float]]:
        """The per-line fault kinds and their rates, in a fixed order."""
        skip = {"duplicate", "late_file", "truncated_files", "empty_files"}
        return [
            (f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if f.name not in skip
        ]


@dataclass(frozen=True)
class SimConfig:
    seed: int = 1
    days: int = 30
    persons: int = 3000
    start_date: date = date(2025, 1, 6)  # a Monday, so weekly cohorts are whole weeks
    faults: FaultRates = field(default_factory=FaultRates)
    # Persons per worker shard. A function of the options only, never of the CPU count,
    # so the output does not depend on the machine.
    shard_persons: int = 4000
    batch_hours: int = 4  # one file per source, shard and `batch_hours` window
    gzip_level: int = 1
    truth: str = "full"  # "full" | "counts": counts skips funnels/retention/sessions
    processes: int | None = None  # worker processes; None = CPU count (output unaffected)


PRESETS = {
    "sample": dict(days=30, persons=3000, truth="full"),
    # fewer, larger files: 12-hour batches; 15 shards keep both cores busy to the end
    "bench": dict(days=30, persons=150_000, shard_persons=10_000, batch_hours=12, truth="counts"),
}
