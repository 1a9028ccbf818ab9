"""ARGO v3 batch semantics (issue 26): the rules found in the original job, each on a minimal day.
The conformance test (tests/argo/conformance) checks them together on ARGO's own fixture."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import compute_ar, round_half_up, round_like_argo
from platform_assets.argo.connector_kinds import KINDS_BY_NAME
from platform_assets.argo.report_config import ReportContext
from resources.model.tenancy import Report
from tests.argo.kernel_world import DAY, at, inputs

pytestmark = pytest.mark.fast


def _row(result, level="endpoint_ar", **where):
    frame = getattr(result, level)
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return frame.iloc[0] if len(frame) else None


def test_ties_round_like_the_original_double():
    """23 s up of 1,280 s known: ARGO's double is 1.7968749999999998, so 1.79687; the exact
    rational rounds half up to 1.79688 (the `corrected` semantics)."""
    assert round_like_argo(np.array([23]), np.array([1280]), 100)[0] == 1.79687
    assert round_half_up(np.array([23]), np.array([1280]), 100)[0] == 1.79688
    assert round_like_argo(np.array([54]), np.array([86400]), 1)[0] == 0.00063
    assert round_like_argo(np.array([5]), np.array([0]), 100)[0] == -1.0


def test_ties_through_the_kernel_follow_the_tenants_semantics():
    # m1: OK for 23 s, CRITICAL for 1,257 s, then UNKNOWN for the rest of the day: known = 1,280 s
    start = at(0)
    day = [(start, "S", "h1", "m1", "OK"), (start + timedelta(seconds=23), "S", "h1", "m1", "CRITICAL"),
           (start + timedelta(seconds=1280), "S", "h1", "m1", "UNKNOWN"), (start, "S", "h1", "m2", "OK")]
    argo = compute_ar(inputs(day))
    corrected = compute_ar(replace(inputs(day), semantics="corrected"))
    assert _row(argo).availability == 1.79687 and _row(corrected).availability == 1.79688


def test_a_series_silent_on_the_day_has_no_timeline():
    """(a) m1 CRITICAL the day before and silent today: ARGO leaves it out (no carried status
    through the day), so the endpoint is OK all day from m2 alone."""
    prev = [(at(-1), "S", "h1", "m1", "CRITICAL")]
    day = [(at(0), "S", "h1", "m2", "OK")]
    assert _row(compute_ar(inputs(day, prev))).availability == 100.0


def test_an_endpoint_that_reported_only_the_day_before_has_no_ar():
    """(c) h2 reported only yesterday: no endpoint_ar row, and its service is h1's alone."""
    prev = [(at(-1), "S", "h2", "m1", "CRITICAL"), (at(-1), "S", "h2", "m2", "CRITICAL")]
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
    result = compute_ar(inputs(day, prev, endpoints=[("G1", "S", "h1"), ("G1", "S", "h2")], service_op="AND"))
    assert list(result.endpoint_ar["name"]) == ["h1"]
    assert _row(result, "service_ar").availability == 100.0
    assert list(result.silent_endpoints["hostname"]) == ["h2"]


def test_a_series_whose_records_were_all_excluded_has_no_timeline():
    """(b) m1's only records of the day come from an excluded monitoring host: m1 takes no part."""
    day = [(at(3), "S", "h1", "m1", "CRITICAL", "monX"), (at(0), "S", "h1", "m2", "OK")]
    exclusion = pr.MonitoringExclusion("monX", at(0), at(24))
    assert _row(compute_ar(inputs(day, exclusions=[exclusion]))).availability == 100.0


def _excluding(entry: dict, start: float, end: float, **kwargs):
    return pr.MetricExclusion(entry.get("metric"), entry.get("group"), entry.get("service"),
                              entry.get("hostname"), at(start), at(end))


def test_exclude_metrics_turns_the_window_excluded_and_drops_records_outside_it():
    """(f) m1 OK all day with records every 6 h, excluded 00:00-11:59:59: EXCLUDED counts as known
    but not up, and the 18:00 record outside the window is dropped (the status after the window is
    the original status brought back at 12:00:00)."""
    day = [(at(h), "S", "h1", "m1", status) for h, status in ((0, "OK"), (6, "OK"), (18, "CRITICAL"))]
    world = inputs(day, metrics={"S": ("m1",)})
    excluded = replace(world, metric_exclusions=[_excluding({"metric": "m1"}, -48, 12 - 1 / 3600)])
    row = _row(compute_ar(excluded))
    assert (row.availability, row.up, row.unknown) == (50.0, 0.5, 0.0)  # the 18:00 CRITICAL is gone
    assert _row(compute_ar(world)).availability == 75.0  # without the recomputation
    # with a second metric, EXCLUDED is neutral: the endpoint follows m2
    both = inputs([*day, (at(0), "S", "h1", "m2", "OK")])
    assert _row(compute_ar(replace(both, metric_exclusions=excluded.metric_exclusions))).availability == 100.0


