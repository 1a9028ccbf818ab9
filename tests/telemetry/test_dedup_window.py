"""The dedup window: an hour's dedup state comes from the earlier hours' landing files alone, so
the hours give the same outputs in any order; scanned and recorded facts agree exactly."""

import random
import time

import dagster as dg
import orjson
import pyarrow as pa
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.telemetry import dedup_window, landing
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.assets import _earlier_hours
from platform_assets.telemetry.extraction import SourceMessage
from platform_assets.telemetry.hour_processing import HourProcessor, process_hour
from platform_assets.telemetry.settings import Inbox, TelemetrySettings
from platform_assets.telemetry.validation import shipped_validator
from tests.platform import local_resources
from tests.telemetry.test_hour_processing import NOW, SYNC, messages
from tests.telemetry.test_schema_types import HOSTILE_VALUES, hostile_message

HOUR_MS = 3_600_000


def exact_facts(msgs) -> tuple[set[str], set[str]]:
    msgids, mids = set(), set()
    for message in msgs:
        facts = dedup_window.batch_facts(message, shipped_validator(), NOW, "dev")
        if facts.msgid is not None:
            msgids.add(facts.msgid)
        mids |= facts.mids
    return msgids, mids


def every_id(msgs) -> set[str]:
    """Every msgid and mid anywhere in the messages (valid or not), and some that are nowhere."""
    ids = {"nowhere", "x", "odd", "LOG:0"}
    for message in msgs:
        try:
            batch = orjson.loads(message.value)
        except (orjson.JSONDecodeError, TypeError):
            continue
        if isinstance(batch, dict):
            ids.add(str((batch.get("params") or {}).get("msgid")))
            for event in batch.get("events") if isinstance(batch.get("events"), list) else []:
                if isinstance(event, dict):
                    ids.add(str(event.get("mid")))
    return ids


def test_a_scanned_hour_answers_exactly_what_its_batches_hold():
    msgs = messages()
    msgids, mids = exact_facts(msgs)
    scanned = dedup_window.ScannedHour(msgs, shipped_validator(), NOW, "dev")
    probes = every_id(msgs) | msgids | mids
    assert {p for p in probes if scanned.saw_msgid(p)} == msgids
    assert {p for p in probes if scanned.saw_mid(p)} == mids
    # the paths this covers: a candidate that is only an invalid event's mid; an unusable batch's
    # msgid; a batch the scan cannot read (a non-object event) whose valid events still count
    invalid = {e["mid"] for m in msgs[:12] for e in orjson.loads(m.value)["events"] if e["actor"] == {"id": 7}}
    assert invalid and invalid <= scanned.mid_places.keys() and not invalid & mids
    assert "x" not in msgids and "odd" in msgids and "spaced" in mids


def test_a_mid_in_several_places_is_seen_where_any_of_them_is_valid():
    event = sample_data.event(random.Random(4), 4, SYNC, "INTERACT")
    invalid = dict(event, actor={"id": 7})
    values = [{"params": {"msgid": f"b{n}"}, "syncts": SYNC, "events": events} for n, events in
              enumerate([[invalid], [invalid, invalid], [sample_data.event(random.Random(5), 5, SYNC), event]])]
    msgs = [SourceMessage("t", 0, n, SYNC, orjson.dumps(value)) for n, value in enumerate(values)]
    scanned = dedup_window.ScannedHour(msgs, shipped_validator(), NOW, "dev")
    assert scanned.mid_places[event["mid"]] == [dedup_window.place_of(0, 0), dedup_window.place_of(1, 0),
                                                dedup_window.place_of(1, 1), dedup_window.place_of(2, 1)]
    assert scanned.saw_mid(event["mid"])
    only_invalid = dedup_window.ScannedHour(msgs[:2], shipped_validator(), NOW, "dev")
    assert not only_invalid.saw_mid(event["mid"]) and only_invalid.saw_msgid("b1")
    assert dedup_window.batch_and_position(dedup_window.place_of(7, dedup_window.WHOLE_BATCH)) == \
        (7, dedup_window.WHOLE_BATCH)


def test_the_facts_a_step_records_are_the_exact_facts():
    out = process_hour(messages(), shipped_validator(), set(), set(), NOW, "dev")
    assert (set(out.totals.fact_msgids), set(out.totals.fact_mids)) == exact_facts(messages())


