"""The one-pass hour processor against the stage-by-stage functions it fuses, and its own paths:
spliced event texts, refused records keeping their bytes, determinism, chunking (of the landing
files and of the processing) that changes nothing in the outputs."""

import dataclasses
import io
import random

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from platform_assets.telemetry import landing, tables
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.extraction import SourceMessage, extract
from platform_assets.telemetry.hour_processing import HourProcessor, checked_events, process_hour
from platform_assets.telemetry.routing import ROUTES, route
from platform_assets.telemetry.validation import EventValidator, validate_and_dedup
from tests.telemetry.exact_validator import ExactOnly, TypedOnly

pytestmark = pytest.mark.fast  # no external service: make test-fast

SYNC = 1_795_400_000_000
NOW = SYNC + 3_600_000


def messages() -> list[SourceMessage]:
    values = sample_data.batches(12, 15, SYNC - 600_000, spread_ms=300_000, seed=41)
    first = orjson.loads(values[0])["events"][0]
    rng = random.Random(2)
    mixed = []
    for value in values:
        batch = orjson.loads(value)
        for event in batch["events"]:
            if rng.random() < 0.1:
                event["actor"] = {"id": 7}           # invalid
            elif rng.random() < 0.1:
                event["mid"] = first["mid"]          # duplicate of an earlier event
        mixed.append(orjson.dumps(batch))
    mixed += [values[2],                                            # re-sent batch (msgid seen)
              b"\xff\xfe", b"[" * 4000, b'{"params": {"msgid": "x"}, "events": 3}',
              orjson.dumps({"params": {"msgid": "odd"}, "syncts": SYNC, "events": [
                  "not an object", {}, dict(first, mid="carries-syncts", syncts=1, **{"@timestamp": "then"}),
                  dict(first, mid="spaced")]}).replace(b'"mid":"spaced"', b'"mid" :  "spaced"')]
    return [SourceMessage("dev.telemetry.ingest", i % 2, i, SYNC, v) for i, v in enumerate(mixed)]


def stage_by_stage(msgs, seen_msgids, seen_mids):
    extracted = extract(msgs, seen_msgids, NOW, "dev")
    validated = validate_and_dedup(extracted.events, EventValidator(), seen_mids)
    return extracted, validated, route(validated.unique)


def canonical(text: str) -> bytes:
    """The JSON text with sorted keys: equal events, equal bytes (key order aside)."""
    return orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS)


def test_process_hour_gives_what_the_stages_give_one_by_one():
    seen = {"earlier-mid"}
    out = process_hour(messages(), EventValidator(), set(), set(seen), NOW, "dev")
    extracted, validated, routed = stage_by_stage(messages(), set(), set(seen))
    expected = {"raw_events": tables.events_table(extracted.events),
                "unique_events": tables.events_table(validated.unique),
                **{name: tables.events_table(getattr(routed, name)) for name in ROUTES}}
    for name, table in expected.items():
        assert out.tables[name].schema == tables.EVENT_SCHEMA
        got = sorted(out.tables[name].drop_columns(["event"]).to_pylist(), key=repr)
        assert got == sorted(table.drop_columns(["event"]).to_pylist(), key=repr), name
        assert sorted(map(canonical, out.tables[name].column("event").to_pylist())) == \
            sorted(map(canonical, table.column("event").to_pylist())), name
    for name, records in (("failed_events", validated.failed), ("duplicate_events", validated.duplicates),
                          ("extractor_failed", extracted.failed)):
        got = out.tables[name].to_pylist()
        assert [(r["reason"], r["mid"]) for r in got] == [(r["reason"], r.get("mid")) for r in records], name
    assert [r["mid"] for r in out.tables["extractor_duplicates"].to_pylist()] == [d["msgid"] for d in extracted.duplicates]
    assert out.totals.msgids == extracted.msgids and out.totals.events == len(extracted.events)
    assert out.tables["duplicate_events"].num_rows > 0 and out.tables["failed_events"].num_rows > 0
    assert out.totals.share_items == routed.share_items > 0
    assert sum(out.totals.events_by_eid.values()) == len(validated.unique)
    assert set(out.totals.validation_reasons) == {"actor", "eid"}  # the broken actors and the empty event
    assert sum(out.totals.validation_reasons.values()) == out.tables["failed_events"].num_rows


