"""The workflow summaries (ME_WORKFLOW_SUMMARY) against the original summarizer's own test days and
expectations (``fixtures/wfs/ORIGIN.md``): how many summaries of which type each day gives, and for
one summary per day its mid (MD5 of uid, type, mode, time range, object, producer and channel: a
wrong start or end changes it) and every measure the original's test asserts."""

import json
from collections import Counter
from pathlib import Path

import pytest

from platform_assets.telemetry.workflow_summaries import round2, summarize

pytestmark = pytest.mark.fast
FIXTURES = Path(__file__).parent / "fixtures" / "wfs"


def _day(number: int) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / f"day{number}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("day, count, types", [
    (1, 9, {"app": 3}),
    (2, 8, {"app": 3, "session": 1, "player": 1, "editor": 3}),
    (3, 3, {"app": 2, "session": 1, "player": 0, "editor": 0}),
    (4, 7, {"app": 3, "session": 2, "player": 2, "editor": 0}),
    (5, 19, {"app": 4, "session": 0, "editor": 0}),
    (6, 15, {"app": 2}),
    (7, 6, {}),
    (8, 1, {}),
])
def test_each_day_gives_the_originals_summaries(day, count, types):
    summaries = summarize(_day(day))
    assert len(summaries) == count
    found = Counter(s["dimensions"]["type"] for s in summaries)
    assert {kind: found.get(kind, 0) for kind in types} == types
    assert len({s["mid"] for s in summaries}) == count


EXPECTED = {  # day -> mid, dimensions, measures, events_summary (None: not asserted by the original)
    3: ("47377F637676DDE217BAFA1DF95E6FF1",
        {"type": "app", "mode": "", "did": "11573c50cae2078e847f12c91a2d1965eaa73714",
         "sid": "830811c2-3c02-4c45-8755-3f15064a88a2"},
        (1.0, 1515402354310, 1, 1515402366478, 12.17, 12.17, 0, 0, 0), {"INTERACT": 1, "START": 2}),
    4: ("B30D043CA457042F71E73C24404737BE",
        {"type": "player", "mode": "preview", "did": "b027147870670bc57de790535311fbe5",
         "sid": "7op5o46hpi2abkmp8ckihjeq72"},
        (0.3, 1515496370223, 1, 1515497570223, 1200.0, 200.0, 1, 0, 0), {"INTERACT": 2, "ASSESS": 1, "END": 1}),
    5: ("5AFA0438BAE767D64A535FF814108D17",
        {"type": "app", "did": "1b21a2906e7de0dd66235e7cf9373adb4aaaa104",
         "sid": "b8bc1f1d-22a6-4aa6-aa5e-de3654e80f96", "channel": "01235953109336064029450"},
        (1.77, 1536645647965, 11, 1536646021231, 373.27, 373.3, 0, 4, 1), 5),
    1: ("B151E935C1F3E9D7D30A4A6EB96E2AE2",
        {"type": "app", "did": "a49c706d0402d6db3bb7cb3105cc9e7cf9b2ed7e",
         "sid": "8f32dbc4-c0d0-4630-9ff6-8c3bce3d15bb", "channel": "01235953109336064029450"},
        (0, 1534595611976, 0, 1534595617324, 5.35, 5.35, 0, 1, 1), 3),
    6: ("D0E7F723AB0CBE295ED757AB608D1EBF",
        {"type": "app", "did": "e758d6c277dafbda491a5f3824622b5a612304dc",
         "sid": "430d7850-39ff-4f3d-b672-dfb4ae875160", "channel": "01235953109336064029450"},
        (2.14, 1534700219419, 13, 1534700584532, 365.11, 365.13, 0, 4, 1), 5),
    7: ("2D2E6508F9F24B6B15DCC9F43B82E9D8",
        {"type": "content", "mode": "play", "did": "af53a718911fc1703461bbfe5880cb1585cf54ae",
         "sid": "d05c1bc5-2f03-4524-9c1f-981e7e701e10", "channel": "505c7c48ac6dc1edc9b08f21db5a571d"},
        (0, 1583031769407, 0, 1583031850824, 81.42, 81.41, 0, 0, 0), 2),
}


@pytest.mark.parametrize("day", sorted(EXPECTED))
def test_the_originals_asserted_summary_to_the_last_digit(day):
    mid, dimensions, measures, events = EXPECTED[day]
    [summary] = [s for s in summarize(_day(day)) if s["mid"] == mid]
    assert {k: summary["dimensions"][k] for k in dimensions} == dimensions
    eks = summary["edata"]["eks"]
    assert (eks["interact_events_per_min"], eks["start_time"], eks["interact_events_count"], eks["end_time"],
            eks["time_diff"], eks["time_spent"], len(eks["item_responses"]), len(eks["page_summary"]),
            len(eks["env_summary"])) == measures
    if isinstance(events, dict):
        assert {e["id"]: e["count"] for e in eks["events_summary"]} == events
    else:
        assert len(eks["events_summary"]) == events
    assert (summary["eid"], summary["ver"], summary["context"]["granularity"]) == ("ME_WORKFLOW_SUMMARY", "1.0", "SESSION")
    assert summary["context"]["pdata"] == {"id": "AnalyticsDataPipeline", "ver": "1.0", "model": "WorkflowSummarizer"}
    assert summary["context"]["date_range"] == {"from": eks["start_time"], "to": eks["end_time"]}
    assert eks["telemetry_version"] == "3.0"


