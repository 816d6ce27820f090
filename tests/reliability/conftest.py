"""Fixtures of the reliability suite: one small simulated shop (faults on) and one
uninterrupted `spoor run` over it, built once per test session and shared by the xdist
workers (a file lock guards the build).

`@pytest.mark.slow` tests run only when asked for: `pytest -m slow tests/reliability`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.scenario import Run, Sim, build_once, simulate_small, spoor_run


def _slow_selected(config) -> bool:
    """The -m expression asks for slow tests: names `slow` other than as `not slow` (the
    default addopts pass `-m 'not slow'`, which must not count)."""
    return "slow" in (config.getoption("markexpr") or "").replace("not slow", "")


def pytest_configure(config):
    """Under `-m slow`, the fuzz properties try 10x more cases (test_fuzz.py)."""
    if _slow_selected(config):
        os.environ.setdefault("SPOOR_FUZZ_SCALE", "10")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by mark
def pytest_collection_modifyitems(config, items):
    """Under `-m slow`, the hypothesis properties run too (at 10x, see above). Otherwise
    skip this folder's slow tests unless the -m expression names `slow`."""
    here = Path(__file__).parent
    if _slow_selected(config):
        for item in items:
            hypothesis = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
            counts = item.name == "test_zz_report_cases"  # prints the cases tried
            if (hypothesis or counts) and here in Path(str(item.fspath)).parents:
                item.add_marker(pytest.mark.slow)
        return
    skip = pytest.mark.skip(reason="slow: run with `pytest -m slow tests/reliability`")
    for item in items:
        if "slow" in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


def _shared(tmp_path_factory) -> Path:
    # the basetemp's parent is common to every xdist worker of this session
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Sim:
    """3 days, 80 persons, every fault kind on: ~1k lines in ~60 files."""
    root = build_once(_shared(tmp_path_factory) / "rel-small", lambda r: simulate_small(r))
    return Sim(root)


@pytest.fixture(scope="session")
def reference(small: Sim, tmp_path_factory) -> tuple[Path, Run]:
    """An uninterrupted `spoor run` over `small`: what every crashed-then-rerun warehouse
    must equal."""
    root = _shared(tmp_path_factory) / "rel-reference"

    def build(r: Path) -> None:
        run = spoor_run(small.events, r / "wh.duckdb")
        (r / "seconds.txt").write_text(f"{run.seconds} {len(run.dbt_starts)}")
        run.check_ok()

    build_once(root, build)
    seconds, dbt_builds = (root / "seconds.txt").read_text().split()
    return root / "wh.duckdb", Run(0, float(seconds), "", "", dbt_starts=[0.0] * int(dbt_builds))
