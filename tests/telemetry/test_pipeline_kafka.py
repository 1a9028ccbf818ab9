"""The telemetry slice end to end against a real Kafka-protocol broker (tansu), PostgreSQL (dimension
tables) and a moto S3 server (topic backups): produce -> ingest -> hourly chain -> aggregates;
hostile input; a run killed mid-batch and re-run; backup -> topic restore; the backlog sensor."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import boto3
import dagster as dg
import orjson
import pytest
from dagster_aws.s3 import S3Resource

from platform_assets.definitions import build_definitions
from platform_assets.telemetry import backups, landing
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.hour_processing import OUTPUT_SCHEMAS
from platform_assets.telemetry.topics import DEFAULT_ROUTES
from platform_assets.telemetry.settings import TelemetrySettings
from platform_assets.telemetry.restore import restore_topic
from resources.kafka import KafkaResource
from resources.storage import LakeResource
from resources.telemetry_dimensions import DimensionsResource
from sensors.telemetry_backlog import telemetry_backlog
from tests.platform import local_resources

HOUR_MS = 3_600_000
START = 1_795_392_000_000  # 2026-11-23 00:00 UTC
ROOT = Path(__file__).resolve().parents[2]


def s3_lake(endpoint: str, bucket: str) -> LakeResource:
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                 aws_secret_access_key="x").create_bucket(Bucket=bucket)
    return LakeResource(root=f"s3://{bucket}/telemetry", s3=S3Resource(
        endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"))


@pytest.fixture
def world(tmp_path, kafka_bootstrap, s3_endpoint, pg_dsn):
    env = f"t{uuid.uuid4().hex[:8]}"
    kafka = KafkaResource(bootstrap_servers=kafka_bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
    settings = TelemetrySettings(env=env, source="kafka", consumer_group=f"weir-{env}", micro_batch_messages=7,
                                 produce_routed=True)
    kafka.create_topic(settings.topic("ingest"), partitions=2)
    for stream in DEFAULT_ROUTES:  # the original pipeline's topics, which production follows
        for route in settings.routes(stream):
            kafka.create_topic(route.name(env), partitions=1)
    dims = DimensionsResource(dsn=pg_dsn)
    resources = local_resources(tmp_path, tmp_path / "no-registry.yaml", kafka=kafka, telemetry=settings,
                                telemetry_backups=s3_lake(s3_endpoint, f"backups-{env}"), dimensions=dims)
    with dg.instance_for_test() as instance:
        yield build_definitions(resources), instance, resources, tmp_path


def produce_sample(kafka: KafkaResource, topic: str, count: int = 30, seed: int = 7, start: int = START) -> list[bytes]:
    values = sample_data.batches(count, 20, start, spread_ms=2 * HOUR_MS, seed=seed)
    kafka.produce_all(topic, values, keys=[str(i % 2).encode() for i in range(len(values))])
    return values


def run_ingest(defs, instance) -> dict:
    result = defs.resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
    assert result.success
    return result.output_for_node("ingest_telemetry")


def run_hours(defs, instance, hours) -> None:
    for hour in hours:
        assert defs.resolve_job_def("telemetry_hourly").execute_in_process(partition_key=hour, instance=instance).success


def read(lake: LakeResource, asset: str, hours) -> list:
    return [r for h in hours for r in lake.read_table(landing.table_key(asset, h)).to_pylist()]


def test_end_to_end_with_hostile_input_routing_denormalization_and_aggregates(world):
    defs, instance, resources, _ = world
    kafka, settings, lake = resources["kafka"], resources["telemetry"], resources["lake"]
    topic = settings.topic("ingest")
    values = produce_sample(kafka, topic)
    first = orjson.loads(values[0])["events"][0]
    resources["dimensions"].load("device", {first["context"]["did"]: {"state": "Kerala"}})
    bad_event = dict(first, mid="bad-1", actor={"id": 5})
    hostile = [b"\xff\xfe\x00 not utf-8", b"[" * 3000, b'{"params": {"msgid": "h1"}, "events": 7}',
               orjson.dumps({"params": {"msgid": "h2"}, "syncts": START, "events": [bad_event, "x", first]}),
               values[3]]  # a re-sent batch: its msgid was seen
    kafka.produce_all(topic, hostile)
    summary = run_ingest(defs, instance)
    assert summary["messages"] == len(values) + len(hostile)
    committed = kafka.committed(topic, settings.consumer_group)  # a partition that got nothing has none
    assert sum(o for o in committed.values() if o >= 0) == len(values) + len(hostile)
    hours = summary["hours"]
    assert hours[0] == "2026-11-23-00:00" and len(hours) >= 2
    run_hours(defs, instance, hours)

    raw = read(lake, "raw_events", hours)
    unique, failed, dups = (read(lake, a, hours) for a in ("unique_events", "failed_events", "duplicate_events"))
    sent_events = sum(len(orjson.loads(v)["events"]) for v in values)
    audits = [r for r in raw if json.loads(r["event"])["edata"].get("type") == "telemetry_audit"]
    assert len(audits) == len(values) + 1  # one per accepted batch (h2 included)
    assert len(raw) == sent_events + 2 + len(audits)  # bad_event and the repeated first event of h2
    assert len(unique) + len(failed) + len(dups) == len(raw)  # nothing lost, nothing twice
    assert [d["mid"] for d in dups] == [first["mid"]]
    assert [f["mid"] for f in failed] == ["bad-1"] and "actor" in failed[0]["reason"]
    assert len({u["mid"] for u in unique}) == len(unique)
    extractor_failed = read(lake, "extractor_failed", hours)
    assert Counter(f["reason"].split(":")[0] for f in extractor_failed) == Counter(
        {"not UTF-8": 1, "not JSON": 1, "batch has no events list": 1, "event 1 is a JSON str, not an object": 1})
    assert [d["mid"] for d in read(lake, "extractor_duplicates", hours)] == [orjson.loads(values[3])["params"]["msgid"]]

    routed = {a: read(lake, a, hours) for a in ("routed_events", "druid_log_events", "druid_error_events", "audit_events")}
    eids = Counter(u["eid"] for u in unique)
    assert len(routed["druid_log_events"]) == eids["LOG"] and len(routed["druid_error_events"]) == eids["ERROR"]
    assert len(routed["audit_events"]) == eids["AUDIT"]
    shares = [json.loads(u["event"]) for u in unique if u["eid"] == "SHARE"]
    assert len(routed["routed_events"]) == len(unique) - eids["LOG"] - eids["ERROR"] + sum(len(s["edata"]["items"]) for s in shares)
    consumed = kafka.drain(f"{settings.env}.druid.events.log", f"check-{uuid.uuid4().hex[:6]}")
    assert len(consumed.messages) == eids["LOG"]  # routed events also produced to their topics

    denorm = [json.loads(r["event"]) for r in read(lake, "denorm_events", hours)]
    assert len(denorm) == len(routed["routed_events"])
    hit = next(d for d in denorm if d["mid"] == first["mid"])
    assert hit["devicedata"] == {"state": "Kerala"} and hit["flags"]["device_denorm"] is True
    assert any(d["flags"].get("device_denorm") is False for d in denorm)

    counts = read(lake, "hourly_event_counts", hours)
    assert sum(c["events"] for c in counts) == len(unique)
    day = defs.get_assets_def(dg.AssetKey(["telemetry", "workflow_summary"]))
    assert dg.materialize([day], partition_key="2026-11-23", instance=instance, resources=resources).success
    sessions = lake.read_table(landing.table_key("workflow_summary", "2026-11-23")).to_pandas()
    assert sessions["events"].sum() == sum(1 for u in unique if u["sid"])
    week = defs.get_assets_def(dg.AssetKey(["telemetry", "weekly_active_users"]))
    assert dg.materialize([week], partition_key="2026-11-23", instance=instance, resources=resources).success
    wau = lake.read_table(landing.table_key("weekly_active_users", "2026-11-23")).to_pandas()
    assert wau["active_users"].sum() == len({u["actor_id"] for u in unique if u["actor_type"] == "User"})

    backed_up = resources["telemetry_backups"].list(f"backups/{topic}/")
    records = backups.replay_order(resources["telemetry_backups"].read_bytes(k) for k in backed_up)
    assert len(records) == len(values) + len(hostile)
    assert sorted(r["value"] for r in records) == sorted(values + hostile)
    sample_days = {backups.local_day(r["syncts"], "Asia/Kolkata") for r in records if r["value"] in values}
    assert sample_days == {"2026-11-23"}  # 00:00-02:00 UTC is still the 23rd in Kolkata
    mats = instance.fetch_materializations(dg.AssetKey(["telemetry", "topic_backups"]), limit=10).records
    # unparseable messages are filed by their Kafka time (now): their day is a backup partition too
    assert {m.partition_key for m in mats} == {backups.local_day(r["syncts"], "Asia/Kolkata") for r in records}


def test_a_run_killed_mid_batch_and_rerun_gives_exactly_the_clean_outputs(world, tmp_path):
    defs, instance, resources, _ = world
    kafka, settings = resources["kafka"], resources["telemetry"]
    produce_sample(kafka, settings.topic("ingest"), count=40, seed=11)
    script = tmp_path / "killed_ingest.py"
    script.write_text(textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        import dagster as dg
        from resources.storage import LakeResource
        writes = {{"n": 0}}
        original = LakeResource._publish  # every Parquet file the lake writes is published here
        def publish_then_die(self, key, path):
            original(self, key, path)
            writes["n"] += 1
            if writes["n"] == 3:  # mid-batch: landing written, backups and offset commit not yet
                os.kill(os.getpid(), signal.SIGKILL)
        LakeResource._publish = publish_then_die
        from platform_assets.definitions import build_definitions
        from platform_assets.telemetry.settings import TelemetrySettings
        from resources.kafka import KafkaResource
        from tests.platform import local_resources
        from pathlib import Path
        tmp = Path({str(tmp_path)!r})
        resources = local_resources(tmp, tmp / "none.yaml",
            kafka=KafkaResource(bootstrap_servers={kafka.bootstrap_servers!r}, session_timeout_ms=2000, poll_timeout_s=0.2),
            telemetry=TelemetrySettings(env={settings.env!r}, source="kafka", consumer_group={settings.consumer_group!r},
                                        micro_batch_messages=7),
            telemetry_backups=LakeResource(root=str(tmp / "killed-backups")))
        with dg.instance_for_test() as instance:
            build_definitions(resources).resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
    """))
    killed = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    assert 0 < sum(max(0, o) for o in kafka.committed(settings.topic("ingest"), settings.consumer_group).values()) < 40
    summary = run_ingest(defs, instance)  # the re-run, same lake
    run_hours(defs, instance, summary["hours"] + [h for h in _landed_hours(resources["lake"]) if h not in summary["hours"]])
    after_crash = {a: _rows(resources["lake"], a, _landed_hours(resources["lake"])) for a in OUTPUT_SCHEMAS}

    clean = dict(resources, lake=LakeResource(root=str(tmp_path / "clean-lake")),
                 telemetry_backups=LakeResource(root=str(tmp_path / "clean-backups")),
                 telemetry=TelemetrySettings(env=settings.env, source="kafka", consumer_group=settings.consumer_group + "-clean",
                                             micro_batch_messages=1000))
    clean_defs = build_definitions(clean)
    with dg.instance_for_test() as clean_instance:
        clean_summary = run_ingest(clean_defs, clean_instance)
        run_hours(clean_defs, clean_instance, clean_summary["hours"])
    reference = {a: _rows(clean["lake"], a, clean_summary["hours"]) for a in after_crash}
    assert after_crash == reference  # all ten hourly tables, row for row
    assert len(after_crash["unique_events"]) > 0 and after_crash["duplicate_events"] == []
    killed_backups = LakeResource(root=str(tmp_path / "killed-backups"))
    backed_up = [killed_backups.read_bytes(k) for k in killed_backups.list("backups")] + [
        resources["telemetry_backups"].read_bytes(k) for k in resources["telemetry_backups"].list("backups")]
    clean_backups = [clean["telemetry_backups"].read_bytes(k) for k in clean["telemetry_backups"].list("backups")]
    assert backups.replay_order(backed_up) == backups.replay_order(clean_backups)  # each offset once, none lost