def test_the_player_summary_carries_its_object():
    [player] = [s for s in summarize(_day(2)) if s["dimensions"]["type"] == "player"]
    assert player["object"]["id"] == "do_1122852550749306881159"
    assert (player["object"]["ver"], player["object"]["type"]) == ("1.0", "Content")
    assert player["object"]["rollup"]["l1"] == "do_3124020553502310402803"


def _event(eid, ets, kind=None, mode=None, pageid=None, env="home", did="d1"):
    edata = {k: v for k, v in (("type", kind), ("mode", mode), ("pageid", pageid)) if v is not None}
    return {"eid": eid, "ets": ets, "ver": "3.0", "actor": {"id": "u1", "type": "User"},
            "context": {"did": did, "channel": "ch", "pdata": {"id": "portal", "ver": "1", "pid": "web"},
                        "sid": "s1", "env": env}, "edata": edata}


def test_server_events_are_left_out_and_groups_are_device_channel_producer():
    base = 1_700_000_000_000
    events = [_event("START", base, "app"), _event("LOG", base + 1000), _event("AUDIT", base + 2000),
              _event("SEARCH", base + 3000), _event("INTERACT", base + 4000, "click"),
              _event("START", base, "app", did="d2"), _event("INTERACT", base + 9000, "touch", did="d2")]
    by_device = {s["dimensions"]["did"]: s["edata"]["eks"] for s in summarize(events)}
    assert by_device["d1"]["events_summary"] == [{"id": "START", "count": 1}, {"id": "INTERACT", "count": 1}]
    assert (by_device["d1"]["time_spent"], by_device["d2"]["time_spent"]) == (4.0, 9.0)


def test_idle_gaps_count_nothing_and_a_long_gap_breaks_the_session():
    base = 1_700_000_000_000
    idle = [_event("START", base, "app"), _event("INTERACT", base + 5_000, "click"),
            _event("INTERACT", base + 5_000 + 601_000, "click"), _event("INTERACT", base + 608_000, "click")]
    [summary] = summarize(idle)
    assert summary["edata"]["eks"]["time_spent"] == 7.0  # 5 s + (601 s: idle, 0) + 2 s
    broken = [_event("START", base, "app"), _event("INTERACT", base + 5_000, "click"),
              _event("INTERACT", base + 5_000 + 31 * 60_000, "click"),
              _event("INTERACT", base + 5_000 + 31 * 60_000 + 3_000, "click")]
    assert sorted(s["edata"]["eks"]["time_spent"] for s in summarize(broken)) == [3.0, 5.0]


def test_page_and_env_summaries_credit_gaps_to_the_last_impression():
    base = 1_700_000_000_000
    events = [_event("START", base, "app"), _event("IMPRESSION", base + 1_000, "view", pageid="home"),
              _event("INTERACT", base + 3_000, "click"),
              _event("IMPRESSION", base + 4_000, "view", pageid="library", env="library"),
              _event("INTERACT", base + 10_000, "click")]
    [summary] = summarize(events)
    pages = {p["id"]: p for p in summary["edata"]["eks"]["page_summary"]}
    # home: 2 s, then the 1 s before the next impression twice (the original's quirk); library: 6 s
    assert (pages["home"]["time_spent"], pages["library"]["time_spent"]) == (4.0, 6.0)
    assert {e["env"]: (e["time_spent"], e["count"]) for e in summary["edata"]["eks"]["env_summary"]} == {
        "home": (4.0, 1), "library": (6.0, 1)}


def test_mids_are_stable_across_runs():
    first = {s["mid"] for s in summarize(_day(5))}
    assert first == {s["mid"] for s in summarize(_day(5))}


@pytest.mark.parametrize("value, rounded", [(0.125, 0.13), (2.675, 2.68), (1.005, 1.01), (12.165, 12.17)])
def test_rounding_is_half_up_on_the_shortest_decimal(value, rounded):
    assert round2(value) == rounded


def test_a_device_or_channel_that_is_not_text_groups_instead_of_crashing():
    base = 1_700_000_000_000
    odd = [dict(_event("START", base, "app"), context={"did": ["d", 1], "channel": {"x": 1}, "pdata": {"id": ["p"]}}),
           dict(_event("INTERACT", base + 2000, "click"), context={"did": ["d", 1], "channel": {"x": 1},
                                                                  "pdata": {"id": ["p"]}})]
    [summary] = summarize(odd)
    assert summary["edata"]["eks"]["time_spent"] == 2.0


def test_a_start_without_type_gives_one_summary_per_mid_to_the_topics():
    from platform_assets.telemetry.workflow_summaries import once_per_mid

    base = 1_700_000_000_000
    events = [_event("START", base), _event("INTERACT", base + 3000, "click"),
              _event("INTERACT", base + 3000 + 31 * 60_000, "click")]
    summaries = summarize(events)  # at the break the original emits the "app" wrapper and the START's "app"
    assert len(summaries) == 2 and len({s["mid"] for s in summaries}) == 1
    assert len(once_per_mid(summaries)) == 1


def test_a_day_goes_to_the_topics_only_once_it_is_over():
    from datetime import UTC, datetime

    from platform_assets.telemetry.assets_summaries import day_closed

    assert not day_closed("2026-11-23", datetime(2026, 11, 23, 23, 59, tzinfo=UTC))
    assert not day_closed("2026-11-23", datetime(2026, 11, 24, 0, 30, tzinfo=UTC))  # within the grace
    assert day_closed("2026-11-23", datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
