"""``DayWrites``: a day's levels go to the lake in the background while the rest is computed, and
to the results store at ``finish`` on the caller's thread; a level reaches the results store only
once it is in the lake; every level is attempted; a failure is raised (not lost in a thread); no
write outlives the block."""

import threading
import time

import pytest

from platform_assets.argo.day_writes import DayWrites

pytestmark = pytest.mark.fast


class Recorder:
    def __init__(self, failing: str | None = None, where: str = "lake"):
        self.done: list[tuple[str, str]] = []
        self.threads: dict[str, set[str]] = {"lake": set(), "store": set()}
        self.failing, self.where = failing, where

    def lake(self, level: str) -> None:
        self.threads["lake"].add(threading.current_thread().name)
        if (level, "lake") == (self.failing, self.where):
            raise OSError(f"disk full writing {level}")
        self.done.append((level, "lake"))

    def store(self, level: str) -> int:
        self.threads["store"].add(threading.current_thread().name)
        if (level, "store") == (self.failing, self.where):
            raise ConnectionError(f"results store down writing {level}")
        self.done.append((level, "store"))
        return len(level)


def test_lake_writes_run_in_the_background_and_store_writes_at_finish_on_the_callers_thread():
    seen = Recorder()
    gate = threading.Event()

    def held_lake(level: str) -> None:
        gate.wait(5)
        seen.lake(level)

    with DayWrites(held_lake, seen.store) as writes:
        writes.submit(["a", "bb"])
        assert seen.done == []  # submit does not wait for the writes
        writes.submit(["ccc"])
        gate.set()
        assert writes.finish() == 6
    lake = [level for level, where in seen.done if where == "lake"]
    store = [level for level, where in seen.done if where == "store"]
    assert lake == store == ["a", "bb", "ccc"]
    for level in store:  # each store write after its own lake write
        assert seen.done.index((level, "lake")) < seen.done.index((level, "store"))
    assert all(name.startswith("weir-write") for name in seen.threads["lake"])
    assert seen.threads["store"] == {threading.current_thread().name}


def test_without_a_store_only_the_lake_is_written():
    seen = Recorder()
    with DayWrites(seen.lake, None) as writes:
        writes.submit(["a", "b"])
        assert writes.finish() == 0
    assert seen.done == [("a", "lake"), ("b", "lake")]


def test_a_level_the_lake_refused_never_reaches_the_store_and_the_others_are_still_written():
    seen = Recorder(failing="b")
    with DayWrites(seen.lake, seen.store) as writes:
        writes.submit(["a", "b", "c"])
        with pytest.raises(OSError, match="disk full writing b"):
            writes.finish()
    assert ("b", "store") not in seen.done
    assert sorted(d for d in seen.done if d[0] != "b") == [
        ("a", "lake"),
        ("a", "store"),
        ("c", "lake"),
        ("c", "store"),
    ]


def test_a_store_failure_is_raised_once_every_level_was_attempted():
    seen = Recorder(failing="a", where="store")
    with DayWrites(seen.lake, seen.store) as writes:
        writes.submit(["a", "b"])
        with pytest.raises(ConnectionError, match="writing a"):
            writes.finish()
    assert sorted(seen.done) == [("a", "lake"), ("b", "lake"), ("b", "store")]


def test_leaving_the_block_on_an_error_waits_for_the_write_in_flight_and_cancels_the_rest():
    finished = []
    started = threading.Event()

    def slow_lake(level: str) -> None:
        started.set()
        time.sleep(0.2)
        finished.append(level)

    with pytest.raises(RuntimeError, match="status_metrics failed"):
        with DayWrites(slow_lake, None) as writes:
            writes.submit(["a", "b", "c"])
            started.wait(5)
            raise RuntimeError("status_metrics failed")
    assert finished == ["a"]  # done before the block was left; b and c never started


def test_leaving_the_block_normally_waits_for_every_write():
    finished = []
    with DayWrites(lambda level: (time.sleep(0.05), finished.append(level)), None) as writes:
        writes.submit(["a", "b"])
    assert finished == ["a", "b"]


def test_status_tables_keep_statistics_for_their_numbers_only():
    import pyarrow as pa

    from platform_assets.argo.assets_ar import _filtered_columns
    from platform_assets.argo.status_results import STATUS_SCHEMAS

    metric = STATUS_SCHEMAS["status_metrics"].empty_table()
    assert _filtered_columns(metric) == ["time_integer", "date_integer", "has_threshold_rule"]
    endpoints = STATUS_SCHEMAS["status_endpoints"].empty_table()
    assert _filtered_columns(endpoints) == ["date_integer", "has_threshold_rule"]
    assert _filtered_columns(pa.table({"host": ["h1"]})) == []