def _rows(lake: LakeResource, asset: str, hours: list[str]) -> list[str]:
    return sorted(repr(sorted(row.items())) for row in read(lake, asset, hours))


def test_rerunning_hours_produces_only_what_their_topics_do_not_have_yet(world):
    defs, instance, resources, _ = world
    kafka, settings, lake = resources["kafka"], resources["telemetry"], resources["lake"]
    produce_sample(kafka, settings.topic("ingest"), count=6, seed=17)
    hours = run_ingest(defs, instance)["hours"]
    run_hours(defs, instance, hours)
    streams = ("raw_events", "routed_events", "druid_log_events", "audit_events", "denorm_events")
    topics = {route.name(settings.env): (stream, route) for stream in streams for route in settings.routes(stream)}
    assert {f"{settings.env}.telemetry.{t}" for t in ("raw", "unique", "audit", "denorm")} | {
        f"{settings.env}.druid.events.{t}" for t in ("log", "telemetry")} <= set(topics)

    def on_topic(topic: str) -> list[str]:  # every message the topic holds, by key (the mid)
        return sorted(m.key.decode() for m in kafka.drain(topic, f"check-{uuid.uuid4().hex[:6]}").messages)

    def in_lake(topic: str) -> list[str]:  # what the topic's route takes of its stream's rows
        stream, route = topics[topic]
        return sorted(r["mid"] for r in read(lake, stream, hours) if route.takes(r["eid"]))

    first = {topic: on_topic(topic) for topic in topics}
    assert all(first[topic] == in_lake(topic) for topic in topics), {t: len(v) for t, v in first.items()}
    assert first[f"{settings.env}.druid.events.log"] and first[f"{settings.env}.telemetry.raw"]
    assert not any(r["eid"] == "LOG" for r in read(lake, "raw_events", hours) if r["mid"] in set(
        first[f"{settings.env}.telemetry.raw"]))  # LOG events go to druid.events.log, not raw
    late = sample_data.batches(1, 20, START + 60_000, seed=18, msgid_prefix="late")  # lands in the first hour
    kafka.produce_all(settings.topic("ingest"), late)
    assert run_ingest(defs, instance)["hours"] == [hours[0]]
    run_hours(defs, instance, hours)  # the late batch's hour and the others, again
    for topic in topics:
        assert on_topic(topic) == in_lake(topic), topic  # each event once: the late ones added, none twice
        assert set(first[topic]) <= set(in_lake(topic))
    unique_topic = f"{settings.env}.telemetry.unique"
    assert len(on_topic(unique_topic)) > len(first[unique_topic])
    unchanged = instance.get_latest_materialization_event(dg.AssetKey(["telemetry", "routed_events"]))
    assert unchanged.asset_materialization.metadata["produced_to_kafka"].value == 0  # the last hour: nothing new


