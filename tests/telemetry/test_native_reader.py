"""The native event reader against the exact path it stands in for: what it accepts, the schema
accepts and orjson reads back, with the same row (fuzzed over structure and over bytes); what it
cannot decide cheaply it refuses; and the extension is built where the suite runs."""

import copy
import json
import random

import msgspec
import orjson
import pytest

from platform_assets.telemetry import native_reader, tables
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.native_reader import compile_program
from platform_assets.telemetry.schema_types import UnsupportedSchema
from platform_assets.telemetry.validation import STAMPED_MEMBERS, EventValidator, event_schemas
from tests.telemetry.test_schema_types import mutated, samples

pytestmark = pytest.mark.fast  # no external service: make test-fast

SYNC = 1_795_400_000_000
STAMP = b'"syncts":%d,"@timestamp":"2026-11-23T02:13:20.000Z"' % SYNC
STAMPED = {"syncts": SYNC, "@timestamp": "2026-11-23T02:13:20.000Z"}


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator()


def judge(validator: EventValidator, text: bytes) -> tuple[bool, bool]:
    """(accepted by the native reader, valid by the exact path); an accepted event must be valid,
    its row the exact path's row and its stamped text the event with the stamp, read by orjson."""
    got = validator.row_reader(text, SYNC, STAMP)
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        assert got is None, text
        return False, False
    valid = isinstance(parsed, dict) and validator.error(parsed) is None
    if got is not None:
        assert valid, (text, validator.error(parsed))
        expected = dict(parsed, **STAMPED)
        assert got[0] == tables.valid_event_row(expected), text
        assert orjson.loads(got[1]) == expected and got[1] == text[:-1] + b"," + STAMP + b"}"
    return got is not None, valid


def test_the_extension_is_built_and_every_shipped_schema_compiles(validator):
    assert native_reader.Reader is not None, "pip install did not build platform_assets/telemetry/_event_reader.c"
    _, roots, refused = compile_program(event_schemas())
    # CB_AUDIT's edata is a oneOf of two shapes: outside the compiled subset, checked exactly
    assert refused == {"CB_AUDIT": "CB_AUDIT.edata: ['oneOf'] not compiled"}
    assert {eid for eid, _ in roots} == set(sample_data.EIDS) - {"CB_AUDIT"}
    assert validator.row_reader is not None


def test_every_sample_event_is_accepted_with_the_exact_row(validator):
    for event in samples(20):
        for text in (orjson.dumps(event), msgspec.json.encode(event)):
            assert judge(validator, text) == (event["eid"] != "CB_AUDIT", True), event["eid"]


def test_what_it_accepts_its_schema_accepts_with_the_same_row(validator):
    rng, verdicts = random.Random(11), {(True, True): 0, (False, True): 0, (False, False): 0}
    for event in samples():
        for _ in range(60):
            verdicts[judge(validator, msgspec.json.encode(mutated(event, rng)))] += 1
    assert all(count > 30 for count in verdicts.values()), verdicts


BYTES = b'{}[]",:\\ -+.eE0123456789tfnulr\x00\x1f\x7f\xc3\xa9\xff\xed\xa0\x80\xf0\x9f\x98\x80'


def test_byte_edits_never_slip_through(validator):
    """Random byte edits (inserted, replaced, deleted): nothing orjson cannot read or the schema
    refuses is accepted."""
    rng, accepted, unreadable = random.Random(5), 0, 0
    for event in samples(2):
        base = orjson.dumps(event)
        for _ in range(150):
            text = bytearray(base)
            for _ in range(rng.randint(1, 3)):
                at, roll = rng.randrange(len(text)), rng.random()
                if roll < 0.4:
                    text[at] = rng.choice(BYTES)
                elif roll < 0.7:
                    text.insert(at, rng.choice(BYTES))
                else:
                    del text[at]
            ok, valid = judge(validator, bytes(text))
            accepted += ok
            unreadable += not ok and not valid
    assert accepted > 500 and unreadable > 500, (accepted, unreadable)


def interact(**changes) -> dict:
    event = sample_data.event(random.Random(1), 1, SYNC - 5, "INTERACT")
    event.update(changes)
    return event


def text_with(raw: bytes) -> bytes:
    """An INTERACT event whose edata.extra holds ``raw`` as written."""
    return orjson.dumps(interact(edata={"type": "TOUCH", "id": "b1", "extra": {"v": "PLACE"}})).replace(
        b'"PLACE"', raw)


def start(**dspec) -> bytes:
    """A START event with ``dspec`` (whose numbers have a minimum of -1)."""
    event = sample_data.event(random.Random(1), 1, SYNC - 5, "START")
    event["edata"]["dspec"] = dspec
    return orjson.dumps(event)