def test_each_event_text_is_the_event_with_its_sync_time():
    value = b'{"params": {"msgid": "s1"}, "syncts": %d, "events": [%s, %s, %s]}'
    event = sample_data.event(random.Random(1), 1, SYNC - 5, "INTERACT")
    spaced = orjson.dumps(event).replace(b'"eid":', b'"eid" :  ')
    carries = orjson.dumps(dict(event, mid="m2", syncts=5, **{"@timestamp": "then"}))
    escaped = orjson.dumps(dict(event, mid="m3")).replace(b'{"eid"', b'{"sync\\u0074s":5,"eid"')
    message = SourceMessage("t", 0, 0, None, value % (SYNC, spaced, carries, escaped))
    checked = checked_events(message, EventValidator(), NOW, "dev")
    stamp = {"syncts": SYNC, "@timestamp": "2026-11-23T02:13:20.000Z"}
    first, second, third, audit = map(orjson.loads, checked.texts)
    assert checked.errors == [None] * 4
    assert first == dict(event, **stamp) and checked.texts[0].startswith(spaced[:-1])  # spliced, as sent
    assert second == dict(event, mid="m2", **stamp) and checked.texts[1].count(b'"syncts"') == 1  # the batch's wins
    assert third == dict(event, mid="m3", **stamp) and checked.texts[2].count(b"syncts") == 1     # however spelled
    assert audit["eid"] == "LOG" and checked.rows[3][0] == audit["mid"]
    assert [row[0] for row in checked.rows[:3]] == [event["mid"], "m2", "m3"]


def test_refused_events_keep_their_text_and_a_reason():
    out = process_hour(messages(), EventValidator(), set(), set(), NOW, "dev")
    failed = out.tables["failed_events"].to_pylist()
    assert failed and all(orjson.loads(r["payload"])["mid"] == r["mid"] for r in failed if r["mid"])
    odd = [r for r in out.tables["extractor_failed"].to_pylist() if r["payload"] == b'"not an object"']
    assert odd and "event 0 is a JSON str" in odd[0]["reason"]
    empty = [r for r in failed if r["payload"] == b'{"syncts":%d,"@timestamp":"2026-11-23T02:13:20.000Z"}' % SYNC]
    assert empty and "eid: required" in empty[0]["reason"]  # {} gets its sync time and fails on its own
    assert sum(t.num_rows for n, t in out.tables.items() if n in ("unique_events", "failed_events", "duplicate_events")) \
        == out.tables["raw_events"].num_rows  # nothing lost, nothing twice


def test_process_hour_is_deterministic():
    first = process_hour(messages(), EventValidator(), set(), set(), NOW, "dev")
    again = process_hour(messages(), EventValidator(), set(), set(), NOW, "dev")
    assert all(first.tables[name].equals(again.tables[name]) for name in first.tables)


@pytest.mark.parametrize("eid", sample_data.EIDS)
def test_the_fast_row_of_a_valid_event_is_the_checked_row(eid):
    for n in range(20):
        event = sample_data.event(random.Random(n), n, SYNC - n, eid)
        event["syncts"] = SYNC
        if n % 3 == 0:
            if eid != "CB_AUDIT":  # the one eid that requires object
                event.pop("object")
            event["context"].pop("sid")
        if n % 5 == 0 and "object" in event:
            event["object"].pop("id", None)  # object is optional, and so is its id
        if n % 4 == 0:
            event["ets"] = float(event["ets"]) + 0.5
        assert EventValidator().error(event) is None
        assert tables.valid_event_row(event) == tables.event_row(event)


@pytest.mark.parametrize("fast_path, read_exactly", [(EventValidator, 1), (TypedOnly, 2)], ids=["native+typed", "typed"])
def test_the_fast_path_gives_the_exact_paths_tables_and_counts_the_valid_events_it_missed(fast_path, read_exactly):
    """The hostile message set through the fast paths (the native reader, then the compiled types;
    the compiled types alone) and through orjson + jsonschema-rs alone: the same tables, byte for
    byte; and the valid events the fast paths left to the exact path are counted."""
    undeclared = dict(sample_data.event(random.Random(5), 5, SYNC - 5, "IMPRESSION"), mid="undeclared", flags={"x": 1})
    extra = SourceMessage("dev.telemetry.ingest", 0, 99, SYNC, orjson.dumps(
        {"params": {"msgid": "extra"}, "syncts": SYNC, "events": [undeclared]}))
    fast = process_hour([*messages(), extra], fast_path(), set(), set(), NOW, "dev")
    exact = process_hour([*messages(), extra], ExactOnly(), set(), set(), NOW, "dev")
    for name, table in fast.tables.items():
        assert table.equals(exact.tables[name]), name  # both splice the stamp into the text as sent
    # "carries-syncts" of messages() (a member the extractor sets); the undeclared member only the
    # compiled types refuse (the native reader takes members a schema does not declare, as the schema does)
    assert fast.totals.valid_read_exactly == read_exactly
    assert exact.totals.valid_read_exactly == exact.tables["unique_events"].num_rows + \
        exact.tables["duplicate_events"].num_rows - len(exact.totals.msgids)  # all valid ones but the audit events


