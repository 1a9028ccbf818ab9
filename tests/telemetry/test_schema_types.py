"""The compiled msgspec types against the JSON Schemas they come from: what a type accepts, its
schema accepts (fuzzed), what it accepts orjson reads back, and what does not compile is refused
loudly and left to the exact path."""

import copy
import random
from typing import Any

import msgspec
import orjson
import pytest

from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.extraction import SourceMessage
from platform_assets.telemetry.hour_processing import checked_events
from platform_assets.telemetry.schema_types import UnsupportedSchema, compile_type
from platform_assets.telemetry.validation import EventValidator, event_schemas
from tests.telemetry.exact_validator import ExactOnly, TypedOnly

pytestmark = pytest.mark.fast  # no external service: make test-fast

SYNC = 1_795_400_000_000

# values a mutation puts anywhere: every JSON type, edges of the schemas' bounds, hostile strings
PALETTE: list[Any] = [None, True, False, 0, -1, 1.5, 2 ** 63, 2 ** 70, -(2 ** 70), 1e300, "", "x", "0", "\u202e\u0000",
                      "😀" * 3, "x" * 300, [], [1], ["a"], {}, {"id": "a", "type": "b"}, {"a": {"b": [None]}}]


def samples(count: int = 4) -> list[dict[str, Any]]:
    return [sample_data.event(random.Random(n), n, SYNC - n, eid) for eid in sample_data.EIDS for n in range(count)]


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``value`` (object members and list items)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found


def mutated(event: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``event`` with one to three changes: a value replaced, a member deleted or an undeclared one added."""
    out = copy.deepcopy(event)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths(out))
        parent = out
        for step in path[:-1]:
            parent = parent[step]
        roll = rng.random()
        if roll < 0.6:
            parent[path[-1]] = copy.deepcopy(rng.choice(PALETTE))
        elif roll < 0.8 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", "title", "syncts", "@timestamp", "EID"])] = rng.choice(PALETTE)
    return out


def test_every_shipped_schema_compiles_and_takes_every_sample_event():
    validator = EventValidator()
    assert validator.uncompiled == {"CB_AUDIT": "CB_AUDIT.edata: ['oneOf'] not compiled"}
    for event in samples(20):
        if event["eid"] == "CB_AUDIT":
            assert validator.valid_event(orjson.dumps(event)) is None  # left to the exact path
            continue
        typed = validator.valid_event(orjson.dumps(event))
        assert typed is not None, event["eid"]
        assert typed.__struct_config__.tag == event["eid"] and typed.mid == event["mid"]


def test_what_a_compiled_type_accepts_its_schema_accepts():
    validator, rng = EventValidator(), random.Random(7)
    verdicts = {(True, True): 0, (False, True): 0, (False, False): 0}
    for event in samples():
        for _ in range(60):
            text = msgspec.json.encode(mutated(event, rng))  # orjson cannot write 2 ** 70
            accepted = validator.valid_event(text) is not None
            parsed = orjson.loads(text)                         # as the exact path reads it
            valid = validator.error(parsed) is None
            assert valid or not accepted, (text, validator.error(parsed))
            verdicts[(accepted, valid)] += 1
    # the fuzz reaches every kind of case: accepted, left to the exact path although valid, refused
    assert all(count > 50 for count in verdicts.values()), verdicts


HOSTILE_VALUES = [
    ("a number beyond a double", b'1e400'),
    ("a huge integer", b'1' + b'0' * 400),
    ("an integer beyond 64 bits", b'1' + b'0' * 30),
    ("an integer beyond Python's digit limit", b'1' * 5000),
    ("nesting deeper than orjson reads", b'[' * 1100 + b']' * 1100),
    ("nesting msgspec refuses", b'[' * 990 + b']' * 990),
    ("a lone surrogate", b'"\\ud800"'),
    ("an escaped member name", None),
]


def hostile_message(text: bytes | None) -> SourceMessage:
    """A batch of a good IMPRESSION event and an INTERACT event holding ``text`` (None: with its
    ``mid`` member's name escaped)."""
    event = sample_data.event(random.Random(1), 1, SYNC, "INTERACT")
    if text is None:
        raw = orjson.dumps(event).replace(b'"mid"', b'"m\\u0069d"')
    else:
        raw = orjson.dumps(dict(event, edata=dict(event["edata"], extra={"v": "PLACE"}))).replace(b'"PLACE"', text)
    good = orjson.dumps(sample_data.event(random.Random(2), 2, SYNC, "IMPRESSION"))
    value = b'{"params":{"msgid":"m"},"syncts":%d,"events":[%s,%s]}' % (SYNC, good, raw)
    return SourceMessage("t", 0, 0, None, value)


@pytest.mark.parametrize("fast_path", [EventValidator, TypedOnly], ids=["native+typed", "typed"])
@pytest.mark.parametrize("where, text", HOSTILE_VALUES)
def test_hostile_values_come_out_of_the_fast_path_as_out_of_the_exact_one(where, text, fast_path):
    """Whatever an event holds, the hour's rows are those of the exact path (orjson + jsonschema-rs),
    and every text stored reads back with orjson."""
    message = hostile_message(text)
    good = sample_data.event(random.Random(2), 2, SYNC, "IMPRESSION")
    fast = checked_events(message, fast_path(), SYNC + 1, "dev")
    exact = checked_events(message, ExactOnly(), SYNC + 1, "dev")
    assert fast.rows == exact.rows and fast.errors == exact.errors, where
    assert [f["reason"] for f in fast.extract.failed] == [f["reason"] for f in exact.extract.failed], where
    assert list(map(orjson.loads, fast.texts)) == list(map(orjson.loads, exact.texts)), where
    if fast.extract.msgid is not None:  # the batch was usable: its good event is kept, whatever the other held
        assert fast.rows[0][0] == good["mid"] and fast.errors[0] is None, where


def test_number_keeps_an_integral_ets_an_int_and_integer_is_never_looser():
    number, integer = compile_type({"type": "number", "minimum": 0}), compile_type({"type": "integer"})
    assert msgspec.json.decode(b"1795400000000", type=number) == 1_795_400_000_000
    assert type(msgspec.json.decode(b"1795400000000", type=number)) is int
    assert msgspec.json.decode(b"0.5", type=number) == 0.5
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b"-1", type=number)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b"1.0", type=integer)   # the schema takes 1.0; refusing it only costs the exact path
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b"true", type=integer)