REFUSED = {
    "a lone high surrogate": text_with(b'"\\ud800"'),
    "a lone low surrogate": text_with(b'"\\udc00"'),
    "a number beyond a double": text_with(b"1e400"),
    "an integer of 19 digits": text_with(b"1" * 19),
    "a surrogate pair (valid; left to the other paths)": text_with(b'"\\ud83d\\ude00"'),
    "a raw control character": text_with(b'"a\x01b"'),
    "invalid UTF-8": text_with(b'"\xff"'),
    "an overlong UTF-8 sequence": text_with(b'"\xc0\xaf"'),
    "a UTF-8 surrogate": text_with(b'"\xed\xa0\x80"'),
    "a bad escape": text_with(b'"\\x41"'),
    "nesting beyond 64 levels": text_with(b"[" * 70 + b"]" * 70),
    "a trailing comma": text_with(b"[1,]"),
    "a leading zero": text_with(b"01"),
    "NaN": text_with(b"NaN"),
    "a declared member twice": orjson.dumps(interact())[:-1] + b',"mid":"again"}',
    "an escaped member name": orjson.dumps(interact()).replace(b'"mid"', b'"m\\u0069d"'),
    "the extractor's syncts": orjson.dumps(interact(syncts=5)),
    "the extractor's @timestamp": orjson.dumps(interact(**{"@timestamp": "x"})),
    "eid not first": orjson.dumps(dict(reversed(list(interact().items())))),
    "an unknown eid": orjson.dumps(interact(eid="TELEPORT")),
    "an ets with a fraction": orjson.dumps(interact(ets=1795400000000.5)),
    "an integral ets written as a float": orjson.dumps(interact()).replace(b'"ets":%d' % (SYNC - 5), b'"ets":%d.0' % (SYNC - 5)),
    "an escaped mid": orjson.dumps(interact(mid="a\nb")),
    "whitespace after the object": orjson.dumps(interact()) + b" ",
    "two objects": orjson.dumps(interact()) + orjson.dumps(interact()),
    "an array": orjson.dumps([interact()]),
    "a missing required member": orjson.dumps({k: v for k, v in interact().items() if k != "actor"}),
    "a wrong type": orjson.dumps(interact(actor={"id": 5, "type": "User"})),
    "a string too short": orjson.dumps(interact(mid="")),
    "a number below its minimum": start(mem=-2),
    "a bounded integer beyond a double's exact ones": start(mem=10 ** 16),
    "an undeclared edata member (additionalProperties: false)": orjson.dumps(
        interact(edata={"type": "TOUCH", "id": "b1", "colour": "red"})),
    "an undeclared cdata member": orjson.dumps(interact(context={**interact()["context"], "cdata": [
        {"id": "c", "type": "API", "extra": 1}]})),
    "a ver the spec does not know": orjson.dumps(interact(ver="3.2")),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_it_cannot_decide_cheaply_or_is_invalid_is_refused(case, validator):
    assert validator.row_reader(REFUSED[case], SYNC, STAMP) is None
    judge(validator, REFUSED[case])


ACCEPTED = {
    "an undeclared member (the schemas allow them)": orjson.dumps(interact(flags={"x": [1, None, True]})),
    "escapes where nothing reads them": text_with(b'"tab\\there \\"quoted\\" \\u00e9 \\/ \\\\"'),
    "non-ASCII text": orjson.dumps(interact(actor={"id": "उपयोगकर्ता-😀", "type": "User"})),
    "whitespace between tokens": json.dumps(interact(), indent="\t", separators=(" ,\r\n", " :  ")).encode(),
    "numbers of every form": text_with(b'[-0, 0.5, -1.25e-7, 1E+5, 123456789012345678]'),
    "no sid, did or object": orjson.dumps({k: v for k, v in interact().items() if k != "object"}),
    "an integral ets of 15 digits": orjson.dumps(interact(ets=10 ** 14)),
    "blank actor id and type (the spec allows them)": orjson.dumps(interact(actor={"id": "", "type": ""})),
    "a negative ets and a long mid (no bound in the spec)": orjson.dumps(interact(ets=-1, mid="m" * 300)),
    "an object without id": orjson.dumps(interact(object={"type": "Content"})),
    "a bounded number at its minimum": start(mem=-1, cpu="x"),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_valid_events_of_every_shape_are_accepted_with_the_exact_row(case, validator):
    assert judge(validator, ACCEPTED[case]) == (True, True)


def test_a_multibyte_string_is_measured_in_code_points():
    schemas = copy.deepcopy(event_schemas())
    schemas["INTERACT"]["properties"]["edata"]["properties"]["id"] = {"type": "string", "maxLength": 3}
    read = native_reader.native_reader(schemas, STAMPED_MEMBERS)
    three, four = (orjson.dumps(interact(edata={"type": "T", "id": word})) for word in ("éé😀", "éé😀x"))
    assert read(three, SYNC, STAMP) is not None and read(four, SYNC, STAMP) is None


@pytest.mark.parametrize("schema", [
    {"type": "string", "pattern": "^a"},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"enum": [1, 2]},
    {"type": "date"},
    {"type": "number", "minimum": 2 ** 60},
    {"type": "array", "items": [{"type": "string"}]},
    {"type": "object", "properties": {f"m{i}": {} for i in range(65)}},
])
def test_a_schema_outside_the_subset_is_left_to_the_other_paths(schema):
    schemas = copy.deepcopy(event_schemas())
    schemas["INTERACT"]["properties"]["edata"] = schema
    _, roots, refused = compile_program(schemas)
    assert "INTERACT" in refused and "INTERACT" not in dict(roots)
    read = native_reader.native_reader(schemas, STAMPED_MEMBERS)
    assert read(orjson.dumps(interact()), SYNC, STAMP) is None
    assert read(orjson.dumps(sample_data.event(random.Random(1), 1, SYNC, "LOG")), SYNC, STAMP) is not None
    with pytest.raises(UnsupportedSchema):
        native_reader._Program().node(schema, "X", ())


def test_a_broken_program_is_refused_loudly():
    with pytest.raises(ValueError):
        native_reader.Reader([(1, -1, -1, None, None, (), ((b"a", 7, True, -1),), -1, 0)], [("X", 0)], ())
    with pytest.raises(ValueError):
        native_reader.Reader([(32, -1, -1, None, None, (), (), -1, 0)], [("X", 3)], ())
    with pytest.raises(ValueError):
        native_reader.Reader([(32, -1, -1, None, None, (), ((b"a", -5, True, -1),), -1, 0)], [("X", 0)], ())
    with pytest.raises(ValueError):
        native_reader.Reader([(64, -1, -1, None, None, (), (), -2, 0)], [("X", 0)], ())
    with pytest.raises(TypeError):
        native_reader.Reader(["not a node"], [], ())
