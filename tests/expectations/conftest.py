from __future__ import annotations

import pytest

from tests.expectations.warehouse import build


@pytest.fixture
def con(tmp_path):
    """A fresh, good warehouse per test (built with SQL in ~50 ms)."""
    c = build(tmp_path / "warehouse.duckdb")
    yield c
    c.close()


@pytest.fixture(scope="session", autouse=True)
def _gx_once():
    """Import GX and build its ephemeral context once for the whole session."""
    from expectations import warm_up

    warm_up()
