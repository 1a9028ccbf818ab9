"""Extraction, validation + dedup and routing on their own: every refusal path, hostile input."""

import random

import orjson
import pytest

from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.extraction import MAX_EVENT_BYTES, SourceMessage, extract, message_syncts
from platform_assets.telemetry.routing import route
from platform_assets.telemetry.validation import EventValidator, event_schemas, validate_and_dedup

pytestmark = pytest.mark.fast  # no external service: make test-fast

SYNC = 1_795_400_000_000
NOW = SYNC + 10 * 3_600_000


def msg(value, offset=0, timestamp_ms=None):
    return SourceMessage("dev.telemetry.ingest", 0, offset, timestamp_ms, value)


def batch(events, msgid="m-1", syncts=SYNC, **extra):
    return orjson.dumps({"id": "api.sunbird.telemetry", "ver": "3.0", "params": {"msgid": msgid},
                         "syncts": syncts, "events": events, **extra})


def good(eid="INTERACT", n=0):
    return sample_data.event(random.Random(n), n, SYNC - 1000, eid)


def test_a_batch_becomes_events_with_sync_time_and_one_audit_event():
    out = extract([msg(batch([good(n=1), good(n=2)]))], set(), now_ms=NOW, env="dev")
    assert [e["eid"] for e in out.events] == ["INTERACT", "INTERACT", "LOG"]
    assert all(e["syncts"] == SYNC and e["@timestamp"] == "2026-11-23T02:13:20.000Z" for e in out.events)
    audit = out.events[-1]
    assert audit["edata"]["type"] == "telemetry_audit"
    assert {"events_count": 2} in audit["edata"]["params"] and {"sync_status": "SUCCESS"} in audit["edata"]["params"]
    assert EventValidator().error(audit) is None  # the audit event is itself a valid LOG event
    again = extract([msg(batch([good(n=1), good(n=2)]))], set(), now_ms=NOW, env="dev")
    assert again.events == out.events  # deterministic, audit mid included


def test_sync_time_falls_back_to_kafka_time_then_now():
    no_sync = orjson.dumps({"params": {"msgid": "x"}, "events": [good()]})
    assert extract([msg(no_sync, timestamp_ms=SYNC + 5)], set(), NOW, "dev").events[0]["syncts"] == SYNC + 5
    assert extract([msg(no_sync)], set(), NOW, "dev").events[0]["syncts"] == NOW
    assert message_syncts(msg(no_sync, timestamp_ms=SYNC + 5), NOW) == SYNC + 5
    assert message_syncts(msg(batch([], syncts=SYNC)), NOW) == SYNC
    assert message_syncts(msg(b"\xff\xfe not json"), NOW) == NOW
    assert message_syncts(msg(batch([], syncts="yesterday")), NOW) == NOW
    # a clock in the future or before the first partition never files data into a missing hour
    assert message_syncts(msg(batch([], syncts=NOW + 86_400_000), timestamp_ms=SYNC), NOW) == SYNC
    assert message_syncts(msg(batch([], syncts=1000)), NOW, earliest_ms=SYNC) == NOW
    # what ingest filed a message under wins over anything recomputed later
    filed = SourceMessage("t", 0, 0, None, batch([good()], syncts=SYNC), syncts=SYNC - 7)
    assert extract([filed], set(), NOW, "dev").events[0]["syncts"] == SYNC - 7


@pytest.mark.parametrize("value, expected", [
    (b'{"params":{"msgid":"a"},"syncts":%d,"events":[]}' % SYNC, SYNC),                  # the usual order
    (b'{"params":{"msgid":"a"},"events":[],"syncts":%d}' % SYNC, SYNC),                  # after the events
    (b'{"params":{"msgid":"a","events":1},"syncts":%d,"events":[]}' % SYNC, SYNC),       # "events" nested first
    (b'{"params":{"msgid":"a,\\",\\"events\\":"},"syncts":%d,"events":[]}' % SYNC, SYNC),  # ... and in a string
    (b'{"params":{"msgid":"a"}, "syncts" : %d , "events" : []}' % SYNC, SYNC),           # spaces
    (b'{"params":{"msgid":"a"},"syncts":%d,"events":[{"syncts":5}]}' % SYNC, SYNC),      # an event's own syncts
    (b'{"params":{"msgid":"a"},"events":[{"syncts":%d}]}' % SYNC, NOW),                  # only an event's: not the batch's
    (b'{"params":{"msgid":"a"},"syncts":%d,"events":[oops' % SYNC, SYNC),                # broken events: filed by the head
    (b'{"params":{"msgid":"a"},"syncts":oops,"events":[]}', NOW),
])
def test_ingest_reads_the_batch_sync_time_from_its_head_when_it_can(value, expected):
    assert message_syncts(msg(value), NOW) == expected