@pytest.mark.parametrize("schema", [
    {"type": "string", "pattern": "^a"},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"anyOf": [{"type": "string"}]},
    {"type": "array", "items": [{"type": "string"}]},
    {"enum": [1, 2]},
    {"type": "date"},
])
def test_a_keyword_outside_the_compiled_subset_is_refused(schema):
    """(``additionalProperties: false`` compiles: the compiled types refuse undeclared members.)"""
    with pytest.raises(UnsupportedSchema):
        compile_type(schema)


def test_an_eid_without_a_compiled_type_is_checked_exactly():
    schemas = copy.deepcopy(event_schemas())
    schemas["INTERACT"]["properties"]["edata"]["properties"]["id"] = {"type": "string", "pattern": "^button-"}
    schemas["LOG"]["properties"]["syncts"] = {"type": "integer"}           # a member the extractor sets
    del schemas["START"]["properties"]["context"]["properties"]["sid"]    # a row member left undeclared
    validator = EventValidator(schemas)
    assert set(validator.uncompiled) == {"INTERACT", "LOG", "START", "CB_AUDIT"}
    assert "pattern" in validator.uncompiled["INTERACT"]
    for eid in ("INTERACT", "LOG", "START"):
        event = sample_data.event(random.Random(3), 3, SYNC, eid)
        assert validator.valid_event(orjson.dumps(event)) is None
    bad = sample_data.event(random.Random(3), 3, SYNC, "INTERACT")
    bad["edata"]["id"] = "link-1"
    assert "edata/id" in validator.error(bad)
    good = sample_data.event(random.Random(4), 4, SYNC, "IMPRESSION")
    assert validator.valid_event(orjson.dumps(good)) is not None
