"""A few days of simulated events, small enough for several real Dagster runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Simulated

START = date(2025, 1, 6)  # the simulator's default start


@pytest.fixture(scope="session")
def three_days(tmp_path_factory) -> Simulated:
    from simulator.run import simulate

    root = tmp_path_factory.mktemp("three_days")
    simulate(root, seed=7, days=3, persons=150, start_date=START, faults=True)
    return Simulated(root)


def received_days(events: Path) -> list[date]:
    from ingestion.source import list_event_files

    _, refs = list_event_files(str(events))
    return sorted({ref.received_day for ref in refs if ref.received_day})