@pytest.mark.parametrize("value, reason", [
    (b"{not json", "not JSON"),
    (b'{"params": {"msgid": "a"}, "events": ["\xff\xfe"]}', "not UTF-8"),
    (b"[1, 2]", "batch is a JSON list"),
    (b'{"params": {"msgid": "a"}}', "no events list"),
    (b'{"events": []}', "no params.msgid"),
    (None, "tombstone"),
    (b"[" * 5000 + b"]" * 5000, "not JSON"),  # deeper than any parser recursion limit
])
def test_unusable_batches_fail_with_a_reason_and_keep_their_bytes(value, reason):
    out = extract([msg(value, offset=3)], set(), NOW, "dev")
    assert out.events == [] and len(out.failed) == 1
    assert reason in out.failed[0]["reason"] and out.failed[0]["source"] == "dev.telemetry.ingest/0/3"
    assert out.failed[0]["payload"] == (value or b"")


def test_seen_msgid_is_a_duplicate_batch_and_bad_events_fail_alone():
    huge = good(n=5)
    huge["edata"]["extra"] = {"blob": "x" * (MAX_EVENT_BYTES + 10)}
    seen = {"m-old"}
    out = extract([msg(batch([good(n=1)], msgid="m-old")),
                   msg(batch([good(n=2), "not an event", huge], msgid="m-new"), offset=1),
                   msg(batch([good(n=3)], msgid="m-new"), offset=2)], seen, NOW, "dev")
    assert [d["msgid"] for d in out.duplicates] == ["m-old", "m-new"]
    assert [e["mid"] for e in out.events if e["eid"] != "LOG"] == [good(n=2)["mid"]]
    reasons = sorted(f["reason"] for f in out.failed)
    assert "is a JSON str, not an object" in reasons[0] and "over the 1048576-byte limit" in reasons[1]
    assert {"sync_status": "PARTIAL"} in out.events[-1]["edata"]["params"]
    assert out.msgids == ["m-new"] and seen == {"m-old", "m-new"}


def test_an_event_orjson_cannot_read_or_write_back_fails_alone_and_its_batch_is_kept():
    """JSON allows 1e400 and deep nesting; orjson (which reads every stored text) does not, so such an
    event is refused with the reason and its bytes, and the batch's other events go on."""
    infinite = orjson.dumps(good(n=2)).replace(b'"ets":', b'"huge":1e400,"ets":')
    deep = b'{"syncts":1,"x":' + b"[" * 300 + b"]" * 300 + b"}"   # readable, but its stamp must be written
    value = b'{"params":{"msgid":"m-h"},"syncts":%d,"events":[%s,%s,%s]}' % (SYNC, orjson.dumps(good(n=1)), infinite, deep)
    out = extract([msg(value)], set(), NOW, "dev")
    assert [e["mid"] for e in out.events] == [good(n=1)["mid"], out.events[-1]["mid"]]  # the good one + audit
    reasons = [f["reason"] for f in out.failed]
    assert "event 1 is not JSON this platform can read: number is infinity" in reasons[0]
    assert "event 2 cannot be written back as JSON" in reasons[1]
    assert [f["payload"] for f in out.failed] == [infinite, deep]
    assert {"sync_status": "PARTIAL"} in out.events[-1]["edata"]["params"]


