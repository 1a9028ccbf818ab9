"""A metric-level ``applied_status_changes`` entry rewrites the series' ``status_metrics`` rows as
ARGO's v2 job does (``metric_recomputation``), and the metric timeline is the one those rows make,
quirks included, in ``argo_v3``; ``corrected`` forces [start, end) and leaves the rows alone."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from platform_assets.argo import metric_recomputation
from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import compute_ar
from platform_assets.argo.status_metrics import status_metric_rows, status_metric_table
from tests.argo.kernel_world import at, inputs
from tests.argo.test_status_changes import changes

pytestmark = pytest.mark.fast

STATES = inputs([]).operations.states
ROW_FIELDS = ["timestamp", "status", "previous_state", "previous_timestamp", "message", "original_status"]


def _metric_points(world, metric="m1") -> list[tuple[int, str]]:
    timelines, keys = compute_ar(world).metric_timelines
    series = int(np.flatnonzero((keys["metric"] == metric).to_numpy())[0])
    mine = timelines.series == series
    return [(int(t), STATES[int(s)]) for t, s in zip(timelines.t[mine], timelines.status[mine], strict=True)]


def _day(*rows) -> list[tuple]:
    return [(at(h), "S", "h1", "m1", status) for h, status in rows] + [(at(0), "S", "h1", "m2", "OK")]


def test_the_rows_inside_the_period_take_the_state_with_a_start_and_an_end_row():
    world = replace(inputs(_day((0.5, "OK"), (3, "WARNING"), (6, "OK"))),
                    status_changes=changes({"metric": "m1", "state": "CRITICAL"}, start=2, end=4))
    rows = status_metric_rows(world)
    rows = rows[rows["metric"] == "m1"][ROW_FIELDS].to_numpy().tolist()
    day = "2024-03-10T"
    assert rows == [
        [f"{day}00:30:00Z", "OK", "MISSING", f"{day}00:00:00Z", None, ""],
        [f"{day}02:00:00Z", "CRITICAL", "OK", f"{day}00:30:00Z", metric_recomputation.START_MESSAGE, ""],
        [f"{day}03:00:00Z", "CRITICAL", "CRITICAL", f"{day}02:00:00Z", None, ""],
        # the end row: the status the series had before the end, its previous the state
        [f"{day}04:00:00Z", "WARNING", "CRITICAL", f"{day}03:00:00Z", metric_recomputation.END_MESSAGE, ""],
        [f"{day}06:00:00Z", "OK", "WARNING", f"{day}04:00:00Z", None, ""],
    ]
    assert _metric_points(world) == [(0, "MISSING"), (1800, "OK"), (7200, "CRITICAL"), (14400, "WARNING"),
                                     (21600, "OK")]
    table = status_metric_table(world, "rid").to_pandas()
    assert table[table["metric"] == "m1"]["status"].astype(str).tolist() == [r[1] for r in rows]


def test_a_change_starting_before_the_first_record_holds_from_midnight():
    """argo_v3 (a *defect*): the new start row comes first, its previous the entry's own state."""
    world = replace(inputs(_day((3, "OK"))),
                    status_changes=changes({"metric": "m1", "state": "CRITICAL"}, start=1, end=5))
    assert _metric_points(world) == [(0, "CRITICAL"), (18000, "OK")]
    corrected = replace(world, semantics="corrected")
    assert _metric_points(corrected) == [(0, "MISSING"), (3600, "CRITICAL"), (18000, "OK")]


def test_a_change_with_no_record_before_its_end_lasts_until_the_first_record():
    """argo_v3 (a *defect*): with no row before the end there is no end row."""
    world = replace(inputs(_day((10, "OK"))),
                    status_changes=changes({"metric": "m1", "state": "CRITICAL"}, start=5, end=9))
    assert _metric_points(world) == [(0, "CRITICAL"), (36000, "OK")]
    assert _metric_points(replace(world, semantics="corrected")) == [
        (0, "MISSING"), (18000, "CRITICAL"), (32400, "MISSING"), (36000, "OK")]
    rows = status_metric_rows(world)
    assert rows[rows["metric"] == "m1"]["message"].tolist() == [metric_recomputation.START_MESSAGE, None]


def test_corrected_leaves_the_rows_as_recorded():
    world = replace(inputs(_day((0.5, "OK"), (3, "WARNING"))), semantics="corrected",
                    status_changes=changes({"metric": "m1", "state": "CRITICAL"}, start=2, end=4))
    rows = status_metric_rows(world)
    assert rows[rows["metric"] == "m1"]["status"].tolist() == ["OK", "WARNING"]


