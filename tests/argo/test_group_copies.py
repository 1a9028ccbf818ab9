"""An endpoint in several groups (issue 26): ARGO's job sends each metric record to every group of
its endpoint and keeps a copy of the series per group, so that a threshold rule, an
``exclude_metrics`` entry or a metric status change naming a group acts on that group's copy only.
Everything else (downtimes, records counted once) is the same for every copy."""

from dataclasses import replace

import pytest

from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import compute_ar, silent_endpoints
from platform_assets.argo.status_metrics import status_metric_rows
from platform_assets.argo.thresholds import parse_thresholds_profile
from tests.argo.kernel_world import at, inputs

pytestmark = pytest.mark.fast

TWO_GROUPS = [("G1", "S", "h1"), ("G2", "S", "h1")]
EVERY_SIX_HOURS = [(at(h), "S", "h1", "m1", "OK") for h in (0, 6, 12, 18)] + [(at(0), "S", "h1", "m2", "OK")]


def _availability(world) -> dict[str, float]:
    return compute_ar(world).endpoint_ar.set_index("supergroup")["availability"].to_dict()


def _slice(world, group: str):
    """What the Spark engine computes for one group: the report's inputs with that group's
    topology only."""
    return replace(world, endpoints=world.endpoints[world.endpoints["group"] == group])


def test_an_exclusion_naming_a_group_excludes_that_groups_copy_only():
    entry = pr.MetricExclusion("m1", "G2", None, None, at(1), at(8))
    only_m1 = [r for r in EVERY_SIX_HOURS if r[3] == "m1"]  # EXCLUDED is neutral beside m2
    world = replace(inputs(only_m1, endpoints=TWO_GROUPS, metrics={"S": ("m1",)}), metric_exclusions=[entry])
    ar = _availability(world)
    assert ar["G1"] == 100.0
    # G2: the 06:00 record is EXCLUDED until 08:00:01 (7,201 s known but not up); the records
    # outside the window are dropped, their status coming back one second after its edges
    assert ar["G2"] == round((86400 - 7201) / 86400 * 100, 5)
    assert _availability(_slice(world, "G2")) == {"G2": ar["G2"]}
    assert _availability(_slice(world, "G1")) == {"G1": 100.0}


def test_a_threshold_rule_naming_a_group_applies_in_that_group_only():
    """The rule names G2, the endpoint's second group in name order: before, Weir looked rules up
    with the first group and applied none."""
    day = inputs(EVERY_SIX_HOURS, endpoints=TWO_GROUPS)
    records = day.records.assign(actual_data=["t=3" if m == "m1" else None for m in day.records["metric"]])
    # 3 inside the critical range 0:5: CRITICAL
    rules = parse_thresholds_profile({"rules": [{"metric": "m1", "endpoint_group": "G2", "thresholds": "t=3;;0:5"}]})
    world = replace(day, records=records, thresholds=rules)
    result = compute_ar(world)
    ar = result.endpoint_ar.set_index("supergroup")["availability"]
    assert ar["G1"] == 100.0 and ar["G2"] == 0.0
    flags = result.status_endpoints.groupby("group")["has_threshold_rule"].any()
    assert not flags["G1"] and flags["G2"]
    rows = status_metric_rows(world)
    ruled = rows[rows["has_threshold_rule"]]
    assert set(ruled["group"]) == {"G2"} and len(ruled) == 4


def test_a_metric_status_change_naming_a_group_changes_that_groups_copy_only():
    rec = {"id": "r", "start_time": f"{at(1):%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{at(2):%Y-%m-%dT%H:%M:%SZ}",
           "applied_status_changes": [{"metric": "m1", "group": "G1", "state": "CRITICAL"}]}
    changes = pr.parse_recomputations([rec], {"Critical"}).status_changes
    world = replace(inputs(EVERY_SIX_HOURS, endpoints=TWO_GROUPS), status_changes=changes)
    ar = _availability(world)
    assert ar == {"G1": round(23 / 24 * 100, 5), "G2": 100.0}
    assert _availability(_slice(world, "G1")) == {"G1": ar["G1"]}


def test_every_copy_takes_the_endpoints_downtimes_and_records_count_once():
    world = inputs(EVERY_SIX_HOURS, endpoints=TWO_GROUPS, downtimes=[("h1", "S", 1, 2)])
    result = compute_ar(world)
    assert result.endpoint_ar["down"].tolist() == [round(3660 / 86400, 5)] * 2
    assert result.stats["records_used"] == len(EVERY_SIX_HOURS)
    assert result.stats["endpoints"] == 1 and result.stats["metric_series"] == 4
    single = compute_ar(inputs(EVERY_SIX_HOURS, downtimes=[("h1", "S", 1, 2)]))
    assert result.endpoint_ar["availability"].tolist() == single.endpoint_ar["availability"].tolist() * 2


def test_an_endpoint_silent_on_the_day_is_silent_in_every_group():
    prev = [(at(-1), "S", "h2", "m1", "OK"), (at(-1), "S", "h2", "m2", "OK")]
    world = inputs(EVERY_SIX_HOURS, prev, endpoints=[*TWO_GROUPS, ("G1", "S", "h2"), ("G2", "S", "h2")])
    result = compute_ar(world)
    assert sorted(map(tuple, result.silent_endpoints.to_numpy().tolist())) == [("G1", "S", "h2"), ("G2", "S", "h2")]
    assert result.silent_endpoints.equals(silent_endpoints(world))
