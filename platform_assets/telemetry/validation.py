"""Validation (JSON Schema per eid) and dedup (by ``mid`` within the window) of raw events.

The schemas ship in ``schemas/``: ``envelope.json`` (what every v3 event must have) and one file
per eid for its ``edata`` (``x-event-required`` in it: envelope members that eid requires too, as
CB_AUDIT requires ``object``); an eid's full schema is the envelope with that edata schema. They
state exactly what the original preprocessor's schemas (Sunbird's ``schemas/telemetry/3.0`` and
iGOT's, which adds CB_AUDIT) accept: blank actor fields, any ``env``, no ``object`` needed, no
undeclared ``edata`` member (the conformance table: tests/telemetry/test_spec_schemas.py). Each
is compiled three times: by jsonschema-rs (a Rust validator, exact, on parsed events), to a msgspec
type (``schema_types``) that checks an event's JSON text while decoding it into Structs, and to a
program for the native reader (``native_reader``) that checks the text and reads the hour row
without building the event. An hour's events are offered to the native reader first
(``row_reader``), then to the msgspec types (``valid_event``); jsonschema-rs decides every event
both refuse and words its error (``path: message``).
"""

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs
import msgspec

from platform_assets.telemetry.native_reader import ReadRow, native_reader
from platform_assets.telemetry.schema_types import event_decoder, event_types

SCHEMA_PACKAGE = "platform_assets.telemetry.schemas"
EVENT_REQUIRED = "x-event-required"  # in an edata file: envelope members its eid requires too


@lru_cache(maxsize=1)
def event_schemas() -> dict[str, dict[str, Any]]:
    """eid -> the full draft-07 schema of that event (envelope + its edata schema)."""
    folder = resources.files(SCHEMA_PACKAGE)
    envelope = json.loads((folder / "envelope.json").read_text())
    schemas = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json") and entry.name != "envelope.json":
            edata = json.loads(entry.read_text())
            eid = entry.name[: -len(".json")].upper()
            full = json.loads(json.dumps(envelope))
            full["title"] = f"Sunbird telemetry v3 {eid} event (Weir)"
            full.pop("description", None)
            full["required"] += [
                m for m in edata.get(EVENT_REQUIRED, []) if m not in full["required"]
            ]
            full["properties"]["eid"] = {"const": eid}
            full["properties"]["edata"] = {
                k: v for k, v in edata.items() if k not in ("$schema", "title", EVENT_REQUIRED)
            }
            schemas[eid] = full
    return schemas


def _where(error: jsonschema_rs.ValidationError) -> str:
    path = "/".join(str(p) for p in error.instance_path)
    return path or "(event)"


# the members an hour row reads (tables.typed_row): (path, JSON type, required where its parent is)
ROW_MEMBERS = [
    (("mid",), "string", True),
    (("ets",), "number", True),
    (("actor", "id"), "string", True),
    (("actor", "type"), "string", True),
    (("context", "channel"), "string", True),
    (("context", "pdata", "id"), "string", True),
    (("context", "sid"), "string", False),
    (("context", "did"), "string", False),
    (("object", "id"), "string", False),  # object is optional, and so is its id
]


def _declares_row_members(schema: Any) -> bool:
    """Whether a schema types every member an hour row reads as the envelope does, so that the row
    can be read off the decoded event (``tables.typed_row``) without checks."""
    for path, kind, required in ROW_MEMBERS:
        node = schema
        for depth, member in enumerate(path):
            properties = node.get("properties") if isinstance(node, dict) else None
            needed = required or depth < len(path) - 1
            if (
                not isinstance(properties, dict)
                or member not in properties
                or (needed and member != "object" and member not in node.get("required", []))
            ):
                return False
            node = properties[member]
        if not isinstance(node, dict) or node.get("type") != kind:
            return False
    return True


STAMPED_MEMBERS = (
    "syncts",
    "@timestamp",
)  # set by the extractor (spliced into a compiled type's text)


