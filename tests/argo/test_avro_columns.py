"""The columnar Avro path (``avro_columns`` + ``_avro_columns.c``) against fastavro's: the same good
records, the same quarantine rows (origin, preview and reason), the same blocks lost, for any
records, any damage and every schema variant it takes; anything else goes to fastavro's path."""

import io
import json
import random
from datetime import date

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_assets.argo import avro_columns, ingest
from platform_assets.argo.avro_blocks import read_container
from platform_assets.argo.records import METRIC_AVRO_SCHEMA, RecordSorter

pytestmark = pytest.mark.fast

DAY = date(2024, 3, 10)


def test_the_native_decoder_is_built():
    assert avro_columns.decode is not None, "pip install did not build platform_assets/argo/_avro_columns.c"


def sort(payload: bytes, columnar: bool, monkeypatch) -> tuple:
    sorter = RecordSorter(day=DAY)
    with monkeypatch.context() as patch:
        if not columnar:
            patch.setattr(avro_columns, "decode", None)
        ingest.sort_file(sorter, "day.avro", payload)
    good, bad = sorter.take_tables()
    rows = bad.to_pylist()
    for row in rows:  # a damaged block's reason names the decoder's own words after " ("
        row["reason"] = row["reason"].split(" (")[0]
    return good, rows, sorter.records_unreadable, sorter.blocks_of_unknown_size


def assert_same_as_fastavro(payload: bytes, monkeypatch) -> tuple:
    columnar = sort(payload, True, monkeypatch)
    reference = sort(payload, False, monkeypatch)
    assert columnar[0].equals(reference[0])
    assert columnar[1:] == reference[1:]
    return columnar


