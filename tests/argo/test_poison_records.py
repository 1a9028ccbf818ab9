"""No record can block ARGO ingest (issue 21): hostile values are quarantined with their reason and
their source position, offsets advance, good records are unaffected; a damaged Avro file keeps
every record of its intact blocks and counts exactly what it lost."""

import io
import json
import uuid
from datetime import UTC, date, datetime

import dagster as dg
import fastavro
import pytest
import yaml

from platform_assets.argo import ingest
from platform_assets.argo.avro_blocks import read_container
from platform_assets.argo.records import METRIC_AVRO_SCHEMA, IngestWindow, RecordSorter
from platform_assets.definitions import build_definitions
from resources.kafka import KafkaResource
from tests.argo.test_kafka_e2e import day_records, metadata, produce
from tests.platform import local_resources, register_tenants, run_day

DAY = date(2024, 3, 10)
WINDOW = IngestWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 12, tzinfo=UTC))


def rec(**overrides) -> dict:
    base = {"timestamp": "2024-03-10T10:00:00Z", "service": "srv", "hostname": "h1", "metric": "m1",
            "status": "OK", "monitoring_host": "mon", "actual_data": None, "summary": None, "message": None,
            "tags": None}
    return {**base, **overrides}


POISON = {  # payload -> what the reason says
    json.dumps(rec(timestamp="0001-01-01T00:30:00+01:00")).encode(): "bad timestamp",
    b'{"timestamp": "2024-03-10T10:00:00Z", "n": ' + b"9" * 5000 + b"}": "unparseable JSON",
    b"[" * 100_000 + b"]" * 100_000: "nested too deep",
    b'{"timestamp": "2024-03-10T10:00:00Z", "service": "\\ud800"}': "lone surrogate",
    json.dumps(rec(timestamp="9999-12-31T23:59:59Z")).encode(): "outside the ingest window",
    json.dumps(rec(timestamp="1970-01-01T00:00:00Z")).encode(): "outside the ingest window",
    json.dumps(rec(timestamp="2024-03-10T10:00:00+25:00")).encode(): "bad timestamp",
    b"\xff\xfe not utf-8": "unparseable JSON",
}


def test_poison_messages_are_rejected_with_reason_and_position_and_good_ones_land():
    messages = [(f"topic/p0@{i}", payload) for i, payload in enumerate(POISON)]
    messages.append(("topic/p0@99", json.dumps(rec()).encode()))
    buckets = ingest.bucket_messages(messages, "json", WINDOW)
    assert {d: len(v) for d, v in buckets.records.items()} == {DAY: 1}
    assert [r["origin"] for r in buckets.rejected] == [f"topic/p0@{i}" for i in range(len(POISON))]
    for rejected, expected in zip(buckets.rejected, POISON.values(), strict=True):
        assert expected in rejected["reason"], rejected["reason"]
    ingest.to_json_lines(buckets.rejected).decode("utf-8")  # the rejects file is writable text


def test_poison_lines_in_files_are_quarantined_and_the_tables_build():
    sorter = RecordSorter(day=DAY)
    payload = b"\n".join([*POISON, json.dumps(rec(tags={"k": "\ud800"})).encode("utf-8", "surrogatepass"),
                          json.dumps(rec()).encode()])
    ingest.sort_file(sorter, "day.jsonl", payload)
    good, bad = sorter.take_tables()
    assert good.num_rows == 1 and bad.num_rows == len(POISON) + 1
    assert all(reason for reason in bad.column("reason").to_pylist())


def _avro_file(n: int, per_block: int = 100) -> bytes:
    buffer = io.BytesIO()
    records = [rec(hostname=f"h{i}") for i in range(n)]
    fastavro.writer(buffer, METRIC_AVRO_SCHEMA, records, sync_interval=per_block * 60, codec="deflate")
    return buffer.getvalue()


