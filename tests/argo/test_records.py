"""Bad metric input goes to quarantine with a reason; good records are unaffected."""

import json
from datetime import date

import fastavro
import io

from platform_assets.argo import ingest
from platform_assets.argo.records import RecordSorter, dedup_and_sort, encode_avro, METRIC_AVRO_SCHEMA
import pytest

pytestmark = pytest.mark.fast  # no external service: make test-fast

DAY = date(2024, 3, 10)


def rec(**overrides):
    base = {"timestamp": "2024-03-10T10:00:00Z", "service": "SRM", "hostname": "se.example.org",
            "metric": "eu.egi.SRM-VOGet", "status": "OK", "monitoring_host": "mon1", "actual_data": None,
            "summary": "fine", "message": None, "tags": {"vo": "ops"}}
    base.update(overrides)
    return base


def sort_lines(lines: list[bytes]):
    sorter = RecordSorter(day=DAY)
    ingest.sort_file(sorter, "part.jsonl", b"\n".join(lines))
    return sorter.take_tables()


def test_each_bad_record_gets_its_reason_and_good_ones_survive():
    hostile = "se'; DROP TABLE x;--/../\u202e\x00"
    lines = [
        json.dumps(rec()).encode(),
        b"{not json",
        json.dumps([1, 2]).encode(),
        json.dumps(rec(status="broken!")).encode(),
        json.dumps({k: v for k, v in rec().items() if k != "hostname"}).encode(),
        json.dumps(rec(timestamp="2024-03-11T00:00:01Z")).encode(),
        json.dumps(rec(timestamp="yesterday")).encode(),
        json.dumps(rec(metric=42)).encode(),
        json.dumps(rec(hostname=hostile)).encode(),
        b"\xff\xfe garbage",
    ]
    good, bad = sort_lines(lines)
    assert good.num_rows == 2
    assert hostile in good.column("hostname").to_pylist()  # hostile strings are data, kept verbatim
    reasons = bad.column("reason").to_pylist()
    assert len(reasons) == 8
    for expected in ("unparseable JSON", "JSON value is a list", "not a status name 'broken!'", "missing field 'hostname'",
                     "outside the day window 2024-03-10", "bad timestamp 'yesterday'",
                     "field 'metric' is a int", "unparseable JSON"):
        assert any(expected in r for r in reasons), expected
    assert bad.column("origin").to_pylist()[0] == "part.jsonl:2"


def test_avro_files_and_values():
    buffer = io.BytesIO()
    fastavro.writer(buffer, METRIC_AVRO_SCHEMA, [rec(), rec(status="WARNING")])
    sorter = RecordSorter(day=DAY)
    ingest.sort_file(sorter, "part.avro", buffer.getvalue())
    ingest.sort_file(sorter, "broken.avro", b"Obj\x01 truncated")
    good, bad = sorter.take_tables()
    assert good.num_rows == 2 and bad.num_rows == 1
    assert "unreadable Avro header" in bad.column("reason")[0].as_py()
    # handed over: the sorter keeps no record (a day's unsorted records are freed once sorted)
    assert [t.num_rows for t in sorter.take_tables()] == [0, 0]

    buckets = ingest.bucket_messages([("p0@1", encode_avro(rec())), ("p0@2", b"\x02\x04junk"), ("p0@3", None)], "avro")
    assert [len(v) for v in buckets.records.values()] == [1]
    assert [r["origin"] for r in buckets.rejected] == ["p0@2", "p0@3"]


def test_kafka_records_bucket_by_their_own_timestamp():
    msgs = [("a", json.dumps(rec(timestamp="2024-03-09T23:59:59Z")).encode()),
            ("b", json.dumps(rec()).encode()),
            ("c", json.dumps(rec(timestamp="2024-03-10T12:00:00+02:00")).encode())]
    buckets = ingest.bucket_messages(msgs, "json")
    assert sorted((d.isoformat(), len(v)) for d, v in buckets.records.items()) == [("2024-03-09", 1), ("2024-03-10", 2)]


def test_exact_duplicates_collapse_and_order_is_canonical():
    lines = [json.dumps(rec(timestamp=f"2024-03-10T0{h}:00:00Z")).encode() for h in (3, 1, 2)]
    good, _ = sort_lines(lines + lines[:2])
    table = dedup_and_sort(good)
    assert table.num_rows == 3
    assert [t.hour for t in table.column("timestamp").to_pylist()] == [1, 2, 3]
    again, _ = sort_lines(list(reversed(lines)))
    assert dedup_and_sort(again).equals(table)


