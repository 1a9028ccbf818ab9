"""A recomputation's ``applied_status_changes`` (issue 26): the state forced on the level the most
specific field names, over the period clipped to the day, narrowed by the other fields, the more
narrowed entry winning; bad entries refused with the field named. ARGO's own fixtures are in
``conformance/test_v2_timelines.py``."""

from dataclasses import replace

import pytest

from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import compute_ar
from tests.argo.kernel_world import at, inputs

pytestmark = pytest.mark.fast

TWO_GROUPS = (("G1", "S", "h1"), ("G2", "S", "h1"))
OK_ALL_DAY = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]


def changes(*entries, start=1, end=2, **request) -> list[pr.StatusChange]:
    rec = {"id": "r", "start_time": f"{at(start):%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{at(end):%Y-%m-%dT%H:%M:%SZ}",
           "applied_status_changes": list(entries), **request}
    return pr.parse_recomputations([rec], {"Critical"}).status_changes


def points(result, level="status_endpoints", **where) -> list[tuple[int, str]]:
    frame = getattr(result, level)
    for column, value in where.items():
        frame = frame[frame[column] == value]
    states = inputs([]).operations.states
    return [(int(t), states[int(s)]) for t, s in zip(frame["t"], frame["status"], strict=True)]


def test_each_entry_acts_on_the_level_its_most_specific_field_names():
    parsed = changes({"metric": "m1", "hostname": "h1", "state": "CRITICAL"},
                     {"hostname": "h1", "service": "S", "state": "CRITICAL"},
                     {"service": "S", "group": "G1", "state": "CRITICAL"},
                     {"group": "G1", "state": "CRITICAL"},
                     {"netric": "m2", "state": "OK"})  # a misspelling ARGO's parser reads too
    assert [c.level for c in parsed] == ["metric", "endpoint", "service", "group", "metric"]
    assert [c.priority for c in parsed] == [2, 2, 2, 0, 1]


@pytest.mark.parametrize("entry, request_fields, message", [
    ({"hostname": "h1"}, {}, "no state"),
    ({"state": "OK"}, {}, "names no metric, hostname, service or group"),
    ({"hostname": "h1", "state": "OK"}, {"end_time": None}, "no start_time or end_time"),
])
def test_an_unusable_entry_is_refused_naming_the_field(entry, request_fields, message):
    rec = {"id": "r", "start_time": "2024-03-10T01:00:00Z", "end_time": "2024-03-10T02:00:00Z",
           "applied_status_changes": [entry], **request_fields}
    with pytest.raises(pr.ProfileError, match=f"recomputations: .*{message}"):
        pr.parse_recomputations([rec], {"Critical"})


def test_a_metric_change_holds_over_the_period_then_the_status_before_comes_back():
    world = replace(inputs(OK_ALL_DAY), status_changes=changes({"metric": "m1", "state": "CRITICAL"}))
    assert points(compute_ar(world)) == [(0, "OK"), (3600, "CRITICAL"), (7200, "OK")]
    # a period from the day before to the day after covers the whole day
    whole = replace(world, status_changes=changes({"metric": "m1", "state": "CRITICAL"}, start=-5, end=30))
    assert points(compute_ar(whole)) == [(0, "CRITICAL")]
    # one that ends before the day does nothing
    before = replace(world, status_changes=changes({"metric": "m1", "state": "CRITICAL"}, start=-5, end=-1))
    assert points(compute_ar(before)) == [(0, "OK")]


def test_an_endpoint_change_narrowed_by_group_changes_that_group_only():
    world = replace(inputs(OK_ALL_DAY, endpoints=TWO_GROUPS),
                    status_changes=changes({"hostname": "h1", "group": "G2", "state": "CRITICAL"}))
    result = compute_ar(world)
    assert points(result, group="G1") == [(0, "OK")]
    assert points(result, group="G2") == [(0, "OK"), (3600, "CRITICAL"), (7200, "OK")]
    ar = result.endpoint_ar.set_index("supergroup")["availability"]
    assert ar["G1"] == 100.0 and ar["G2"] == round(23 / 24 * 100, 5)