def test_a_truncated_avro_file_keeps_whole_blocks_and_counts_exactly_what_it_lost():
    whole = _avro_file(3000)
    complete = read_container(whole)
    assert len(complete.records) == 3000 and complete.lost == []
    counts = [block.num_records for block in fastavro.block_reader(io.BytesIO(whole))]
    truncated = whole[: len(whole) * 2 // 3]
    container = read_container(truncated)
    # the cut block is counted exactly (its header declares it); blocks after the cut are not in
    # the file at all, so nothing can count them
    kept_blocks = next(k for k in range(len(counts) + 1) if sum(counts[:k]) == len(container.records))
    assert len(container.lost) == 1 and container.records_lost == counts[kept_blocks]
    assert container.records == complete.records[: len(container.records)]  # whole blocks only

    sorter = RecordSorter(day=DAY)
    ingest.sort_file(sorter, "day.avro", truncated)
    good, bad = sorter.take_tables()
    assert sorter.records_unreadable == container.records_lost
    assert bad.num_rows == 1 and f"{container.records_lost} records lost" in bad.column("reason")[0].as_py()


def test_a_damaged_middle_block_costs_that_block_only():
    whole = bytearray(_avro_file(3000))
    blocks = read_container(bytes(whole))
    middle = len(whole) // 2
    whole[middle : middle + 8] = b"\xff" * 8
    container = read_container(bytes(whole))
    assert len(container.lost) == 1 and container.records_lost in set(
        b.num_records for b in fastavro.block_reader(io.BytesIO(_avro_file(3000))))
    assert len(container.records) + container.records_lost == len(blocks.records)
    kept = {r["hostname"] for r in container.records}
    assert "h0" in kept and "h2999" in kept  # blocks after the damage are read again


def test_not_an_avro_file_is_one_quarantine_row_of_unknown_size():
    container = read_container(b"Obj\x01\x7f")
    assert container.records == [] and container.lost[0].records is None


@pytest.mark.parametrize("encoding", ["json"])
def test_poison_on_the_real_broker_never_holds_the_offsets(tmp_path, sample_world, kafka_bootstrap, encoding):
    registry_path, days = sample_world
    topic = f"poison-{uuid.uuid4().hex[:8]}"
    registry = yaml.safe_load(registry_path.read_text())
    registry["tenants"][0]["sources"]["metric_data"] = {"kind": "kafka", "topic": topic, "encoding": encoding}
    registry_path.write_text(yaml.safe_dump(registry))
    kafka = KafkaResource(bootstrap_servers=kafka_bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
    kafka.create_topic(topic, partitions=1)
    good = day_records(tmp_path / "sources", days[1])
    produce(kafka, topic, good, encoding, list(POISON))
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry_path)
        defs = build_definitions(local_resources(tmp_path, registry_path, kafka=kafka))
        assert run_day(defs, instance, days[1], "acme").success
        meta = metadata(instance, ["argo", "metric_data"], f"{days[1]}|acme")
        assert meta["records"] == len(good)
        assert sum(kafka.committed(topic, "weir-argo-acme").values()) == len(good) + len(POISON)
        quarantine = metadata(instance, ["argo", "metric_data_quarantine"], f"{days[1]}|acme")
        assert quarantine["records"] == len(POISON)
        assert run_day(defs, instance, days[1], "acme").success  # and the next run drains nothing new


def _long(value: int) -> bytes:
    value = (value << 1) ^ (value >> 63)
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes([*out, value])


def test_a_header_whose_schema_does_not_parse_is_one_quarantine_row():
    schema = b"123"
    header = b"Obj\x01" + _long(1) + _long(11) + b"avro.schema" + _long(len(schema)) + schema + _long(0) + b"S" * 16
    sorter = RecordSorter(day=DAY)
    ingest.sort_file(sorter, "odd.avro", header)
    good, bad = sorter.take_tables()
    assert good.num_rows == 0 and "unreadable Avro header" in bad.column("reason")[0].as_py()


def test_records_that_are_not_metric_records_are_quarantined():
    buffer = io.BytesIO()
    fastavro.writer(buffer, {"type": "string"}, ["a", "b"])
    bytes_tags = {"type": "record", "name": "r", "fields": [
        *[{"name": n, "type": "string"} for n in ("timestamp", "service", "hostname", "metric", "status")],
        {"name": "tags", "type": {"type": "map", "values": "bytes"}}]}
    other = io.BytesIO()
    fastavro.writer(other, bytes_tags, [{**{k: v for k, v in rec().items() if k in
                                          ("timestamp", "service", "hostname", "metric", "status")},
                                         "tags": {"k": b"\x00"}}])
    nested = json.dumps(rec(tags={"a": {"b": "\ud800"}})).encode("utf-8", "surrogatepass")
    sorter = RecordSorter(day=DAY)
    ingest.sort_file(sorter, "strings.avro", buffer.getvalue())
    ingest.sort_file(sorter, "bytes.avro", other.getvalue())
    ingest.sort_file(sorter, "nested.jsonl", nested)
    good, bad = sorter.take_tables()
    assert good.num_rows == 0 and bad.num_rows == 4
    assert sorted(set(bad.column("reason").to_pylist())) == [
        "a str, not a metric record", "field 'tags' holds a value that is not a string"]