def _by_hash_aggregation(table):
    """The reference: distinct rows by a hash aggregation over every field, then sorted."""
    from platform_assets.argo.records import CANONICAL_ORDER, METRIC_TABLE_SCHEMA

    keys = METRIC_TABLE_SCHEMA.names
    distinct = table.group_by(keys, use_threads=False).aggregate([]).select(keys)
    return distinct.sort_by(CANONICAL_ORDER).cast(METRIC_TABLE_SCHEMA)


def test_dedup_and_sort_keeps_exactly_the_distinct_rows_nulls_and_empty_strings_apart():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from platform_assets.argo.records import METRIC_TABLE_SCHEMA
    import pyarrow as pa

    small = st.one_of(st.none(), st.sampled_from(["", "a", "b", "é"]))
    row = st.fixed_dictionaries({
        "timestamp": st.sampled_from([1_710_028_800, 1_710_028_801, 1_710_050_000]),
        **{name: small for name in METRIC_TABLE_SCHEMA.names if name != "timestamp"},
    })

    @settings(max_examples=200, deadline=None)
    @given(st.lists(row, max_size=40), st.randoms())
    def check(rows, rng):
        rows = rows + [dict(r) for r in rows if rng.random() < 0.5]  # repeats
        rng.shuffle(rows)
        columns = {n: [r[n] for r in rows] for n in METRIC_TABLE_SCHEMA.names}
        columns["timestamp"] = pa.array(columns["timestamp"], pa.int64()).cast(METRIC_TABLE_SCHEMA.field("timestamp").type)
        table = pa.table(columns, schema=METRIC_TABLE_SCHEMA)
        assert dedup_and_sort(table).equals(_by_hash_aggregation(table))

    check()


def test_dedup_and_sort_of_fields_too_varied_for_one_word_matches_the_reference():
    """Many distinct summaries, messages, data and tags: the fields' ranks take more than one
    63-bit word, and the records are still deduplicated and ordered as the reference does."""
    import numpy as np
    import pyarrow as pa

    from platform_assets.argo.records import METRIC_TABLE_SCHEMA

    rng = np.random.default_rng(7)
    n = 20_000

    def varied(prefix: str, distinct: int) -> list:
        values = [f"{prefix}{v}" for v in rng.integers(0, distinct, n)]
        return [None if rng.random() < 0.05 else v for v in values]

    columns = {
        "timestamp": pa.array(1_710_028_800 + rng.integers(0, 86_400, n), pa.int64()).cast(
            METRIC_TABLE_SCHEMA.field("timestamp").type),
        "service": varied("s", 3), "hostname": varied("h", 5_000), "metric": varied("m", 40),
        "status": varied("st", 4), "monitoring_host": varied("mon", 2), "actual_data": varied("d", 9_000),
        "summary": varied("sum", 9_000), "message": varied("msg", 9_000), "tags": varied("t", 9_000),
    }
    table = pa.table(columns, schema=METRIC_TABLE_SCHEMA)
    table = pa.concat_tables([table, table.slice(0, 3_000)])  # exact repeats
    assert dedup_and_sort(table).equals(_by_hash_aggregation(table))
    assert dedup_and_sort(table).num_rows == n


def test_dedup_and_sort_orders_records_tied_on_their_leading_fields_by_the_rest():
    """Runs of records equal in time, service, host, metric, status and source (a probe that
    reports twice a second with different outputs, redeliveries among them) are ordered and
    deduplicated by summary, message, actual data and tags, beside records that tie with none."""
    import numpy as np
    import pyarrow as pa

    from platform_assets.argo.records import METRIC_TABLE_SCHEMA

    rng = np.random.default_rng(11)
    n = 6_000
    tied = rng.random(n) < 0.5  # half the records share one of ten leading keys

    def field(prefix: str, distinct: int) -> list:
        return [None if rng.random() < 0.05 else f"{prefix}{v}" for v in rng.integers(0, distinct, n)]

    leading_key = rng.integers(0, 10, n)
    stamps = np.where(tied, 1_710_028_800 + leading_key, 1_710_030_000 + np.arange(n))
    columns = {
        "timestamp": pa.array(stamps, pa.int64()).cast(METRIC_TABLE_SCHEMA.field("timestamp").type),
        "service": ["s"] * n, "hostname": [f"h{k}" if t else f"h{i}" for i, (k, t) in enumerate(zip(leading_key, tied))],
        "metric": ["m"] * n, "status": ["OK"] * n, "monitoring_host": [None] * n,
        "actual_data": field("d", 3), "summary": field("sum", 50), "message": field("msg", 2), "tags": field("t", 2),
    }
    table = pa.table(columns, schema=METRIC_TABLE_SCHEMA)
    table = pa.concat_tables([table, table.take(rng.integers(0, n, 1_000))])  # redeliveries
    expected = _by_hash_aggregation(table)
    assert dedup_and_sort(table).equals(expected)
    assert expected.num_rows < n  # the tied runs held duplicates of their own
