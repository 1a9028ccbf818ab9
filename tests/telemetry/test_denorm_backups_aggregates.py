"""Denormalization, topic backups (and their replay order) and the aggregates, on their own."""

import random

import pyarrow as pa
import pytest

from platform_assets.telemetry import aggregates, backups, tables
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.denormalization import denormalize, end_of_day_ms
from platform_assets.telemetry.extraction import SourceMessage
from resources.storage import LakeResource
from resources.telemetry_dimensions import DimensionsResource

SYNC = 1_795_400_000_000  # 2026-11-23 02:13:20 UTC = 07:43:20 in Kolkata
DAY_MS = 86_400_000


def ev(eid="INTERACT", n=0, **changes):
    event = sample_data.event(random.Random(n), n, SYNC - 1000, eid)
    event["syncts"] = SYNC
    event.update(changes)
    return event


@pytest.mark.parametrize("backend", ["files", "postgres"])
def test_denormalization_attaches_rows_flags_misses_and_applies_the_time_rules(tmp_path, request, backend):
    dims = (DimensionsResource(root=str(tmp_path)) if backend == "files"
            else DimensionsResource(dsn=request.getfixturevalue("pg_dsn")))
    hit = ev(n=1)
    dims.load("device", {hit["context"]["did"]: {"state": "Karnataka", "district": "Bengaluru"}})
    dims.load("user", {hit["actor"]["id"]: {"usertype": "teacher"}})
    dims.load("content", {hit["object"]["id"]: {"name": "Fractions", "contenttype": "Resource"}})
    dims.load("dialcode", {"QR1234": {"batchcode": "b1"}})
    dial = ev(n=2, object={"id": "qr1234", "type": "DialCode"})
    miss = ev(n=3, context={**ev(n=3)["context"], "did": "unknown-device"})
    old = ev(n=4, ets=SYNC - 100 * DAY_MS)
    future = ev(n=5, ets=SYNC + 3 * DAY_MS)
    out = denormalize([hit, dial, miss, old, future], dims.lookup, max_age_days=92)
    by_mid = {e["mid"]: e for e in out.events}
    assert out.dropped_too_old == 1 and old["mid"] not in by_mid
    assert by_mid[hit["mid"]]["devicedata"] == {"state": "Karnataka", "district": "Bengaluru"}
    assert by_mid[hit["mid"]]["flags"] == {"device_denorm": True, "user_denorm": True, "content_denorm": True,
                                           "location_denorm": True}
    assert by_mid[hit["mid"]]["derivedlocationdata"] == {"state": "Karnataka", "district": "Bengaluru", "from": "device"}
    assert by_mid[hit["mid"]]["userdata"] == {"usertype": "teacher"} and by_mid[hit["mid"]]["contentdata"]["name"] == "Fractions"
    assert by_mid[dial["mid"]]["dialcodedata"] == {"batchcode": "b1"} and by_mid[dial["mid"]]["flags"]["dialcode_denorm"]
    assert "content_denorm" not in by_mid[dial["mid"]]["flags"]
    assert by_mid[miss["mid"]]["flags"]["device_denorm"] is False and "devicedata" not in by_mid[miss["mid"]]
    assert by_mid[future["mid"]]["ets"] == end_of_day_ms(SYNC) and by_mid[future["mid"]]["flags"]["ets_capped"]
    assert out.capped_future == 1 and out.hits["device"] == 1 and out.misses["device"] == 3  # dial, miss, future
    assert by_mid[miss["mid"]]["flags"]["location_denorm"] is False and "derivedlocationdata" not in by_mid[miss["mid"]]
    assert out.hits["location"] == 1 and out.misses["location"] == 3


def test_the_users_location_comes_before_the_devices():
    event = ev(n=7)
    rows = {"device": {event["context"]["did"]: {"state": "Assam", "district": "Kamrup"}},
            "user": {event["actor"]["id"]: {"state": "Goa", "district": "North Goa"}}}
    out = denormalize([event], lambda kind, keys: rows.get(kind, {}))
    assert out.events[0]["derivedlocationdata"] == {"state": "Goa", "district": "North Goa", "from": "user"}
    no_state = {"device": rows["device"], "user": {event["actor"]["id"]: {"state": ""}}}
    out = denormalize([event], lambda kind, keys: no_state.get(kind, {}))
    assert out.events[0]["derivedlocationdata"]["from"] == "device"
    nobody = dict(event, actor={"id": "svc", "type": "System"}, context={**event["context"], "did": ""})
    assert "location_denorm" not in denormalize([nobody], lambda kind, keys: {}).events[0]["flags"]


def test_dimension_lookups_in_postgres_are_parameterized(pg_dsn):
    dims = DimensionsResource(dsn=pg_dsn)
    hostile = "d'); DROP TABLE telemetry_dims.device; --"
    dims.load("device", {hostile: {"state": "Goa"}, "d2": {"state": "Assam"}})
    assert dims.lookup("device", [hostile, "d2", "nobody"]) == {hostile: {"state": "Goa"}, "d2": {"state": "Assam"}}
    assert dims.lookup("content", ["x"]) == {}
    dims.load("device", {"d2": {"state": "Bihar"}})
    assert dims.lookup("device", ["d2"]) == {"d2": {"state": "Bihar"}}