def _compilable(schema: Any) -> bool:
    """Whether a compiled type of ``schema`` can serve the hour step: it types the row's members
    (``_declares_row_members``) and does not declare the members the extractor sets (so that the
    type refuses an event that carries them, and a text it accepts can take them spliced in)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return (
        _declares_row_members(schema)
        and isinstance(properties, dict)
        and not any(member in properties for member in STAMPED_MEMBERS)
    )


class EventValidator:
    """``error(event)`` is None for a valid event, else the reason it is refused;
    ``valid_event(text)`` is the event decoded by its compiled type when that type accepts it (then
    it is valid), else None (then ``error`` of the parsed event decides)."""

    def __init__(self, schemas: dict[str, dict[str, Any]] | None = None):
        schemas = schemas or event_schemas()
        typed, self.uncompiled = event_types(
            {eid: schema for eid, schema in schemas.items() if _compilable(schema)}
        )
        self.uncompiled.update(
            {
                eid: "types the hour row's members otherwise than the envelope, or declares "
                "a member the extractor sets"
                for eid in schemas
                if eid not in typed and eid not in self.uncompiled
            }
        )
        self._decoder = event_decoder(typed)
        self._read_row = native_reader(
            {eid: schema for eid, schema in schemas.items() if _compilable(schema)}, STAMPED_MEMBERS
        )
        self._validators = {
            eid: jsonschema_rs.Draft7Validator(schema) for eid, schema in schemas.items()
        }
        # the same schema over a list: one call checks all of a batch's events of that eid
        self._lists = {
            eid: jsonschema_rs.Draft7Validator({"type": "array", "items": schema})
            for eid, schema in schemas.items()
        }

    @property
    def eids(self) -> list[str]:
        return sorted(self._validators)

    @property
    def row_reader(self) -> ReadRow | None:
        """The native reader (``native_reader``): (hour row, stamped text) of an event it accepts
        (then it is valid), else None; itself None where the extension is not built."""
        return self._read_row

    def valid_event(self, text: bytes) -> msgspec.Struct | None:
        """The event of ``text`` (a JSON object) decoded by its eid's compiled type, when that type
        accepts it; None when it does not, or the eid has none. Accepted means valid; None means
        only that ``error`` must decide."""
        if self._decoder is None:
            return None
        try:
            return self._decoder.decode(text)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            return None

    def error(self, event: dict[str, Any]) -> str | None:
        eid = event.get("eid")
        validator = self._validators.get(eid) if isinstance(eid, str) else None
        if validator is None:
            return f"unknown eid {str(eid)[:64]!r}" if eid is not None else "eid: required"
        if validator.is_valid(event):
            return None
        try:
            errors = sorted(
                validator.iter_errors(event), key=lambda e: list(map(str, e.instance_path))
            )
        except (
            ValueError
        ):  # jsonschema-rs cannot hand back an error inside a value nested over ~255 levels
            return (
                f"does not match the {eid} schema (nested too deep for the error to be described)"
            )
        return "; ".join(f"{_where(e)}: {e.message}" for e in errors[:3])[:1000]

    def errors(self, events: list[dict[str, Any]]) -> list[str | None]:
        """``error`` of each event. The events of one eid are checked in one call (~20 % cheaper per
        event than one call each); only a group that fails
        is checked event by event, for the reasons."""
        groups: dict[str | None, list[int]] = {}
        for index, event in enumerate(events):
            eid = event.get("eid")
            groups.setdefault(eid if isinstance(eid, str) else None, []).append(index)
        out: list[str | None] = [None] * len(events)
        for eid, indexes in groups.items():
            many = self._lists.get(eid) if eid is not None else None
            if many is not None and many.is_valid([events[i] for i in indexes]):
                continue
            for i in indexes:
                out[i] = self.error(events[i])
        return out


@lru_cache(maxsize=1)
def shipped_validator() -> EventValidator:
    """The validator of the shipped schemas, compiled once per process (12 schemas, ~50 ms)."""
    return EventValidator()


UNIQUE, FAILED, DUPLICATE = "unique", "failed", "duplicate"
DUPLICATE_REASON = "mid already seen in the dedup window"


def classify(
    events: list[dict[str, Any]], validator: EventValidator, seen_mids: set[str]
) -> list[tuple[str, str | None]]:
    """For each event, in order: (UNIQUE, None), (FAILED, the validation error) or (DUPLICATE,
    reason); a unique event's mid joins ``seen_mids``
    (so a repeat later in the list is a duplicate)."""
    out: list[tuple[str, str | None]] = []
    for event, reason in zip(events, validator.errors(events), strict=True):
        if reason is not None:
            out.append((FAILED, reason))
        elif event["mid"] in seen_mids:
            out.append((DUPLICATE, DUPLICATE_REASON))
        else:
            seen_mids.add(event["mid"])
            out.append((UNIQUE, None))
    return out


def refused_event(event: dict[str, Any], reason: str, payload: Any) -> dict[str, Any]:
    """The record of a failed or duplicate event (``payload``: the event, or its JSON bytes)."""
    mid, eid = event.get("mid"), event.get("eid")
    return {
        "reason": reason,
        "mid": mid if isinstance(mid, str) else None,
        "eid": eid if isinstance(eid, str) else None,
        "syncts": event.get("syncts"),
        "payload": payload,
    }


@dataclass
class Validated:
    unique: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(
        default_factory=list
    )  # {reason, mid, eid, syncts, payload}
    duplicates: list[dict[str, Any]] = field(
        default_factory=list
    )  # {reason, mid, eid, syncts, payload}


def validate_and_dedup(
    events: list[dict[str, Any]], validator: EventValidator, seen_mids: set[str]
) -> Validated:
    """Invalid -> failed (with the validation error); a mid already in ``seen_mids`` (earlier in the
    window, or earlier in this list) -> duplicates; the rest -> unique. ``seen_mids`` grows."""
    out = Validated()
    for event, (kind, reason) in zip(events, classify(events, validator, seen_mids), strict=True):
        if kind == UNIQUE:
            out.unique.append(event)
        else:
            assert reason is not None  # FAILED and DUPLICATE carry their reason
            (out.failed if kind == FAILED else out.duplicates).append(
                refused_event(event, reason, event)
            )
    return out