def test_every_shipped_eid_has_a_schema_and_its_sample_is_valid():
    validator = EventValidator()
    assert validator.eids == sorted(sample_data.EIDS)
    assert set(event_schemas()) == set(sample_data.EIDS)
    for n, eid in enumerate(sample_data.EIDS):
        assert validator.error(good(eid, n)) is None, eid


@pytest.mark.parametrize("change, reason", [
    (lambda e: e.update(eid="TELEPORT"), "unknown eid 'TELEPORT'"),
    (lambda e: e.pop("eid"), "eid: required"),
    (lambda e: e.pop("mid"), '"mid" is a required property'),
    (lambda e: e["actor"].update(id=42), "actor/id: 42 is not of type"),
    (lambda e: e.update(ets="yesterday"), 'ets: "yesterday" is not of type'),
    (lambda e: e["context"].pop("channel"), '"channel" is a required property'),
    (lambda e: e["edata"].pop("type"), 'edata: "type" is a required property'),
    (lambda e: e.update(edata=["not", "an", "object"]), "edata"),
    (lambda e: e["context"].update(pdata={"id": {"nested": {"deeper": [[[[]]]]}}}), "context/pdata/id"),
    # jsonschema-rs cannot hand back an error within ~255 levels of nesting: named all the same
    (lambda e: e.update(edata={"n": orjson.loads(b"[" * 300 + b"]" * 300)}),
     "does not match the INTERACT schema (nested too deep for the error to be described)"),
])
def test_invalid_events_fail_with_the_validation_error(change, reason):
    event = good(n=9)
    change(event)
    out = validate_and_dedup([event], EventValidator(), set())
    assert out.unique == [] and len(out.failed) == 1
    assert reason in out.failed[0]["reason"], out.failed[0]["reason"]
    assert out.failed[0]["payload"] == event


def test_dedup_by_mid_within_the_list_and_the_window():
    a, b, c = good(n=1), good(n=2), good(n=3)
    seen = {c["mid"]}
    out = validate_and_dedup([a, b, dict(a), c], EventValidator(), seen)
    assert [e["mid"] for e in out.unique] == [a["mid"], b["mid"]]
    assert [d["mid"] for d in out.duplicates] == [a["mid"], c["mid"]]
    assert seen == {a["mid"], b["mid"], c["mid"]}


def test_hostile_strings_are_data():
    event = good(n=4)
    event["actor"]["id"] = "'; DROP TABLE users; -- \u202e\u0000 東京 " + "😀" * 100
    event["edata"]["id"] = "<script>alert(1)</script>"
    out = validate_and_dedup([event], EventValidator(), set())
    assert out.unique == [event]


def test_routing():
    share = good("SHARE", 1)
    events = [good("LOG", 2), good("ERROR", 3), good("AUDIT", 4), share, good("IMPRESSION", 5)]
    routed = route(events)
    assert [e["eid"] for e in routed.druid_log_events] == ["LOG"]
    assert [e["eid"] for e in routed.druid_error_events] == ["ERROR"]
    assert [e["eid"] for e in routed.audit_events] == ["AUDIT"]
    assert [e["eid"] for e in routed.routed_events] == ["AUDIT", "SHARE", "SHARE_ITEM", "SHARE_ITEM", "IMPRESSION"]
    items = [e for e in routed.routed_events if e["eid"] == "SHARE_ITEM"]
    assert [i["mid"] for i in items] == [f"{share['mid']}:item:0", f"{share['mid']}:item:1"]
    assert [i["object"]["id"] for i in items] == [it["id"] for it in share["edata"]["items"]]
    assert routed.share_items == 2 and items[0]["context"] == share["context"]


def test_grouped_validation_reports_exactly_what_each_event_would():
    validator = EventValidator()
    events = [good("INTERACT", n) for n in range(6)] + [good("LOG", 7), good("SHARE", 8)]
    events[2]["actor"] = {"id": 3}                 # one bad event in the INTERACT group
    events.append(dict(good(n=9), eid=["not", "hashable"]))
    events.append(dict(good(n=10), eid=None))
    assert validator.errors(events) == [validator.error(e) for e in events]
    reasons = validator.errors(events)
    assert [i for i, r in enumerate(reasons) if r] == [2, 8, 9]
    assert validator.errors([]) == []