def test_backups_are_dated_in_the_backup_timezone_rolled_by_size_and_replay_each_offset_once():
    late_evening_utc = SYNC + 16 * 3_600_000 + 1_800_000  # 18:43 UTC = 00:13 next day in Kolkata
    messages = [(SourceMessage("dev.telemetry.ingest", 0, o, SYNC - o, b'{"n": %d}' % o, key=b"k%d" % o), SYNC)
                for o in range(10)]
    messages += [(SourceMessage("dev.telemetry.ingest", 1, 5, None, b"\xff\xfe raw", key=None), late_evening_utc)]
    files = backups.backup_files(messages, "Asia/Kolkata", roll_bytes=30)
    days = {f.day for f in files}
    assert days == {"2026-11-23", "2026-11-24"}
    p0 = [f for f in files if f.partition == 0]
    assert len(p0) > 1 and all(f.messages for f in p0)  # rolled
    assert p0[0].key == f"backups/dev.telemetry.ingest/2026-11-23/dev.telemetry.ingest-p0-{0:020d}-{p0[0].last_offset:020d}.parquet"
    assert [(f.first_offset, f.last_offset) for f in p0] == sorted((f.first_offset, f.last_offset) for f in p0)
    # a re-run that cut the messages differently wrote an overlapping file: still each offset once
    overlap = backups.backup_files(messages[3:7], "Asia/Kolkata")
    records = backups.replay_order([f.data for f in files] + [f.data for f in overlap])
    assert [(r["partition"], r["offset"]) for r in records] == [(0, o) for o in range(10)] + [(1, 5)]
    assert [(r["value"], r["key"], r["timestamp_ms"], r["syncts"]) for r in records] == [
        (m.value, m.key, m.timestamp_ms, s) for m, s in messages]  # exact bytes, UTF-8 or not


def test_aggregates():
    events = [ev("START", 1, ets=1000), ev("INTERACT", 2, ets=5000), ev("IMPRESSION", 3, ets=9000),
              ev("INTERACT", 4, ets=7000)]
    for e in events:
        e["context"] = {**e["context"], "sid": "s1", "channel": "c1"}
        e["actor"] = {"id": "u1", "type": "User"}
    other = ev("INTERACT", 5, ets=3000)
    other["context"] = {**other["context"], "sid": "s2", "channel": "c2"}
    other["actor"] = {"id": "u2", "type": "User"}
    system = ev("LOG", 6)
    system["actor"] = {"id": "svc", "type": "System"}
    table = tables.events_table(events + [other, system])
    counts = aggregates.hourly_event_counts(table, "2026-11-23-02:00")
    assert int(counts["events"].sum()) == 6 and set(counts["eid"]) == {"START", "INTERACT", "IMPRESSION", "LOG"}
    sessions = aggregates.workflow_summary(table, "2026-11-23").set_index("sid")
    assert sessions.loc["s1", "interactions"] == 2 and sessions.loc["s1", "impressions"] == 1
    assert sessions.loc["s1", "time_spent_s"] == 8.0 and sessions.loc["s1", "events"] == 4
    wau = aggregates.weekly_active_users(table, "2026-11-23").set_index("channel")["active_users"].to_dict()
    assert wau == {"c1": 1, "c2": 1}
    empty = tables.empty(tables.EVENT_SCHEMA)
    assert aggregates.hourly_event_counts(empty, "h").empty and aggregates.workflow_summary(empty, "d").empty


def test_event_tables_round_trip_and_refused_tables_keep_bytes():
    events = [ev(n=1), ev("SHARE", 2)]
    table = tables.events_table(events)
    assert tables.events_from_table(table) == events
    refused = tables.refused_table([{"reason": "not UTF-8", "source": "t/0/1", "payload": b"\xff"},
                                    {"reason": "bad", "source": "t/0/2", "payload": events[0], "mid": events[0]["mid"]}])
    assert refused.column("payload").to_pylist()[0] == b"\xff"
    assert isinstance(refused, pa.Table) and refused.column("mid").to_pylist() == [None, events[0]["mid"]]


def test_hourly_tables_keep_statistics_where_readers_filter_but_not_on_the_json_text_or_ids(tmp_path):
    lake = LakeResource(root=str(tmp_path))
    for key, table, expected in (
            ("events.parquet", tables.events_table([ev(n=1), ev("SHARE", 2)]),
             {"ets", "syncts", "eid", "channel", "pdata_id", "actor_type"}),
            ("refused.parquet", tables.refused_table([{"reason": "bad", "source": "t/0/1", "payload": b"{}"}]),
             {"reason", "source", "mid", "eid", "syncts"})):
        lake.write_table(key, table, **tables.parquet_options(table.schema))
        group = lake.parquet_file(key).metadata.row_group(0)
        with_statistics = {group.column(i).path_in_schema for i in range(group.num_columns)
                           if group.column(i).is_stats_set}
        assert with_statistics == expected, key
        assert lake.read_table(key).equals(table), key
