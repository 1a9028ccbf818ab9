"""ARGO's v2 batch-job fixture (run date 2022-01-14): every metric, endpoint, service, function
(profile group) and endpoint-group timeline its test expects (``exp*Timeline.json``), change for
change, with the threshold flags; from the raw records of the day and the day before, through
Weir's parsers and kernel. The fixture's recomputation forces EXCLUDED on four metric series
(``applied_status_changes``) and excludes a monitoring source on the day before."""

import pytest

from platform_assets.argo.ar_kernel import compute_ar
from tests.argo.conformance.v2_fixture import (
    MAIN,
    RECOMPUTATIONS,
    expected_timelines,
    facts,
    inputs,
    recomputation_inputs,
    weir_timelines,
)

FILES = ("metric_timeline", "endpoint_timeline", "service_timeline", "function_timeline",
         "endpoint_group_timeline")
COUNTS = {"metric": 58, "endpoint": 19, "service": 10, "function": 9, "endpoint_group": 7}


def _differences(level: str, got: dict, want: dict, flags: bool = True) -> list[str]:
    wrong = [f"{level} {key}: missing in Weir" for key in sorted(set(want) - set(got))]
    wrong += [f"{level} {key}: not in the fixture" for key in sorted(set(got) - set(want))]
    for key in sorted(set(want) & set(got)):
        if got[key]["points"] != want[key]["points"]:
            wrong.append(f"{level} {key}: Weir {got[key]['points']}, ARGO {want[key]['points']}")
        if flags and got[key]["hasThr"] != want[key]["hasThr"]:
            wrong.append(f"{level} {key}: hasThr Weir {got[key]['hasThr']}, ARGO {want[key]['hasThr']}")
    return wrong


@pytest.mark.fast
@pytest.mark.parametrize("name", FILES)
def test_the_local_engine_reproduces_every_timeline(name):
    data = inputs()
    level, want = expected_timelines(MAIN / "expected", name)
    assert len(want) == COUNTS[level]
    got = weir_timelines(compute_ar(data), data)[level]
    # the kernel keeps no threshold flag on metric and function timelines: points only there
    assert _differences(level, got, want, flags=level not in ("metric", "function")) == []


def test_spark_reproduces_every_timeline(spark):
    from platform_assets.argo.ar_spark import compute_ar_spark

    data = inputs()
    got = weir_timelines(compute_ar_spark(spark.spark_session, data, timelines=True), data)
    wrong = []
    for name in FILES:
        level, want = expected_timelines(MAIN / "expected", name)
        wrong += _differences(level, got[level], want, flags=level not in ("metric", "function"))
    assert wrong == []


@pytest.mark.fast
def test_a_groups_status_change_as_the_recomputation_fixture_expects():
    """``exp_group_timeline1``: Group_A forced CRITICAL 09:30-11:00, OK again at 11:00. Its input is
    a hand-made intermediate whose ``ogstatus`` marks a threshold rule no raw record carries, so
    the points are compared, not the flag."""
    data = recomputation_inputs()
    level, want = expected_timelines(RECOMPUTATIONS, "exp_group_timeline1")
    got = weir_timelines(compute_ar(data), data)[level]
    assert len(want) == 1 and _differences(level, got, want, flags=False) == []
    # without the status change, the group is OK from 08:00 to 12:00
    from dataclasses import replace

    plain = replace(data, status_changes=[])
    assert weir_timelines(compute_ar(plain), plain)[level][("Group_A",)]["points"][2:4] == [
        ["08:00:00", "OK"], ["12:00:00", "CRITICAL"]]


LEVEL_CASES = facts(RECOMPUTATIONS, "level_cases")["cases"]


@pytest.mark.fast
@pytest.mark.parametrize("case", LEVEL_CASES, ids=lambda c: c["name"])
def test_endpoint_service_and_group_changes_as_the_recomputation_fixtures_expect(case):
    """The same test's endpoint, service and second group cases (commented out in its
    ``testMain``): every timeline of the level, change for change."""
    data = recomputation_inputs(case["records"], case["recomputations"])
    got = weir_timelines(compute_ar(data), data)[case["level"]]
    want = {tuple(series[:-1]): {"points": series[-1], "hasThr": False} for series in case["expected"]}
    assert _differences(case["level"], got, want, flags=False) == []
