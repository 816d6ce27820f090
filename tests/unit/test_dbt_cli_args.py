import json
from datetime import date

import pytest

from orchestration.dbt_cli_args import dbt_build_args


def test_plain_build():
    assert dbt_build_args() == ["build"]


def test_full_refresh_flag():
    assert dbt_build_args(full_refresh=True) == ["build", "--full-refresh"]


def test_window_reaches_dbt_as_vars():
    args = dbt_build_args(window_start=date(2026, 1, 1), window_end=date(2026, 1, 3))
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2]) == {
        "spoor__window_start": "2026-01-01",
        "spoor__window_end": "2026-01-03",
    }


@pytest.mark.parametrize(
    "start,end",
    [
        (date(2026, 1, 3), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),  # end is exclusive: an empty window
        (date(2026, 1, 1), None),
        (None, date(2026, 1, 1)),
    ],
)
def test_invalid_window_is_refused(start, end):
    with pytest.raises(ValueError, match="invalid window"):
        dbt_build_args(window_start=start, window_end=end)
