"""The window a run covers, read from the tags Dagster puts on partitioned runs."""

from datetime import date

from dagster._core.storage.tags import PARTITION_NAME_TAG

from orchestration.partitions import (
    SCOPE_TAG,
    Window,
    clamp_to_partitions,
    range_tags,
    received_day,
    window_from_tags,
)


def test_one_partition_is_one_day():
    window = window_from_tags({PARTITION_NAME_TAG: "2025-01-07"})
    assert window == Window(date(2025, 1, 7), date(2025, 1, 8))
    assert window.days() == [date(2025, 1, 7)]


def test_a_range_is_inclusive_of_its_last_day():
    window = window_from_tags(range_tags(date(2025, 1, 6), date(2025, 1, 8)))
    assert window.start == date(2025, 1, 6)
    assert window.end == date(2025, 1, 9)  # exclusive
    assert window.last_day == date(2025, 1, 8)
    assert len(window.days()) == 3


def test_the_one_shot_scope_processes_everything_new():
    tags = range_tags(date(2025, 1, 6), date(2025, 1, 8), everything_new=True)
    assert tags[SCOPE_TAG] == "new-data"
    assert window_from_tags(tags).everything_new
    assert window_from_tags({}).everything_new


def test_days_outside_the_partitions_are_clamped():
    first = date.fromisoformat(received_day.get_first_partition_key())
    assert clamp_to_partitions(date(1999, 1, 1)) == first
    last = date.fromisoformat(received_day.get_last_partition_key())
    assert clamp_to_partitions(date(2999, 1, 1)) == last
