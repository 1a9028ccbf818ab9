"""Of the previous day, a run keeps only what some report carries into the day
(``carried.carried_candidates``): the kernel and ``status_metrics`` give the same results from it
as from the whole day, for every report's own monitoring-source exclusions."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import compute_ar
from platform_assets.argo.carried import carried_candidates
from platform_assets.argo.status_metrics import status_metric_rows
from tests.argo.kernel_world import DAY, at, inputs

pytestmark = pytest.mark.fast

STATUSES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
ENDPOINTS = [("G1", "S", "h1"), ("G2", "S", "h1"), ("G1", "S", "h2")]


def _previous_day(rng: np.random.Generator) -> list[tuple]:
    """Records of D-1 crowded at its end: several per second, sub-second stamps, two sources."""
    rows = []
    for _ in range(int(rng.integers(1, 40))):
        seconds = float(rng.choice([-1, -1.5, -0.25, -2, -3600, -7200, -86400])) + rng.choice([0, 0.4])
        rows.append((at(0) + timedelta(seconds=seconds), "S", f"h{rng.integers(1, 3)}",
                     f"m{rng.integers(1, 3)}", STATUSES[rng.integers(4)], f"mon{rng.integers(1, 3)}"))
    return rows


def _exclusions(rng: np.random.Generator) -> list[pr.MonitoringExclusion]:
    return [pr.MonitoringExclusion(f"mon{rng.integers(1, 3)}", at(-float(rng.choice([3, 1, 0.0004]))),
                                   at(float(rng.choice([-0.0002, 0, 2])))) for _ in range(rng.integers(0, 3))]


@pytest.mark.parametrize("seed", range(25))
def test_every_report_gets_the_same_results_from_the_carried_records(seed):
    rng = np.random.default_rng(seed)
    day = [(at(h), "S", h_, "m1", "OK") for h in (1, 5) for h_ in ("h1", "h2")]
    tenant_wide = [_exclusions(rng) for _ in range(2)]  # two reports, each with its own
    world = inputs(day, _previous_day(rng), endpoints=ENDPOINTS)
    kept = carried_candidates(world.previous, [e for report in tenant_wide for e in report], DAY)
    for exclusions in tenant_wide:
        whole = replace(world, exclusions=exclusions)
        reduced = replace(whole, previous=kept)
        for level in ("endpoint_ar", "status_endpoints", "status_services"):
            assert getattr(compute_ar(whole), level).equals(getattr(compute_ar(reduced), level))
        assert status_metric_rows(whole).equals(status_metric_rows(reduced))


def _before_midnight(seconds: float):
    return at(0) - timedelta(seconds=seconds)


def test_records_of_the_last_second_and_later_excluded_ones_are_kept():
    prev = inputs([], [
        (_before_midnight(20), "S", "h1", "m1", "OK"),
        (_before_midnight(10), "S", "h1", "m1", "CRITICAL"),  # the last second outside any window
        (_before_midnight(10.4), "S", "h1", "m1", "WARNING"),  # the same second, truncated to zero
        (_before_midnight(5), "S", "h1", "m1", "UNKNOWN", "mon2"),  # in a window, later: kept
        (_before_midnight(30), "S", "h1", "m1", "OK", "mon2"),  # in a window, earlier: never carried
        (_before_midnight(50), "S", "h1", "m2", "OK"),
    ]).previous
    window = pr.MonitoringExclusion("mon2", _before_midnight(40), at(0))
    kept = carried_candidates(prev, [window], DAY)
    assert kept["status"].tolist() == ["CRITICAL", "WARNING", "UNKNOWN", "OK"]
    assert kept["metric"].tolist() == ["m1", "m1", "m1", "m2"]
    assert carried_candidates(None, [], DAY) is None
    assert carried_candidates(prev.iloc[:0], [], DAY).empty


def test_a_run_keeps_no_more_of_the_previous_day_than_its_series_last_records():
    prev = pd.concat([inputs([], [(at(-h), "S", "h1", "m1", "OK") for h in range(1, 25)]).previous] * 3)
    assert len(carried_candidates(prev, [], DAY)) == 3  # three copies of the last record