def test_the_more_narrowed_entry_wins_whatever_the_document_order():
    world = replace(inputs(OK_ALL_DAY), status_changes=changes(
        {"hostname": "h1", "service": "S", "state": "WARNING"}, {"hostname": "h1", "state": "CRITICAL"}))
    assert points(compute_ar(world)) == [(0, "OK"), (3600, "WARNING"), (7200, "OK")]


def test_service_and_group_changes_act_on_their_own_timelines():
    world = replace(inputs(OK_ALL_DAY, endpoints=TWO_GROUPS), status_changes=changes(
        {"service": "S", "group": "G1", "state": "CRITICAL"}) + changes({"group": "G2", "state": "WARNING"},
                                                                        start=3, end=4))
    result = compute_ar(world)
    assert points(result, "status_services", group="G1") == [(0, "OK"), (3600, "CRITICAL"), (7200, "OK")]
    assert points(result, "status_services", group="G2") == [(0, "OK")]
    assert points(result) == [(0, "OK")] * 2  # the endpoints themselves are untouched
    assert points(result, "status_endpoint_groups", group="G2") == [(0, "OK"), (10800, "WARNING"), (14400, "OK")]


def test_a_state_the_operations_profile_lacks_is_a_clear_error():
    world = replace(inputs(OK_ALL_DAY), status_changes=changes({"hostname": "h1", "state": "BROKEN"}))
    with pytest.raises(pr.ProfileError, match="state 'BROKEN' .*not a state of the operations profile"):
        compute_ar(world)


def test_the_status_change_and_the_excluded_group_together():
    """A group forced CRITICAL 01:00-02:00 by one request and excluded by another (``exclude``,
    UNKNOWN in endpoint_group_ar only): the timeline shows the change, the A/R the exclusion too."""
    rec = [{"id": "a", "start_time": f"{at(1):%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{at(2):%Y-%m-%dT%H:%M:%SZ}",
            "applied_status_changes": [{"group": "G1", "state": "CRITICAL"}]},
           {"id": "b", "start_time": f"{at(12):%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{at(24):%Y-%m-%dT%H:%M:%SZ}",
            "exclude": ["G1"]}]
    parsed = pr.parse_recomputations(rec, {"Critical"})
    world = replace(inputs(OK_ALL_DAY), status_changes=parsed.status_changes, group_exclusions=parsed.group_periods)
    result = compute_ar(world)
    assert points(result, "status_endpoint_groups") == [(0, "OK"), (3600, "CRITICAL"), (7200, "OK")]
    group = result.endpoint_group_ar.iloc[0]
    assert group.availability == round(11 / 12 * 100, 5)  # 11 h up of 12 h known (12:00-24:00 unknown)


def test_a_period_left_empty_by_the_day_forces_its_state_to_the_next_change_in_argo_v3():
    """The original's sample map: a period ending as it starts (or at midnight, from the day
    before) puts its state at that instant, which lasts to the series' next change; ``corrected``
    leaves such a period out."""
    day = [(at(0), "S", "h1", "m1", "OK"), (at(5), "S", "h1", "m1", "WARNING"), (at(0), "S", "h1", "m2", "OK")]
    point = changes({"hostname": "h1", "state": "CRITICAL"}, start=1, end=1)
    midnight = changes({"hostname": "h1", "state": "CRITICAL"}, start=-5, end=0)
    assert points(compute_ar(replace(inputs(day), status_changes=point))) == [
        (0, "OK"), (3600, "CRITICAL"), (18000, "WARNING")]
    assert points(compute_ar(replace(inputs(day), status_changes=midnight))) == [(0, "CRITICAL"), (18000, "WARNING")]
    for empty in (point, midnight):
        corrected = replace(inputs(day), status_changes=empty, semantics="corrected")
        assert points(compute_ar(corrected)) == [(0, "OK"), (18000, "WARNING")]