def _landed_hours(lake: LakeResource) -> list[str]:
    return sorted({k.split("/")[2] for k in lake.list("telemetry/landing")})


def test_backup_restore_replays_every_message_once_into_a_topic(world, s3_endpoint):
    defs, instance, resources, _ = world
    kafka, settings = resources["kafka"], resources["telemetry"]
    values = produce_sample(kafka, settings.topic("ingest"), count=12, seed=5)
    run_ingest(defs, instance)
    target = f"{settings.env}.telemetry.restored"
    kafka.create_topic(target, partitions=2)
    restored = restore_topic(resources["telemetry_backups"], kafka, settings.topic("ingest"), ["2026-11-23"], target)
    assert restored == len(values)

    def per_partition(topic: str) -> dict[int, list[tuple]]:  # each partition's (key, value) in offset order
        out: dict[int, list[tuple]] = {}
        for m in sorted(kafka.drain(topic, f"check-{uuid.uuid4().hex[:6]}").messages, key=lambda m: (m.partition, m.offset)):
            out.setdefault(m.partition, []).append((m.key, m.value))
        return out

    original = per_partition(settings.topic("ingest"))
    assert per_partition(target) == original and sorted(v for p in original.values() for _, v in p) == sorted(values)
    one = f"{settings.env}.telemetry.restored-one"
    kafka.create_topic(one)  # a target with fewer partitions takes the others' messages in partition 0
    restore_topic(resources["telemetry_backups"], kafka, settings.topic("ingest"), ["2026-11-23"], one)
    assert sorted(per_partition(one)[0]) == sorted(kv for p in original.values() for kv in p)
    # the same from the command line, from S3 (credentials and endpoint from the environment)
    by_command = f"{settings.env}.telemetry.cli-restored"
    kafka.create_topic(by_command, partitions=2)
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "S3_ENDPOINT_URL": s3_endpoint,
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
           "WEIR_TELEMETRY_BACKUP_ROOT": resources["telemetry_backups"].root}
    done = subprocess.run([sys.executable, "-m", "platform_assets.telemetry.restore", "--topic", settings.topic("ingest"),
                           "--day", "2026-11-23", "--target", by_command], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().strip() == f"replayed {len(values)} messages into {by_command}"
    assert per_partition(by_command) == original


def test_backlog_sensor_launches_on_lag_and_not_twice(world):
    defs, instance, resources, tmp_path = world
    kafka, settings = resources["kafka"], resources["telemetry"]
    thresholds = TelemetrySettings(env=settings.env, source="kafka", consumer_group=settings.consumer_group,
                                   backlog_lag_threshold=5, backlog_max_delay_s=3600)
    sensor_resources = {"telemetry": thresholds, "kafka": kafka}
    with dg.build_sensor_context(instance=instance, resources=sensor_resources) as context:
        assert "lag 0" in telemetry_backlog(context).skip_reason.skip_message
    kafka.produce_all(settings.topic("ingest"), sample_data.batches(3, 2, START, seed=3))
    with dg.build_sensor_context(instance=instance, resources=sensor_resources) as context:
        first = telemetry_backlog(context)
    # lag 3 is under the threshold of 5, but nothing was ever launched: the max delay has passed
    assert len(first.run_requests) == 1 and first.run_requests[0].tags["weir/lag"] == "3"
    # the lag is recorded on the topic's asset (plotted in the UI): at a launch, and not every tick
    [observed] = first.asset_events
    assert observed.asset_key == dg.AssetKey(["telemetry", "ingest_topic"])
    assert observed.metadata[f"lag/{settings.topic('ingest')}"].value == 3.0
    assert sum(observed.metadata["lag_by_partition"].value.values()) == 3
    instance.report_runless_asset_event(observed)
    cursor = first.cursor
    with dg.build_sensor_context(instance=instance, resources=sensor_resources, cursor=cursor) as context:
        second = telemetry_backlog(context)
    assert not second.run_requests and "below threshold" in second.skip_reason.skip_message  # launched just now
    assert not second.asset_events  # observed moments ago
    kafka.produce_all(settings.topic("ingest"), sample_data.batches(4, 2, START, seed=4))
    with dg.build_sensor_context(instance=instance, resources=sensor_resources, cursor=cursor) as context:
        third = telemetry_backlog(context)
    assert len(third.run_requests) == 1 and third.run_requests[0].tags["weir/lag"] == "7"
    assert third.asset_events[0].metadata[f"lag/{settings.topic('ingest')}"].value == 7.0
    run_ingest(defs, instance)
    with dg.build_sensor_context(instance=instance, resources=sensor_resources, cursor=third.cursor) as context:
        assert "lag 0" in telemetry_backlog(context).skip_reason.skip_message
    inbox = dict(sensor_resources, telemetry=TelemetrySettings(source="inbox", inbox_dir=str(tmp_path / "inbox")))
    with dg.build_sensor_context(instance=instance, resources=inbox) as context:
        assert "not Kafka" in telemetry_backlog(context).skip_reason.skip_message


def test_a_failed_backup_write_commits_nothing_after_the_last_durable_micro_batch(world):
    defs, instance, resources, tmp_path = world
    kafka, settings = resources["kafka"], resources["telemetry"]
    produce_sample(kafka, settings.topic("ingest"), count=30, seed=13)

    class FailingSecondWrite(LakeResource):
        def write_bytes(self, key: str, data: bytes) -> None:  # refuses every file from offset 10 on
            if int(key.rsplit("-", 2)[1]) >= 10:
                raise OSError("object storage refused the upload")
            super().write_bytes(key, data)

    flaky = dict(resources, telemetry_backups=FailingSecondWrite(root=str(tmp_path / "flaky")))
    result = build_definitions(flaky).resolve_job_def("telemetry_ingest").execute_in_process(
        instance=instance, raise_on_error=False)
    assert not result.success
    assert "object storage refused the upload" in str(result.all_events)
    committed = kafka.committed(settings.topic("ingest"), settings.consumer_group)
    backed_up = backups.replay_order((tmp_path / "flaky" / k).read_bytes()
                                     for k in FailingSecondWrite(root=str(tmp_path / "flaky")).list("backups"))
    # what is committed is exactly what is durable (whole micro-batches, in offset order), and the
    # micro-batch whose upload failed (and any after it) is not committed
    done = sum(max(0, o) for o in committed.values())
    assert 0 < done == len(backed_up) < 30 and done % settings.micro_batch_messages == 0
    assert {(r["partition"], r["offset"]) for r in backed_up} == {
        (p, o) for p, end in committed.items() for o in range(max(0, end))}
    # the committed micro-batches were reported (before their commits) though the run failed later:
    # automation sees every hour that has landed and been committed
    landed = instance.fetch_materializations(dg.AssetKey(["telemetry", "landing"]), limit=100).records
    assert {m.partition_key for m in landed} == {landing.hour_key(r["syncts"]) for r in backed_up}
    assert sum(m.asset_materialization.metadata["messages"].value for m in landed) == done
    days = instance.fetch_materializations(dg.AssetKey(["telemetry", "topic_backups"]), limit=100).records
    assert sum(m.asset_materialization.metadata["messages"].value for m in days) == done
    summary = run_ingest(defs, instance)  # the next run, healthy again, reads on from there
    assert summary["messages"] == 30 - done


def test_workflow_summaries_go_to_the_derived_and_druid_summary_topics_once(world):
    defs, instance, resources, _ = world
    kafka, settings, lake = resources["kafka"], resources["telemetry"], resources["lake"]
    values = produce_sample(kafka, settings.topic("ingest"), count=20, seed=11)
    devices = sorted({e["context"]["did"] for v in values for e in orjson.loads(v)["events"] if e["context"].get("did")})
    resources["dimensions"].load("device", {did: {"state": "Kerala"} for did in devices[::2]})
    run_hours(defs, instance, run_ingest(defs, instance)["hours"])
    assets = [defs.get_assets_def(dg.AssetKey(["telemetry", n])) for n in ("workflow_summaries", "summary_denorm_events")]
    day = "2026-11-23"
    for attempt in range(2):  # a day that runs again produces nothing twice
        result = dg.materialize(assets, partition_key=day, instance=instance, resources=resources)
        assert result.success
        produced = {m.asset_key.path[-1]: m.metadata["produced_to_kafka"].value
                    for m in result.get_asset_materialization_events() for m in [m.materialization]}
        summaries = lake.read_table(landing.table_key("workflow_summaries", day)).to_pylist()
        assert summaries and all(s["eid"] == "ME_WORKFLOW_SUMMARY" for s in summaries)
        assert produced == ({"workflow_summaries": len(summaries), "summary_denorm_events": len(summaries)}
                            if attempt == 0 else {"workflow_summaries": 0, "summary_denorm_events": 0})
    derived = kafka.drain(f"{settings.env}.telemetry.derived", f"check-{uuid.uuid4().hex[:6]}").messages
    druid = kafka.drain(f"{settings.env}.druid.events.summary", f"check-{uuid.uuid4().hex[:6]}").messages
    assert sorted(json.loads(m.value)["mid"] for m in derived) == sorted(s["mid"] for s in summaries)
    assert all(m.key == json.loads(m.value)["mid"].encode() for m in derived)
    enriched = [json.loads(m.value) for m in druid]
    assert len(enriched) == len(summaries)
    for summary in enriched:
        known = summary["dimensions"]["did"] in devices[::2]
        assert summary["flags"]["device_denorm"] is known
        assert summary.get("devicedata") == ({"state": "Kerala"} if known else None)
    assert any(s["flags"]["device_denorm"] for s in enriched)
    assert all(e["edata"]["eks"]["time_spent"] > 0 for e in enriched)