def test_excluded_is_neutral_when_combined():
    """An EXCLUDED metric leaves its endpoint to the other metrics under OR; under AND too."""
    ops = pr.parse_operations_profile(__import__("platform_assets.demo.argo_sample", fromlist=["x"]).operations_profile())
    excluded = ops.code(pr.EXCLUDED)
    for op in range(len(ops.operations)):
        for state in range(len(ops.states)):
            assert ops.tables[op, excluded, state] == state and ops.tables[op, state, excluded] == state


def test_the_first_matching_exclude_metrics_entry_applies():
    entries = [_excluding({"service": "T"}, 0, 6), _excluding({"hostname": "h1"}, 0, 12),
               _excluding({"metric": "m1"}, 0, 18)]
    from platform_assets.argo.metric_exclusions import matching_entry

    assert matching_entry(entries, ("G1",), "S", "h1", "m1") is entries[1]
    assert matching_entry(entries, ("G1",), "S", "h2", "m1") is entries[2]
    assert matching_entry(entries, ("G1",), "S", "h2", "m2") is None


ENVELOPE = {"status": {"message": "Success", "code": "200"}}


def test_connector_kinds_take_the_web_apis_envelope():
    report = ReportContext(Report("Critical", "r1"))
    topology = {**ENVELOPE, "data": [{"group": "G1", "type": "SITES", "service": "S", "hostname": "h1", "tags": {}}]}
    assert len(KINDS_BY_NAME["topology_endpoints"].parse(topology, report)) == 1
    groups = {**ENVELOPE, "data": [{"group": "NGI", "type": "NGI", "subgroup": "G1", "tags": {}}]}
    assert KINDS_BY_NAME["topology_groups"].parse(groups, report) == {"G1": "NGI"}
    downtimes = {**ENVELOPE, "data": [{"date": str(DAY), "endpoints": [
        {"hostname": "h1", "service": "S", "start_time": "2024-03-10T01:00:00Z", "end_time": "2024-03-10T02:00:00Z"}]}]}
    assert len(KINDS_BY_NAME["downtimes"].parse(downtimes, report)) == 1
    recomputations = {**ENVELOPE, "data": [{"id": "x", "start_time": "2024-03-10T00:00:00Z",
                                             "end_time": "2024-03-10T06:00:00Z", "exclude": ["G9"],
                                             "exclude_metrics": [{"metric": "m1"}]}]}
    parsed = KINDS_BY_NAME["recomputations"].parse(recomputations, report)  # no report field: applies
    assert parsed.groups == {"G9"} and [m.metric for m in parsed.metrics] == ["m1"]
    other = {**ENVELOPE, "data": [{"id": "y", "report": "Another", "start_time": "2024-03-10T00:00:00Z",
                                    "end_time": "2024-03-10T06:00:00Z", "exclude": ["G9"]}]}
    assert KINDS_BY_NAME["recomputations"].parse(other, report).groups == set()
    assert KINDS_BY_NAME["weights"].empty_is_snapshot and KINDS_BY_NAME["downtimes"].empty_is_snapshot
    assert KINDS_BY_NAME["weights"].parse({**ENVELOPE, "data": []}, report) == {}


