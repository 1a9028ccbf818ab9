"""Hostile events inside an otherwise good batch, through the real jobs (ingest from the local
inbox, then the hourly step): each is quarantined alone with its reason, and the batch's good
events go on. (Kafka's default message limit is 1 MB, so the over-1 MiB event comes
through the inbox; the in-memory cases are in test_extraction_validation and test_schema_types.)"""

import time

import dagster as dg
import orjson

from platform_assets.definitions import build_definitions
from platform_assets.telemetry import landing
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.extraction import MAX_EVENT_BYTES
from platform_assets.telemetry.settings import Inbox
from tests.platform import local_resources

HOUR_MS = 3_600_000


def test_a_huge_and_a_deeply_nested_event_fail_alone_and_their_batch_goes_on(tmp_path):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    settings, lake = resources["telemetry"], resources["lake"]
    start = (int(time.time() * 1000) // HOUR_MS - 2) * HOUR_MS
    batch = orjson.loads(sample_data.batches(1, 3, start + 60_000, seed=31)[0])
    good, syncts = batch["events"], batch["syncts"]
    huge = orjson.dumps(dict(good[0], mid="huge-1", edata={"blob": "x" * MAX_EVENT_BYTES}))
    deep = orjson.dumps(dict(good[1], mid="deep-1", edata={"n": "HERE"})).replace(b'"HERE"', b"[" * 300 + b"]" * 300)
    text = b'{"id":"api.sunbird.telemetry","ver":"3.0","params":{"msgid":"hostile-1"},"syncts":%d,"events":[%s,%s,%s]}' % (
        syncts, huge, deep, orjson.dumps(good[2]))
    Inbox(settings.inbox_dir, settings.topic("ingest")).append(0, [text])
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        ingest = defs.resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
        hour = landing.hour_key(syncts)
        assert ingest.output_for_node("ingest_telemetry")["hours"] == [hour]
        assert defs.resolve_job_def("telemetry_hourly").execute_in_process(partition_key=hour, instance=instance).success
    refused = lake.read_table(landing.table_key("extractor_failed", hour)).to_pylist()
    assert [r["payload"] for r in refused] == [huge]  # its original bytes, refused alone
    assert f"over the {MAX_EVENT_BYTES}-byte limit" in refused[0]["reason"]
    failed = lake.read_table(landing.table_key("failed_events", hour)).to_pylist()
    # deep but readable: it fails its schema, and the error is named though jsonschema-rs cannot describe it
    assert [f["mid"] for f in failed] == ["deep-1"] and "nested too deep" in failed[0]["reason"]
    assert orjson.loads(failed[0]["payload"])["edata"] == orjson.loads(deep)["edata"]
    unique = lake.read_table(landing.table_key("unique_events", hour)).to_pylist()
    assert sorted(u["eid"] for u in unique) == sorted([good[2]["eid"], "LOG"])  # the good event and the batch's audit
    audit = next(orjson.loads(u["event"]) for u in unique if u["eid"] == "LOG")
    assert {"sync_status": "PARTIAL"} in audit["edata"]["params"]
