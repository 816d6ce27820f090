"""Deterministic event simulator: Segment-style collector files plus exact ground truth."""

from simulator.config import FaultRates, SimConfig
from simulator.run import Summary, simulate

__all__ = ["FaultRates", "SimConfig", "Summary", "simulate"]