def second_hour() -> list[SourceMessage]:
    """The next hour: the first hour's events re-sent in new batches, one of its batches re-sent
    whole, and new events."""
    first = messages()
    values = []
    for i, message in enumerate(first[:12]):
        batch = orjson.loads(message.value)
        batch["params"]["msgid"] = f"resent-{i}" if i % 3 else batch["params"]["msgid"]  # every third: same msgid
        batch["syncts"] += HOUR_MS
        values.append(orjson.dumps(batch))
    values += sample_data.batches(4, 10, SYNC + HOUR_MS, spread_ms=1000, seed=77)
    rng = random.Random(3)
    rng.shuffle(values)
    return [SourceMessage("dev.telemetry.ingest", 0, 1000 + i, SYNC + HOUR_MS, v) for i, v in enumerate(values)]


def test_an_hour_deduplicates_the_same_against_a_recorded_or_a_scanned_earlier_hour():
    first = process_hour(messages(), shipped_validator(), set(), set(), NOW, "dev")
    recorded = HourProcessor(shipped_validator(), set(first.totals.fact_msgids), set(first.totals.fact_mids),
                             NOW + HOUR_MS, "dev")
    window = dedup_window.DedupWindow()
    window.scanned.append(dedup_window.ScannedHour(messages(), shipped_validator(), NOW, "dev"))
    scanned = HourProcessor(shipped_validator(), window.msgids, window.mids, NOW + HOUR_MS, "dev", earlier=window)
    a, b = recorded.chunk(second_hour()), scanned.chunk(second_hour())
    for name, table in a.items():
        assert b[name].equals(table), name
    assert a["extractor_duplicates"].num_rows == 4        # the batches re-sent whole
    assert a["duplicate_events"].num_rows > 50            # the re-sent events of the others
    alone = process_hour(second_hour(), shipped_validator(), set(), set(), NOW + HOUR_MS, "dev")
    assert alone.tables["duplicate_events"].num_rows < a["duplicate_events"].num_rows


def write_landing(lake, hour: str, name: str) -> str:
    key = f"{landing.landing_dir(hour)}/{name}.parquet"
    with lake.staged_writes() as staged:
        staged.table(key, landing.LANDING_SCHEMA).write_table(landing.LANDING_SCHEMA.empty_table())
    return key


def test_recorded_facts_count_only_when_they_cover_every_landing_file(tmp_path):
    lake = local_resources(tmp_path, tmp_path / "none.yaml")["lake"]
    hour = "2026-11-30-10:00"
    assert dedup_window.recorded_facts(lake, hour) == (set(), set())      # nothing landed: nothing seen
    first = write_landing(lake, hour, "p0-0-9")
    assert dedup_window.recorded_facts(lake, hour) is None                 # landed, never processed
    lake.write_table(dedup_window.facts_key(hour), dedup_window.facts_table(["b1", "b1"], ["m1"], [first]))
    assert dedup_window.recorded_facts(lake, hour) == ({"b1"}, {"m1"})
    write_landing(lake, hour, "p0-10-12")
    assert dedup_window.recorded_facts(lake, hour) is None                 # a late batch waits for its re-run
    lake.write_table(dedup_window.facts_key(hour), pa.table({"kind": ["mid"], "id": ["m1"]}))
    assert dedup_window.recorded_facts(lake, hour) is None                 # no record of what it covers