@pytest.mark.parametrize("seed", range(120))
def test_the_kernels_timeline_is_the_one_the_rewritten_rows_make(seed):
    rng = np.random.default_rng(seed)
    hours = sorted(rng.choice(np.arange(0, 24, 0.5), size=int(rng.integers(0, 6))).tolist())  # repeats: one second, two records
    day = [(at(h), "S", "h1", "m1", ["OK", "WARNING", "CRITICAL"][rng.integers(3)]) for h in hours]
    day += [(at(0), "S", "h1", "m2", "OK")]
    prev = [(at(-2), "S", "h1", "m1", "WARNING")] if rng.random() < 0.5 else []
    entries = [({"metric": "m1", "state": ["CRITICAL", "UNKNOWN"][rng.integers(2)]},
                float(rng.choice([-3, 0, 0.5, 2, 7.25])), float(rng.choice([0, 1, 4, 9.5, 23, 30])))
               for _ in range(int(rng.integers(1, 3)))]
    found = [c for entry, start, end in entries for c in changes(entry, start=start, end=end)]
    world = replace(inputs(day, prev), status_changes=found)
    if rng.random() < 0.4:  # exclude_metrics first, on the same series
        window = sorted(rng.choice([0.25, 1, 3.5, 6, 12, 20], size=2, replace=False).tolist())
        world = replace(world, metric_exclusions=[pr.MetricExclusion("m1", None, None, None, at(window[0]),
                                                                      at(window[1]))])
    rows = status_metric_rows(world)
    rows = rows[rows["metric"] == "m1"]
    if rows.empty:  # silent all day after the day before: no timeline either
        return
    midnight = at(0)
    walked = [{"t": int((np.datetime64(r.timestamp[:-1]) - np.datetime64(midnight.tz_localize(None))) // np.timedelta64(1, "s")),
               "status": r.status, "previous_state": r.previous_state,
               "previous_t": int((np.datetime64(r.previous_timestamp[:-1]) - np.datetime64(midnight.tz_localize(None))) // np.timedelta64(1, "s"))}
              for r in rows.itertuples()]
    expected = []
    for t, status in metric_recomputation.timeline(walked, "MISSING"):
        if not expected or expected[-1][1] != status:
            expected.append((t, status))
    assert _metric_points(world) == expected


@pytest.mark.parametrize("window_end", [at(24) - pd.Timedelta(seconds=1), at(24)])
def test_an_exclusion_copy_past_the_day_is_no_point_of_the_timeline(window_end):
    """exclude_metrics adds a copy one second after a window ending at 23:59:59 (or at the next
    midnight): a row of the next day, which the rewritten timeline leaves out."""
    day = [(at(0.5), "S", "h1", "m1", "OK"), (at(5), "S", "h1", "m1", "CRITICAL"), (at(0), "S", "h1", "m2", "OK")]
    world = replace(inputs(day), metric_exclusions=[pr.MetricExclusion("m1", None, None, None, at(1), window_end)],
                    status_changes=changes({"metric": "m1", "state": "WARNING"}, start=2, end=3))
    result = compute_ar(world)
    assert result.status_endpoints["t"].max() < 86_400
    assert all(t < 86_400 for t, _ in _metric_points(world))


def test_an_entry_naming_no_series_is_not_read():
    """A state the profile lacks, in an entry for a metric this report does not have (a request
    without a report field applies to every report): nothing to refuse, as in the original."""
    change = pr.StatusChange("NOT_A_STATE", None, None, None, "no_such_metric", at(1), at(2))
    world = replace(inputs(_day((1, "OK"))), status_changes=[change])
    assert compute_ar(world).endpoint_ar["availability"].tolist() == [100.0]
    named = replace(world, status_changes=[replace(change, metric="m1")])
    with pytest.raises(pr.ProfileError, match="NOT_A_STATE"):
        compute_ar(named)


def test_two_records_of_the_first_second_keep_the_status_carried_into_the_day():
    """OK and CRITICAL both at 05:00, WARNING carried from the day before: the row kept (CRITICAL,
    the highest code) takes the previous of its second's first row, so the rows' timeline and the
    kernel's both start WARNING at midnight."""
    day = [(at(5), "S", "h1", "m1", "OK"), (at(5), "S", "h1", "m1", "CRITICAL"), (at(0), "S", "h1", "m2", "OK")]
    world = replace(inputs(day, [(at(-2), "S", "h1", "m1", "WARNING")]),
                    status_changes=changes({"metric": "m1", "state": "UNKNOWN"}, start=9, end=10))
    rows = status_metric_rows(world)
    first = rows[rows["metric"] == "m1"].iloc[0]
    assert (first["status"], first["previous_state"], first["previous_timestamp"]) == (
        "CRITICAL", "WARNING", "2024-03-09T22:00:00Z")
    assert _metric_points(world) == [(0, "WARNING"), (18000, "CRITICAL"), (32400, "UNKNOWN"), (36000, "CRITICAL")]
