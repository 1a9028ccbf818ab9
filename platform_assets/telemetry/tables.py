"""Event lists <-> Arrow tables: the lake layout of every telemetry asset.

An event table keeps the whole event as JSON (``event``) next to the columns that aggregates and
lookups use, so nothing of the original is lost and nothing has to be re-parsed to count.
Refused records (failed, duplicates) keep their original bytes (``payload``) and a ``reason``.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
from msgspec import UNSET

from platform_assets.telemetry.arrow_columns import binary_column

EVENT_SCHEMA = pa.schema(
    [
        ("mid", pa.string()),
        ("eid", pa.string()),
        ("ets", pa.int64()),
        ("syncts", pa.int64()),
        ("channel", pa.string()),
        ("pdata_id", pa.string()),
        ("actor_id", pa.string()),
        ("actor_type", pa.string()),
        ("sid", pa.string()),
        ("did", pa.string()),
        ("object_id", pa.string()),
        ("event", pa.string()),
    ]
)
REFUSED_SCHEMA = pa.schema(
    [
        ("reason", pa.string()),
        ("source", pa.string()),
        ("mid", pa.string()),
        ("eid", pa.string()),
        ("syncts", pa.int64()),
        ("payload", pa.binary()),
    ]
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if -(2**63) < value < 2**63 else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def event_row(e: dict[str, Any]) -> tuple:
    """The key columns of any event (types checked: raw events may be invalid)."""
    context = _dict(e.get("context"))
    pdata = _dict(context.get("pdata"))
    actor = _dict(e.get("actor"))
    obj = _dict(e.get("object"))
    return (
        _text(e.get("mid")),
        _text(e.get("eid")),
        _int(e.get("ets")),
        _int(e.get("syncts")),
        _text(context.get("channel")),
        _text(pdata.get("id")),
        _text(actor.get("id")),
        _text(actor.get("type")),
        _text(context.get("sid")),
        _text(context.get("did")),
        _text(obj.get("id")),
    )


def valid_event_row(e: dict[str, Any]) -> tuple:
    """``event_row`` of an extracted event that passed its schema, which already guarantees every
    type read here (envelope.json; ``syncts`` is the extractor's integer): about 4x cheaper, and the
    row is the same."""
    context, actor, obj = e["context"], e["actor"], e.get("object")
    ets = e["ets"]
    return (
        e["mid"],
        e["eid"],
        ets if type(ets) is int and ets < 2**63 else _int(ets),
        e["syncts"],
        context["channel"],
        context["pdata"]["id"],
        actor["id"],
        actor["type"],
        context.get("sid"),
        context.get("did"),
        obj.get("id") if obj is not None else None,
    )


def typed_row(event: Any, syncts: int | None) -> tuple:
    """``valid_event_row`` of an event decoded by its compiled type (``EventValidator.valid_event``,
    whose types have every member read here: ``validation._declares_row_members``)."""
    context, actor, obj, ets = event.context, event.actor, event.object, event.ets
    sid, did = context.sid, context.did
    return (
        event.mid,
        event.__struct_config__.tag,
        ets if type(ets) is int and ets < 2**63 else _int(ets),
        syncts,
        context.channel,
        context.pdata.id,
        actor.id,
        actor.type,
        None if sid is UNSET else sid,
        None if did is UNSET else did,
        None if obj is UNSET or obj.id is UNSET else obj.id,
    )


class EventTableBuilder:
    """Rows of ``EVENT_SCHEMA`` appended one at a time, each with the event's JSON text; the Arrow
    table is built once, column by column, at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.texts: list[bytes] = []

    def add(self, row: tuple, text: bytes) -> int:
        """Append a row; returns its index in the table."""
        self.rows.append(row)
        self.texts.append(text)
        return len(self.rows) - 1

    def extend(self, rows: list[tuple], texts: list[bytes]) -> int:
        """Append rows; returns the index of the first."""
        first = len(self.rows)
        self.rows.extend(rows)
        self.texts.extend(texts)
        return first

    def table(self) -> pa.Table:
        columns = (
            list(zip(*self.rows, strict=True)) if self.rows else [()] * (len(EVENT_SCHEMA) - 1)
        )
        arrays = [
            pa.array(values, field.type)
            for values, field in zip(columns, EVENT_SCHEMA, strict=False)
        ]
        event = binary_column(self.texts).cast(
            pa.string()
        )  # the texts are JSON, hence UTF-8 (checked here)
        return pa.Table.from_arrays([*arrays, event], schema=EVENT_SCHEMA)


def events_table(events: list[dict[str, Any]]) -> pa.Table:
    builder = EventTableBuilder()
    for event in events:
        builder.add(event_row(event), orjson.dumps(event))
    return builder.table()


def take_rows(source: pa.Table, rows: Sequence[int] | np.ndarray) -> pa.Table:
    """The rows of ``source`` at ``rows`` (a copy, no re-serialization)."""
    return source.take(pa.array(rows, pa.int64()))


def events_from_table(table: pa.Table) -> list[dict[str, Any]]:
    return [orjson.loads(text) for text in table.column("event").to_pylist()]


def refused_table(records: list[dict[str, Any]]) -> pa.Table:
    """Records ``{reason, source, payload[, mid, eid, syncts]}`` (payload: bytes or an event
    dict)."""
    rows: dict[str, list[Any]] = {name: [] for name in REFUSED_SCHEMA.names}
    for r in records:
        payload = r.get("payload")
        rows["reason"].append(str(r.get("reason", "")))
        rows["source"].append(str(r.get("source", "")))
        rows["mid"].append(_text(r.get("mid")))
        rows["eid"].append(_text(r.get("eid")))
        rows["syncts"].append(_int(r.get("syncts")))
        rows["payload"].append(payload if isinstance(payload, bytes) else orjson.dumps(payload))
    return pa.table(rows, schema=REFUSED_SCHEMA)


def refused_rows(events: pa.Table, rows: Sequence[int], reasons: Sequence[str]) -> pa.Table:
    """Refused records of rows of an event table (failed or duplicate events): the same records as
    ``refused_table`` of those events with their JSON
    text as payload, without re-reading the events."""
    picked = take_rows(events, rows)
    return pa.Table.from_arrays(
        [
            pa.array(reasons, pa.string()),
            pa.array([""] * len(rows), pa.string()),
            picked.column("mid"),
            picked.column("eid"),
            picked.column("syncts"),
            picked.column("event").cast(pa.binary()),
        ],
        schema=REFUSED_SCHEMA,
    )


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


# dictionary encoding only where values repeat: on the JSON text it only costs (a hash of every
# 1 KB string before giving up)
EVENT_DICTIONARY_COLUMNS = ["eid", "channel", "pdata_id", "actor_type"]
# min/max statistics where readers filter row groups by them (times, and the few repeated values);
# not on the JSON text or on one-of-a-kind ids (mid, actor, session, device, object), whose ranges
# skip nothing: they were ~20 % of writing an event table (measured on a 250k-event hour)
EVENT_STATISTICS_COLUMNS = ["ets", "syncts", *EVENT_DICTIONARY_COLUMNS]
UNFILTERED_COLUMNS = {"event", "payload"}


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """Lake write options of an hourly output: zstd level 1 (3x faster than the default level,
    same size here); for event tables, dictionaries and statistics only on the columns above; for
    the others, statistics on everything but the original bytes."""
    if schema.equals(EVENT_SCHEMA):
        return {
            "level": 1,
            "use_dictionary": EVENT_DICTIONARY_COLUMNS,
            "write_statistics": EVENT_STATISTICS_COLUMNS,
        }
    return {
        "level": 1,
        "use_dictionary": True,
        "write_statistics": [name for name in schema.names if name not in UNFILTERED_COLUMNS],
    }