def run_two_hours(tmp_path, order: list[int], window_s: int = 3600) -> dict[str, list]:
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    inbox = resources["telemetry"]
    resources["telemetry"] = TelemetrySettings(env=inbox.env, source="inbox", inbox_dir=inbox.inbox_dir,
                                               dedup_window_s=window_s)
    settings, lake = resources["telemetry"], resources["lake"]
    start = (int(time.time() * 1000) // HOUR_MS - 3) * HOUR_MS
    hours = [landing.hour_key(start), landing.hour_key(start + HOUR_MS)]
    batches = sample_data.batches(2, 5, start + HOUR_MS - 60_000, spread_ms=1000, seed=5)
    resent = sample_data.batches(1, 5, start + HOUR_MS + 60_000, spread_ms=1000, seed=5, msgid_prefix="again")
    whole = orjson.loads(batches[1])
    whole["syncts"] = start + HOUR_MS + 120_000
    Inbox(settings.inbox_dir, settings.topic("ingest")).append(0, batches + resent + [orjson.dumps(whole)])
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        ingest = defs.resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
        assert ingest.output_for_node("ingest_telemetry")["hours"] == hours
        hourly = defs.resolve_job_def("telemetry_hourly")
        for index in order:
            assert hourly.execute_in_process(partition_key=hours[index], instance=instance).success
        unique = instance.get_latest_materialization_event(dg.AssetKey(["telemetry", "unique_events"]))
        metadata = unique.asset_materialization.metadata
        assert metadata["valid_events_read_exactly"].value == 0  # every sample event took its compiled type
        assert sum(metadata["events_by_eid"].value.values()) == metadata["dagster/row_count"].value
    return {name: lake.read_table(landing.table_key(name, hours[1])).drop_columns(
                [c for c in ("source",) if c in lake.read_table(landing.table_key(name, hours[1])).column_names]
            ).to_pylist()
            for name in ("unique_events", "duplicate_events", "extractor_duplicates", "routed_events")}


def test_hours_give_the_same_outputs_in_either_order(tmp_path):
    in_order = run_two_hours(tmp_path / "in-order", [0, 1])
    reversed_order = run_two_hours(tmp_path / "reversed", [1, 0])
    assert reversed_order == in_order
    assert len(in_order["duplicate_events"]) == 5           # the re-sent events, seen in the hour before
    assert len(in_order["extractor_duplicates"]) == 1       # the batch re-sent whole


def test_a_zero_window_deduplicates_within_each_hour_only(tmp_path):
    outputs = run_two_hours(tmp_path, [0, 1], window_s=0)
    assert outputs["duplicate_events"] == [] and outputs["extractor_duplicates"] == []
    assert len(outputs["unique_events"]) == 5 + 1 + 5 + 1  # the re-sent batch and the whole one, each with its audit event


def test_the_window_is_kept_in_whole_hours_rounded_up():
    hour = "2026-11-30-10:00"
    assert _earlier_hours(hour, 0) == []
    assert _earlier_hours(hour, 1) == _earlier_hours(hour, 3600) == ["2026-11-30-09:00"]
    assert _earlier_hours(hour, 3601) == ["2026-11-30-08:00", "2026-11-30-09:00"]
    with pytest.raises(dg.Failure, match="dedup_window_s must be 0 or more seconds, not -5"):
        _earlier_hours(hour, -5)


@pytest.mark.parametrize("where, text", HOSTILE_VALUES)
def test_a_scanned_hour_checks_a_hostile_event_as_its_step_does(where, text):
    # each candidate mid is checked in its own event, read alone: the answers are the batch's facts
    message = hostile_message(text)
    scanned = dedup_window.ScannedHour([message], shipped_validator(), NOW, "dev")
    facts = dedup_window.batch_facts(message, shipped_validator(), NOW, "dev")
    candidates = set(scanned.mid_places) | {"nowhere"}
    assert {mid for mid in candidates if scanned.saw_mid(mid)} == facts.mids, where
    assert scanned.saw_msgid("m") == (facts.msgid == "m"), where
    assert len(candidates) >= 3 or facts.msgid is None, where  # both events and the audit event were candidates


def test_a_batch_the_scan_reads_but_orjson_refuses_is_not_seen():
    # invalid UTF-8 inside a string: msgspec's scan skips over it, the extractor refuses the batch
    good = orjson.loads(messages()[0].value)
    broken = orjson.dumps(dict(good, params={"msgid": "m-bad"})).replace(b'"ver":"3.0"', b'"ver":"3.\xff"', 1)
    assert b"\xff" in broken
    earlier = [SourceMessage("dev.telemetry.ingest", 0, 0, SYNC, broken)]
    scanned = dedup_window.ScannedHour(earlier, shipped_validator(), NOW, "dev")
    assert "m-bad" in scanned.msgid_batches and good["events"][0]["mid"] in scanned.mid_places  # candidates
    assert not scanned.saw_msgid("m-bad") and not scanned.saw_mid(good["events"][0]["mid"])   # not seen