def test_weights_absent_give_weight_zero():
    world = replace(inputs([(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]), weights={})
    assert compute_ar(world).endpoint_group_ar["weight"].tolist() == [0.0]


def test_records_keep_their_own_day_only():
    assert pd.Timestamp(at(0)).date() == DAY


def test_the_semantics_is_chosen_per_tenant_in_the_registry():
    from resources.model.tenancy import RegistryError, parse_registry

    entry = {"name": "acme", "reports": [{"name": "Critical", "id": "r1"}],
             "sources": {"metric_data": {"kind": "files", "root": "/x"}, "connectors": {"kind": "files", "root": "/x"}}}
    assert parse_registry({"tenants": [entry]}).tenants["acme"].semantics == "argo_v3"
    assert parse_registry({"tenants": [{**entry, "semantics": "corrected"}]}).tenants["acme"].semantics == "corrected"
    with pytest.raises(RegistryError, match="semantics must be one of"):
        parse_registry({"tenants": [{**entry, "semantics": "loose"}]})


OK, CRIT, DOWN = 0, 4, 5
H = 3600


def _filled(points: dict, *downtimes: tuple[int, int]) -> dict:
    from platform_assets.argo.downtimes import fill_with_status

    points = dict(points)
    for start, end in downtimes:
        fill_with_status(points, start, end, DOWN)
    return points


def test_a_downtime_lasts_one_minute_past_its_end():
    assert _filled({0: OK}, (H, 2 * H)) == {0: OK, H: DOWN, 2 * H + 60: OK}


def test_a_downtime_ending_at_midnight_lasts_until_the_next_point():
    assert _filled({0: OK, 5 * H: OK}, (-4 * H, 0)) == {0: DOWN, 5 * H: OK}


def test_a_status_change_in_the_minute_after_a_downtime_is_overwritten():
    assert _filled({0: OK, 2 * H + 30: CRIT}, (H, 2 * H)) == {0: OK, H: DOWN, 2 * H + 30: CRIT, 2 * H + 60: OK}


def test_a_downtime_ending_on_a_status_change_lasts_until_the_next_point():
    assert _filled({0: OK, 2 * H: CRIT, 5 * H: OK}, (H, 2 * H)) == {0: OK, H: DOWN, 2 * H: DOWN, 5 * H: OK}


def test_adjacent_downtimes_depend_on_their_order():
    """A = 10:00-11:00 and B = 11:00:30-12:00: listed B first, A's restore at 11:01 puts OK back
    inside B."""
    a, b = (10 * H, 11 * H), (11 * H + 30, 12 * H)
    assert _filled({0: OK}, a, b) == {0: OK, 10 * H: DOWN, 11 * H + 30: DOWN, 11 * H + 60: DOWN, 12 * H + 60: OK}
    assert _filled({0: OK}, b, a) == {0: OK, 10 * H: DOWN, 11 * H + 30: DOWN, 11 * H + 60: OK, 12 * H + 60: OK}


def test_the_corrected_semantics_has_none_of_these_quirks():
    day = [(at(0), "S", "h1", "m1", "OK"), (at(2) + timedelta(seconds=30), "S", "h1", "m1", "CRITICAL"),
           (at(0), "S", "h1", "m2", "OK")]
    world = inputs(day, metrics={"S": ("m1", "m2")}, downtimes=[("h1", "S", 1, 2)])
    corrected = _row(compute_ar(replace(world, semantics="corrected")))
    argo = _row(compute_ar(world))
    # corrected: DOWN 01:00-02:00, OK 30 s, then CRITICAL for the rest of the day
    assert corrected.down == round(3600 / 86400, 5) and corrected.up == round(3630 / 86400, 5)
    # ARGO: DOWN until the CRITICAL at 02:00:30, which lasts 30 s: OK is put back at 02:01:00
    assert argo.down == round(3630 / 86400, 5) and argo.availability == round((86400 - 3660) / 86400 * 100, 5)


def test_an_excluded_group_is_unknown_over_the_period_in_group_ar_only():
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
    world = replace(inputs(day), group_exclusions=[pr.GroupExclusion("G1", at(6), at(12))])
    result = compute_ar(world)
    group = _row(result, "endpoint_group_ar")
    assert group.unknown == round((6 * H + 60) / 86400, 5) and group.availability == 100.0  # ARGO's +1 min
    assert _row(result).unknown == 0.0 and _row(result, "service_ar").unknown == 0.0
    corrected = _row(compute_ar(replace(world, semantics="corrected")), "endpoint_group_ar")
    assert corrected.unknown == 0.25
    other_day = replace(world, group_exclusions=[pr.GroupExclusion("G1", at(30), at(40))])
    assert _row(compute_ar(other_day), "endpoint_group_ar").unknown == 0.0


def test_statuses_come_from_the_operations_profile():
    from platform_assets.argo.records import check_record

    record = {"timestamp": "2024-03-10T10:00:00Z", "service": "S", "hostname": "h1", "metric": "m1"}
    assert check_record({**record, "status": "DEGRADED"}, DAY)[1] is None  # a profile's own state
    assert "not a status name" in check_record({**record, "status": "ok?"}, DAY)[1]
    day = [(at(0), "S", "h1", "m1", "DEGRADED"), (at(0), "S", "h1", "m2", "OK")]
    result = compute_ar(inputs(day))  # the sample profile has no DEGRADED: counted, taken as UNKNOWN
    assert result.stats["records_status_not_in_profile"] == 1 and _row(result).unknown == 1.0


def test_exclude_metrics_of_another_day_do_not_apply():
    """A snapshot rolled back from an earlier day may carry that day's recomputation."""
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
    stale = replace(inputs(day), metric_exclusions=[_excluding({}, -20, -10)])
    result = compute_ar(stale)
    assert _row(result).availability == 100.0 and len(result.silent_endpoints) == 0


def test_the_silent_endpoints_fallback_agrees_with_the_kernel():
    from platform_assets.argo.ar_kernel import silent_endpoints

    day = [(at(h), "S", "h1", "m1", "OK") for h in (12, 18)] + [(at(0), "S", "h2", "m1", "OK")]
    world = replace(inputs(day, metrics={"S": ("m1",)}, endpoints=[("G1", "S", "h1"), ("G1", "S", "h2")]),
                    metric_exclusions=[_excluding({"hostname": "h1"}, 0, 6)])  # no h1 record inside
    assert compute_ar(world).silent_endpoints.equals(silent_endpoints(world))
    assert list(silent_endpoints(world)["hostname"]) == ["h1"]