def avro_file(records: list[dict], schema=METRIC_AVRO_SCHEMA, codec="null", sync_interval=2000) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), records, codec=codec, sync_interval=sync_interval)
    return buffer.getvalue()


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
records = st.fixed_dictionaries({
    "timestamp": st.one_of(st.sampled_from(["2024-03-10T00:00:00Z", "2024-03-10T23:59:59Z",
                                            "2024-03-09T23:59:59Z", "2024-03-10T01:00:00+02:00",
                                            "2024-03-10 10:00:00", "", "not a time", "2024-13-01T00:00:00Z"]),
                           texts),
    "service": st.one_of(st.sampled_from(["SRM", ""]), texts),
    "hostname": st.one_of(st.just("host-1"), texts),
    "metric": st.one_of(st.just("org.check"), texts),
    "status": st.one_of(st.sampled_from(["OK", "CRITICAL", "DOWNTIME_X", "ok", "", "A" * 41]), texts),
    "monitoring_host": st.one_of(st.none(), texts),
    "actual_data": st.one_of(st.none(), texts),
    "summary": st.one_of(st.none(), texts),
    "message": st.one_of(st.none(), texts),
    "tags": st.one_of(st.none(), st.dictionaries(texts, st.one_of(st.none(), texts), max_size=3)),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(records, max_size=60), st.sampled_from(["null", "deflate"]), st.integers(0, 10_000),
       st.sampled_from([None, "flip", "cut", "utf8"]))
def test_any_records_and_any_damage_read_as_fastavro_reads_them(monkeypatch, batch, codec, where, damage):
    payload = bytearray(avro_file(batch, codec=codec, sync_interval=300))
    position = where % len(payload)
    if damage == "flip":
        payload[position] ^= 0x5A
    elif damage == "cut":
        del payload[position:]
    elif damage == "utf8" and codec == "null":  # a byte no UTF-8 string may hold
        payload[position] = 0xFF
    assert_same_as_fastavro(bytes(payload), monkeypatch)


def test_a_block_with_a_string_that_is_not_utf8_is_lost_whole(monkeypatch):
    good = {"timestamp": "2024-03-10T01:00:00Z", "service": "S", "hostname": "h", "metric": "m",
            "status": "OK", "monitoring_host": None, "actual_data": None, "summary": None, "message": None,
            "tags": {"vo": "ops"}}
    batch = [{**good, "hostname": f"h{n}", "summary": "\u00e9" * 3} for n in range(300)]
    payload = avro_file(batch, sync_interval=1000)
    # a surrogate in UTF-8 form (CESU-8): Python's decoder refuses it, so must the native one
    broken = payload.replace("\u00e9\u00e9\u00e9".encode(), b"\xed\xa0\x80" * 2, 1)  # same length
    good_rows, bad, unreadable, _ = assert_same_as_fastavro(broken, monkeypatch)
    assert unreadable > 0 and good_rows.num_rows == 300 - unreadable and len(bad) == 1


def schema_with(fields: list[dict]) -> dict:
    return {"type": "record", "name": "metric_data", "namespace": "argo.avro", "fields": fields}


JAVA_STRING = {"type": "string", "avro.java.string": "String"}


@pytest.mark.parametrize("fields", [
    # ARGO's fields in another order, unions written ["string", "null"], Java's string type
    [{"name": "tags", "type": [{"type": "map", "values": ["string", "null"]}, "null"]},
     {"name": "status", "type": JAVA_STRING}, {"name": "metric", "type": "string"},
     {"name": "hostname", "type": "string"}, {"name": "service", "type": ["string", "null"]},
     {"name": "timestamp", "type": JAVA_STRING}, {"name": "summary", "type": ["null", JAVA_STRING]}],
    # the optional fields absent, the map's values plain strings
    [{"name": "timestamp", "type": "string"}, {"name": "service", "type": "string"},
     {"name": "hostname", "type": "string"}, {"name": "metric", "type": "string"},
     {"name": "status", "type": "string"}, {"name": "tags", "type": {"type": "map", "values": "string"}}],
    # a required field absent: every record is quarantined as missing it
    [{"name": "timestamp", "type": "string"}, {"name": "service", "type": "string"},
     {"name": "metric", "type": "string"}, {"name": "status", "type": "string"}],
])
def test_schema_variants_of_argo_metric_data_read_the_same(monkeypatch, fields):
    names = {f["name"] for f in fields}
    rng = random.Random(7)
    batch = []
    for n in range(200):
        record = {"timestamp": rng.choice(["2024-03-10T01:00:00Z", "2024-03-11T01:00:00Z"]), "service": "S",
                  "hostname": f"h{n}", "metric": "m", "status": rng.choice(["OK", "bad"]),
                  "summary": rng.choice([None, "s"]), "service_or_null": None,
                  "tags": {"vo": "ops", "n": str(n % 3)}}
        batch.append({k: v for k, v in record.items() if k in names})
    payload = avro_file(batch, schema_with(fields))
    assert avro_columns.read_columns(payload) is not None  # the columnar path takes it
    good, bad, _, _ = assert_same_as_fastavro(payload, monkeypatch)
    if "hostname" not in names:
        assert good.num_rows == 0 and {row["reason"] for row in bad} == {"missing field 'hostname'"}
    else:
        assert good.num_rows > 0 and bad


@pytest.mark.parametrize("field", [
    {"name": "timestamp", "type": "long"},  # not a string
    {"name": "extra", "type": "string"},  # a field the metric record does not have
    {"name": "summary", "type": ["null", "string", "int"]},  # a union of three
    {"name": "tags", "type": {"type": "map", "values": "int"}},
])
def test_other_schemas_take_fastavros_path(monkeypatch, field):
    fields = [f for f in METRIC_AVRO_SCHEMA["fields"] if f["name"] != field["name"]] + [field]
    schema = {"type": "record", "name": "metric_data", "namespace": "argo.avro", "fields": fields}
    value = {"long": 5, "string": "x"}.get(field["type"]) if isinstance(field["type"], str) else None
    if field["name"] == "tags":
        value = {"n": 1}
    record = {"timestamp": "2024-03-10T01:00:00Z", "service": "S", "hostname": "h", "metric": "m",
              "status": "OK", field["name"]: value}
    payload = avro_file([record], schema)
    assert avro_columns.read_columns(payload) is None
    sorter = RecordSorter(day=DAY)
    ingest.sort_file(sorter, "day.avro", payload)
    good, bad = sorter.take_tables()
    assert good.num_rows + bad.num_rows == 1  # read, by fastavro


def test_a_map_with_a_repeated_key_and_block_sizes_reads_as_fastavro_reads_it(monkeypatch):
    """Avro lets a writer split a map into blocks (a negative count followed by the block's byte
    size) and repeat a key; fastavro keeps the last value. Built by hand, since no writer here does."""
    def string(text: str) -> bytes:
        return zigzag(len(text.encode())) + text.encode()

    def zigzag(n: int) -> bytes:
        value, out = (n << 1) ^ (n >> 63), b""
        while value > 0x7F:
            out += bytes([(value & 0x7F) | 0x80])
            value >>= 7
        return out + bytes([value])

    entries = string("vo") + zigzag(1) + string("ops") + string("vo") + zigzag(1) + string("atlas")
    tags = zigzag(1) + zigzag(-2) + zigzag(len(entries)) + entries + zigzag(1) + string("z") + zigzag(0) + zigzag(0)
    body = (string("2024-03-10T01:00:00Z") + string("S") + string("h") + string("m") + string("OK")
            + zigzag(0) * 4 + tags)
    header = avro_file([], METRIC_AVRO_SCHEMA)
    sync = header[-16:]
    payload = header + zigzag(1) + zigzag(len(body)) + body + sync
    assert len(read_container(payload).records) == 1
    good, _, _, _ = assert_same_as_fastavro(payload, monkeypatch)
    assert json.loads(good.column("tags")[0].as_py()) == {"vo": "atlas", "z": None}


def _zigzag(n: int) -> bytes:
    value, out = (n << 1) ^ (n >> 63), b""
    while value > 0x7F:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


def _string(text: str) -> bytes:
    return _zigzag(len(text.encode())) + text.encode()


def _container(schema: dict, blocks: list[tuple[int, bytes]]) -> bytes:
    """An Avro container written by hand (any schema text, any block bytes)."""
    sync = bytes(range(16))
    meta = _zigzag(2) + _string("avro.schema") + _string(json.dumps(schema)) + _string("avro.codec") + _string("null")
    out = b"Obj\x01" + meta + _zigzag(0) + sync
    for count, body in blocks:
        out += _zigzag(count) + _zigzag(len(body)) + body + sync
    return out


FIVE = [{"name": n, "type": "string"} for n in ("timestamp", "service", "hostname", "metric", "status")]
FOUR_VALUES = _string("2024-03-10T10:00:00Z") + _string("SRM") + _string("h") + _string("m")
NULLABLE_STATUS = {"type": "record", "name": "r", "fields": FIVE[:4] + [{"name": "status", "type": ["null", "string"]}]}


@pytest.mark.parametrize("label, payload", [
    # schemas fastavro refuses are refused by both paths: the file is one block of unknown size
    ("a bad default", _container({"type": "record", "name": "r", "fields": FIVE[:4] + [
        {"name": "status", "type": "string", "default": 5}]}, [(1, FOUR_VALUES + _string("OK"))])),
    ("a record without a name", _container({"type": "record", "fields": FIVE}, [(1, FOUR_VALUES + _string("OK"))])),
    # a logical type on a string: fastavro reads another type (a UUID), so that path decides
    ("a uuid logical type", _container({"type": "record", "name": "r", "fields": FIVE[:2] + [
        {"name": "hostname", "type": {"type": "string", "logicalType": "uuid"}}] + FIVE[3:]},
        [(1, _string("2024-03-10T10:00:00Z") + _string("SRM") + _string("0b3e3bde-57c4-4a35-9a5c-7a1f0b6c2d11")
          + _string("m") + _string("OK"))])),
    # what fastavro accepts, the native decoder accepts: a union branch of -1 (the last), a number
    # padded with zero groups past 64 bits
    ("a union branch of -1", _container(NULLABLE_STATUS, [(1, FOUR_VALUES + _zigzag(-1) + _string("OK"))])),
    ("an 11-byte number", _container(NULLABLE_STATUS, [
        (1, FOUR_VALUES + _zigzag(1) + bytes([0x84] + [0x80] * 9 + [0x00]) + b"OK")])),
    ("an empty first string", _container({"type": "record", "name": "r", "fields": FIVE + [
        {"name": "summary", "type": "string"}]}, [(1, FOUR_VALUES + _string("OK") + _string(""))])),
])
def test_edge_cases_read_as_fastavro_reads_them(monkeypatch, label, payload):
    assert_same_as_fastavro(payload, monkeypatch)