def test_a_share_item_nested_beyond_what_orjson_writes_is_written_by_msgspec():
    share = sample_data.event(random.Random(6), 6, SYNC - 6, "SHARE")
    share["edata"]["items"][0]["params"] = [{"v": "PLACE"}]  # params: objects, their values any JSON
    text = orjson.dumps(share).replace(b'"PLACE"', b"[" * 300 + b'"deep"' + b"]" * 300)  # orjson writes 255
    message = SourceMessage("dev.telemetry.ingest", 0, 0, SYNC, b'{"params":{"msgid":"s"},"events":[%s]}' % text)
    out = process_hour([message], EventValidator(), set(), set(), NOW, "dev")
    items = [orjson.loads(t) for t, eid in zip(out.tables["routed_events"].column("event").to_pylist(),
                                               out.tables["routed_events"].column("eid").to_pylist()) if eid == "SHARE_ITEM"]
    assert len(items) == len(share["edata"]["items"]) and out.totals.share_items == len(items)
    deep = items[0]["edata"]["params"][0]["v"]
    for _ in range(299):
        deep = deep[0]
    assert deep == ["deep"]


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_chunked_processing_gives_the_tables_of_one_pass(size):
    whole = process_hour(messages(), EventValidator(), set(), {"earlier-mid"}, NOW, "dev")
    processor = HourProcessor(EventValidator(), set(), {"earlier-mid"}, NOW, "dev")
    msgs = messages()
    parts = [processor.chunk(msgs[i:i + size]) for i in range(0, len(msgs), size)]
    for name, table in whole.tables.items():
        assert pa.concat_tables([p[name] for p in parts]).equals(table), name
    assert processor.totals == whole.totals and processor.totals.rows["raw_events"] == whole.totals.events


def landing_file(entries, grouped=True) -> pq.ParquetFile:
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, landing.LANDING_SCHEMA) as writer:
        if grouped:
            landing.write_landing_file(writer, entries)
        else:  # one row group of mixed partitions, as landing files were first written
            writer.write_table(landing.landing_table(entries))
    return pq.ParquetFile(io.BytesIO(buffer.getvalue()))


def test_a_landing_file_holds_one_row_group_per_partition_in_offset_order():
    msgs = messages()
    file = landing_file([(m, SYNC) for m in reversed(msgs)])
    groups = [file.read_row_group(g).to_pydict() for g in range(file.metadata.num_row_groups)]
    assert [set(g["partition"]) for g in groups] == [{0}, {1}]
    assert all(g["offset"] == sorted(g["offset"]) for g in groups)
    assert sorted(v for g in groups for v in g["value"]) == sorted(m.value for m in msgs)


@pytest.mark.parametrize("grouped", [True, False])
def test_landing_chunks_take_each_offset_once_in_order_within_the_byte_bound(grouped):
    msgs = messages()
    # two overlapping landing files, as a crash and a differently cut re-run leave them
    files = [landing_file([(m, SYNC) for m in msgs[:10]], grouped), landing_file([(m, SYNC) for m in msgs[5:]], grouped)]
    whole = [m for chunk in landing.message_chunks(files, max_bytes=1 << 30) for m in chunk]
    assert [(m.partition, m.offset) for m in whole] == sorted((m.partition, m.offset) for m in msgs)
    assert whole == [dataclasses.replace(m, syncts=SYNC) for m in sorted(msgs, key=lambda m: (m.partition, m.offset))]
    chunks = list(landing.message_chunks(files, max_bytes=4000))
    assert len(chunks) > 3 and [m for c in chunks for m in c] == whole
    assert all(sum(len(m.value or b"") for m in c[:-1]) < 4000 for c in chunks)  # a chunk closes once it reaches the bound
    assert list(landing.message_chunks([])) == []


@pytest.mark.parametrize("epoch_ms, hour", [(0, "1970-01-01-00:00"), (3_599_999, "1970-01-01-00:00"),
                                            (3_600_000, "1970-01-01-01:00"), (-1, "1969-12-31-23:00"),
                                            (1_795_400_000_000, "2026-11-23-02:00")])
def test_hour_key_is_the_utc_hour_of_the_time(epoch_ms, hour):
    assert landing.hour_key(epoch_ms) == hour == landing.hour_key(epoch_ms)  # the second from the cache
    assert landing.hour_start_ms(hour) <= epoch_ms < landing.hour_start_ms(hour) + 3_600_000
