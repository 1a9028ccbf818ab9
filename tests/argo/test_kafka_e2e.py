"""Metric data from a real Kafka-protocol broker (tansu) through the whole ARGO graph.

Produce, materialize, check committed offsets and results; resume without loss or duplicates;
a crash before the offset commit replays without duplicates; a late record re-runs its day.
"""

import json
import uuid
from pathlib import Path

import dagster as dg
import pytest
import yaml

from platform_assets.argo.records import encode_avro
from platform_assets.definitions import build_definitions
from resources.kafka import KafkaResource
from resources.storage import LakeResource
from sensors.late_metric_data import late_metric_data
from tests.platform import local_resources, register_tenants, run_day


class CrashBeforeCommit(KafkaResource):
    def commit(self, batch):
        raise RuntimeError("simulated crash after the landing write, before the offset commit")


def day_records(sources: Path, day) -> list[dict]:
    lines = (sources / "acme" / "mdata" / day.isoformat() / "part-0000.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def produce(kafka: KafkaResource, topic: str, records: list[dict], encoding: str, extra: list[bytes] = ()) -> None:
    producer = kafka.producer()
    for r in records:
        value = encode_avro(r) if encoding == "avro" else json.dumps(r).encode()
        producer.produce(topic, value=value, key=r["hostname"].encode())
    for raw in extra:
        producer.produce(topic, value=raw)
    producer.flush(10)


def metadata(instance, key, tenant_day):
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(key),
                                                                   asset_partitions=[tenant_day]), limit=1).records
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


@pytest.mark.parametrize("encoding", ["json", "avro"])
def test_kafka_to_ar_with_resume_crash_and_late_data(tmp_path, sample_world, kafka_bootstrap, encoding):
    registry_path, days = sample_world
    topic = f"metrics-{encoding}-{uuid.uuid4().hex[:8]}"
    registry = yaml.safe_load(registry_path.read_text())
    registry["tenants"][0]["sources"]["metric_data"] = {"kind": "kafka", "topic": topic, "encoding": encoding}
    registry_path.write_text(yaml.safe_dump(registry))
    sources = tmp_path / "sources"
    kafka = KafkaResource(bootstrap_servers=kafka_bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
    kafka.create_topic(topic, partitions=2)
    d0, d1, d2 = days
    r0, r1, r2 = (day_records(sources, d) for d in days)
    garbage = [b"{definitely not json", b"\x00\x01\x02"]
    produce(kafka, topic, r0 + r1, encoding, garbage)

    lake = LakeResource(root=str(tmp_path / "lake"))
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry_path)
        crashing = build_definitions(local_resources(tmp_path, registry_path,
                                                     kafka=CrashBeforeCommit(**kafka.model_dump())))
        assert not run_day(crashing, instance, d1, "acme").success
        assert all(offset < 0 for offset in kafka.committed(topic, f"weir-argo-acme").values())

        defs = build_definitions(local_resources(tmp_path, registry_path, kafka=kafka))
        assert run_day(defs, instance, d1, "acme").success
        meta = metadata(instance, ["argo", "metric_data"], f"{d1}|acme")
        assert meta["kafka_messages"] == len(r0) + len(r1) + len(garbage)
        assert meta["records"] == len(r1)  # the replay after the crash added no duplicates
        assert sum(kafka.committed(topic, "weir-argo-acme").values()) == len(r0) + len(r1) + len(garbage)
        assert metadata(instance, ["argo", "metric_data_quarantine"], f"{d1}|acme")["records"] == len(garbage)

        assert run_day(defs, instance, d0, "acme").success  # its records landed while d1 drained
        meta0 = metadata(instance, ["argo", "metric_data"], f"{d0}|acme")
        assert (meta0["kafka_messages"], meta0["records"]) == (0, len(r0))

        # resume: only new messages are read; one of them is late for d0
        late = dict(r0[0], timestamp=r0[0]["timestamp"][:11] + "23:59:58Z", status="CRITICAL")
        produce(kafka, topic, r2 + [late], encoding)
        assert run_day(defs, instance, d2, "acme").success
        meta2 = metadata(instance, ["argo", "metric_data"], f"{d2}|acme")
        assert (meta2["kafka_messages"], meta2["records"]) == (len(r2) + 1, len(r2))
        assert lake.read_table(f"argo/metric_data/acme/{d2}.parquet").num_rows == len(r2)

        resources = {"registry": defs.resources["registry"], "lake": lake}
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            result = late_metric_data(context)
        # d0 has a late record; d1's A/R was computed before d0's metric data existed (carry-over)
        assert [r.partition_key for r in result.run_requests] == [f"{d0}|acme", f"{d1}|acme"]
        assert run_day(defs, instance, d0, "acme").success
        assert metadata(instance, ["argo", "metric_data"], f"{d0}|acme")["records"] == len(r0) + 1
        with dg.build_sensor_context(instance=instance, cursor=result.cursor, resources=resources) as context:
            again = late_metric_data(context)  # d0 has a new version: d1 once more, nothing else
        assert [r.partition_key for r in again.run_requests] == [f"{d1}|acme"]
        assert run_day(defs, instance, d1, "acme").success
        with dg.build_sensor_context(instance=instance, cursor=again.cursor, resources=resources) as context:
            assert late_metric_data(context).run_requests == []
