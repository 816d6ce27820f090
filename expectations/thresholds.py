"""Every threshold of every suite, with its default, in one place.

One frozen dataclass per suite; ``run_suite(name, con, day, **params)`` overrides any field
by name (an unknown name is a ``TypeError``, so a typo never silently keeps a default).
Changing a default here changes it for the pipeline; pass a parameter to change it for one
call.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_SECONDS = 24 * 3600
EVENT_TYPES = ("track", "page", "screen", "identify", "alias", "group")


@dataclass(frozen=True)
class RawRejectedRate:
    # rejected / (valid + rejected) lines received that day.
    max_rejected_rate: float = 0.05
    # How many reason codes and files to list in the metadata.
    top_n: int = 5


@dataclass(frozen=True)
class RawVolumeAnomaly:
    # The day's valid rows / mean valid rows of the trailing days that have any.
    min_ratio: float = 0.5
    max_ratio: float = 2.0
    history_days: int = 7
    # Fewer trailing days with data than this: pass, and say so.
    min_history_days: int = 3


@dataclass(frozen=True)
class RawFutureEvents:
    # Corrected event time may be at most this far after received_at.
    tolerance_s: float = DAY_SECONDS
    # Share of the day's rows that must be within the tolerance (1.0 = every row).
    mostly: float = 1.0


@dataclass(frozen=True)
class RawEnvelopeContract:
    event_types: tuple[str, ...] = EVENT_TYPES


@dataclass(frozen=True)
class StagingUniqueMessageIds:
    pass


@dataclass(frozen=True)
class StagingEventMix:
    # Day share / trailing share of each known event key.
    min_ratio: float = 0.5
    max_ratio: float = 2.0
    history_days: int = 7
    min_history_days: int = 3
    # A key is "known" when its trailing share is at least this.
    min_history_share: float = 0.01
    # Days with fewer staged events than this are too small to judge: pass, and say so.
    min_day_events: int = 100


@dataclass(frozen=True)
class MartsFunnelSteps:
    # Allowed float error on conversions in [0, 1].
    tolerance: float = 1e-9


@dataclass(frozen=True)
class MartsRetention:
    tolerance: float = 1e-9


@dataclass(frozen=True)
class MartsIdentityHealth:
    # Share of (non-bot) persons with at least one userId; below it: WARN.
    min_identified_share: float = 0.02
    # Identifiers (anonymousIds + userIds) of the largest person; over it: WARN.
    max_identifiers_per_person: int = 50
    # Over this the graph has almost surely been merged through a junk identifier: ERROR.
    max_identifiers_per_person_error: int = 1000
    # Persons (largest first) pulled to check the bound and list as examples.
    top_n: int = 100


@dataclass(frozen=True)
class MartsSessions:
    # duration_s in [0, max_duration_s + duration_tolerance_s] (contract: split at 24 h).
    max_duration_s: float = DAY_SECONDS
    duration_tolerance_s: float = 60.0
    min_event_count: int = 1
    # Absolute bounds on the day's session count (None = unbounded).
    min_sessions: int | None = 1
    max_sessions: int | None = None
    # The day's session count / mean of the trailing days that have any.
    min_ratio: float = 0.5
    max_ratio: float = 2.0
    history_days: int = 7
    min_history_days: int = 3
