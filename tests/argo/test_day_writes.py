"""``each_level``: the daily run writes its levels two at a time; every level is attempted, results
come back in level order, and a failure is raised (not lost in a thread)."""

import threading

import pytest

from platform_assets.argo.assets_ar import each_level

pytestmark = pytest.mark.fast


def test_results_come_back_in_level_order_from_two_threads():
    seen = set()

    def write(level: str) -> str:
        seen.add(threading.current_thread().name)
        return level.upper()

    assert each_level(write, ["a", "b", "c"]) == ["A", "B", "C"]
    assert all(name.startswith("weir-write") for name in seen)


def test_a_failed_level_is_raised_after_every_level_was_attempted():
    attempted = []

    def write(level: str) -> None:
        attempted.append(level)
        if level == "b":
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        each_level(write, ["a", "b", "c"])
    assert sorted(attempted) == ["a", "b", "c"]
    assert each_level(write, ["a"]) == [None]


def test_status_tables_keep_statistics_for_their_numbers_only():
    import pyarrow as pa

    from platform_assets.argo.assets_ar import _filtered_columns
    from platform_assets.argo.status_results import STATUS_SCHEMAS

    metric = STATUS_SCHEMAS["status_metrics"].empty_table()
    assert _filtered_columns(metric) == ["time_integer", "date_integer", "has_threshold_rule"]
    endpoints = STATUS_SCHEMAS["status_endpoints"].empty_table()
    assert _filtered_columns(endpoints) == ["date_integer", "has_threshold_rule"]
    assert _filtered_columns(pa.table({"host": ["h1"]})) == []
