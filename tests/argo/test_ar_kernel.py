"""A/R on hand-worked timelines: every expected number below is worked out in the comments."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_assets.argo.ar_kernel import compute_ar, round_half_up
from platform_assets.argo.profiles import MonitoringExclusion
from tests.argo.kernel_world import DAY, at, inputs

pytestmark = pytest.mark.fast  # no external service: make test-fast


def endpoint_row(result, host="h1"):
    rows = result.endpoint_ar[result.endpoint_ar["name"] == host]
    assert len(rows) == 1
    return rows.iloc[0]


def test_previous_day_status_carries_over_midnight():
    # m1 was CRITICAL at 23:00 yesterday and turns OK at 06:00; m2 is OK all day.
    # AND(m1, m2) = CRITICAL 00-06, OK 06-24 -> up 18 h of 24 = 75 %.
    prev = [(at(-3), "S", "h1", "m1", "OK"), (at(-1), "S", "h1", "m1", "CRITICAL")]
    day = [(at(6), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
    row = endpoint_row(compute_ar(inputs(day, prev)))
    assert (row.availability, row.reliability, row.up, row.unknown, row.down) == (75.0, 75.0, 0.75, 0.0, 0.0)


def test_only_the_last_previous_day_record_counts():
    prev = [(at(-1), "S", "h1", "m1", "OK"), (at(-3), "S", "h1", "m1", "CRITICAL")]  # newest is OK
    day = [(at(12), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
    assert endpoint_row(compute_ar(inputs(day, prev))).availability == 100.0


def test_metric_without_any_record_is_missing_all_day():
    # m2 never reports and has no carried status: MISSING all day, AND makes the endpoint MISSING;
    # unknown = whole day, so availability and reliability are 0/0 -> -1.
    row = endpoint_row(compute_ar(inputs([(at(0), "S", "h1", "m1", "OK")])))
    assert (row.availability, row.reliability, row.unknown, row.up) == (-1.0, -1.0, 1.0, 0.0)


def test_missing_until_first_record():
    # m1 first reports at 12:00 (no carry): MISSING 00-12. up 12 h, unknown 12 h -> A = 12/(24-12) = 100 %.
    row = endpoint_row(compute_ar(inputs([(at(12), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")])))
    assert (row.availability, row.up, row.unknown) == (100.0, 0.5, 0.5)


def test_endpoint_in_topology_without_metrics_gets_missing_rows():
    result = compute_ar(inputs([(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")],
                               endpoints=[("G1", "S", "h1"), ("G1", "S", "h2")]))
    assert endpoint_row(result, "h2").unknown == 1.0
    assert endpoint_row(result, "h1").availability == 100.0


def test_records_outside_topology_or_profile_are_dropped():
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK"),
           (at(1), "S", "h1", "not_in_profile", "CRITICAL"), (at(1), "S", "stranger", "m1", "CRITICAL")]
    result = compute_ar(inputs(day))
    assert endpoint_row(result).availability == 100.0
    assert result.stats["records_outside_profile"] == 2
    assert list(result.endpoint_ar["name"]) == ["h1"]


@pytest.mark.parametrize(("semantics", "expected"), [
    # ARGO: DOWNTIME lasts one minute past the end (restored at 06:01): down 12 h 1 min
    ("argo_v3", (49.93056, 100.0, 0.49931, 0.50069)),
    ("corrected", (50.0, 100.0, 0.5, 0.5)),
])
def test_downtime_is_clipped_to_the_day(semantics, expected):
    # downtime from yesterday 20:00 to 06:00 and from 18:00 to tomorrow 02:00: DOWNTIME 00-06 and 18-24.
    # up 12 h, down 12 h -> A = 12/24 = 50 %, R = 12/(24-12) = 100 %.
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
    world = inputs(day, downtimes=[("h1", "S", -4, 6), ("h1", "S", 18, 26)])
    row = endpoint_row(compute_ar(replace(world, semantics=semantics)))
    assert (row.availability, row.reliability, row.up, row.down) == expected


def test_downtime_of_another_day_has_no_effect():
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
    row = endpoint_row(compute_ar(inputs(day, downtimes=[("h1", "S", -30, -20), ("h1", "S", 25, 30)])))
    assert (row.availability, row.down) == (100.0, 0.0)


@pytest.mark.parametrize("service_op, expected", [("OR", 100.0), ("AND", 0.0)])
def test_service_operation_over_endpoints(service_op, expected):
    # h1 CRITICAL all day, h2 OK all day: OR keeps the service up, AND takes it down.
    day = [(at(0), "S", h, m, "CRITICAL" if h == "h1" else "OK") for h in ("h1", "h2") for m in ("m1", "m2")]
    result = compute_ar(inputs(day, endpoints=[("G1", "S", "h1"), ("G1", "S", "h2")], service_op=service_op))
    assert result.service_ar.iloc[0].availability == expected
    assert result.endpoint_group_ar.iloc[0].availability == expected


@pytest.mark.parametrize("group_op, expected", [("OR", 100.0), ("AND", 50.0)])
def test_profile_group_operation_over_services(group_op, expected):
    # service A OK all day; service B CRITICAL 00-12 then OK.
    metrics = {"A": ("a1",), "B": ("b1",)}
    day = [(at(0), "A", "ha", "a1", "OK"), (at(0), "B", "hb", "b1", "CRITICAL"), (at(12), "B", "hb", "b1", "OK")]
    result = compute_ar(inputs(day, endpoints=[("G1", "A", "ha"), ("G1", "B", "hb")], metrics=metrics,
                               group_op=group_op))
    group = result.endpoint_group_ar.iloc[0]
    assert group.availability == expected
    assert (group.supergroup, group.weight) == ("NGI_A", 42.0)


def test_warning_counts_as_up_and_critical_as_down_time_not_unknown():
    day = [(at(0), "S", "h1", "m1", "WARNING"), (at(0), "S", "h1", "m2", "OK"),
           (at(6), "S", "h1", "m1", "CRITICAL"), (at(12), "S", "h1", "m1", "UNKNOWN")]
    # WARNING 0-6 (up), CRITICAL 6-12, UNKNOWN 12-24 -> up 6 h, unknown 12 h: A = 6/12 = 50 %.
    row = endpoint_row(compute_ar(inputs(day)))
    assert (row.availability, row.reliability, row.up, row.unknown) == (50.0, 50.0, 0.25, 0.5)


def test_monitoring_host_excluded_by_recomputation():
    # mon2 reported CRITICAL 06-12 during a recomputation window for mon2: ignored.
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK"),
           (at(6), "S", "h1", "m1", "CRITICAL", "mon2"), (at(12), "S", "h1", "m1", "OK", "mon2")]
    excluded = [MonitoringExclusion("mon2", at(5), at(13))]
    assert endpoint_row(compute_ar(inputs(day))).availability == 75.0
    result = compute_ar(inputs(day, exclusions=excluded))
    assert endpoint_row(result).availability == 100.0
    assert result.stats["records_excluded_by_recomputation"] == 2


def test_rounding_is_half_up_to_five_decimals():
    # 54 s of 86400 = 0.000625 exactly: half-up gives 0.00063 (banker's rounding would give 0.00062).
    assert round_half_up(np.array([54]), np.array([86400]), 1)[0] == 0.00063
    assert round_half_up(np.array([1]), np.array([3]), 100)[0] == 33.33333
    assert round_half_up(np.array([2]), np.array([3]), 100)[0] == 66.66667
    assert round_half_up(np.array([5]), np.array([0]), 100)[0] == -1.0


def test_rounding_through_the_kernel():
    # m1 OK for the first 54 s, then CRITICAL: up = 54 s -> 0.00063.
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0) + timedelta(seconds=54), "S", "h1", "m1", "CRITICAL"),
           (at(0), "S", "h1", "m2", "OK")]
    row = endpoint_row(compute_ar(inputs(day)))
    assert (row.up, row.availability) == (0.00063, 0.0625)


def test_same_second_conflicts_resolve_deterministically():
    day = [(at(3), "S", "h1", "m1", "OK"), (at(3), "S", "h1", "m1", "CRITICAL"), (at(0), "S", "h1", "m1", "OK"),
           (at(0), "S", "h1", "m2", "OK")]
    a = compute_ar(inputs(day)).endpoint_ar
    b = compute_ar(inputs(list(reversed(day)))).endpoint_ar
    pd.testing.assert_frame_equal(a, b)


STATUSES = ["OK", "WARNING", "UNKNOWN", "CRITICAL", "MISSING"]
record_strategy = st.tuples(
    st.integers(0, 86_399), st.sampled_from(["h1", "h2", "h3"]), st.sampled_from(["m1", "m2"]),
    st.sampled_from(STATUSES))


@settings(max_examples=60, deadline=None)
@given(st.lists(record_strategy, min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_record_order(rows, rnd):
    day = [(at(0) + timedelta(seconds=s), "S", h, m, status) for s, h, m, status in rows]
    shuffled = list(day)
    rnd.shuffle(shuffled)
    eps = [("G1", "S", "h1"), ("G1", "S", "h2"), ("G2", "S", "h3"), ("G2", "S", "h1")]
    a, b = compute_ar(inputs(day, endpoints=eps)), compute_ar(inputs(shuffled, endpoints=eps))
    for level in ("endpoint_ar", "service_ar", "endpoint_group_ar"):
        pd.testing.assert_frame_equal(getattr(a, level), getattr(b, level))
