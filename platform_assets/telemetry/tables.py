"""Event lists <-> Arrow tables: the lake layout of every telemetry asset.

An event table keeps the whole event as JSON (``event``) next to the columns that aggregates and
lookups use, so nothing of the original is lost and nothing has to be re-parsed to count.
Refused records (failed, duplicates) keep their original bytes (``payload``) and a ``reason``.
"""

from typing import Any

import orjson
import pyarrow as pa

EVENT_SCHEMA = pa.schema([
    ("mid", pa.string()), ("eid", pa.string()), ("ets", pa.int64()), ("syncts", pa.int64()),
    ("channel", pa.string()), ("pdata_id", pa.string()), ("actor_id", pa.string()), ("actor_type", pa.string()),
    ("sid", pa.string()), ("did", pa.string()), ("object_id", pa.string()), ("event", pa.string()),
])
REFUSED_SCHEMA = pa.schema([
    ("reason", pa.string()), ("source", pa.string()), ("mid", pa.string()), ("eid", pa.string()),
    ("syncts", pa.int64()), ("payload", pa.binary()),
])


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if -(2 ** 63) < value < 2 ** 63 else None


def event_row(e: dict[str, Any]) -> tuple:
    context = e.get("context") if isinstance(e.get("context"), dict) else {}
    pdata = context.get("pdata") if isinstance(context.get("pdata"), dict) else {}
    actor = e.get("actor") if isinstance(e.get("actor"), dict) else {}
    obj = e.get("object") if isinstance(e.get("object"), dict) else {}
    return (_text(e.get("mid")), _text(e.get("eid")), _int(e.get("ets")), _int(e.get("syncts")),
            _text(context.get("channel")), _text(pdata.get("id")), _text(actor.get("id")), _text(actor.get("type")),
            _text(context.get("sid")), _text(context.get("did")), _text(obj.get("id")), orjson.dumps(e).decode())


def events_table(events: list[dict[str, Any]]) -> pa.Table:
    rows = [event_row(e) for e in events]
    columns = list(zip(*rows)) if rows else [[] for _ in EVENT_SCHEMA.names]
    return pa.table({name: list(values) for name, values in zip(EVENT_SCHEMA.names, columns)}, schema=EVENT_SCHEMA)


def subset_table(source: pa.Table, position: dict[int, int], events: list[dict[str, Any]]) -> pa.Table:
    """The table of ``events``, most of which are rows of ``source`` (``position``: id(event) ->
    row): those rows are taken from it (no second serialization); events not in it (SHARE items
    flattened later) are built and appended after them. Only valid while the events are alive and
    unchanged since ``source`` was built."""
    known: list[int] = []
    fresh: list[dict[str, Any]] = []
    for event in events:
        row = position.get(id(event))
        if row is None:
            fresh.append(event)
        else:
            known.append(row)
    taken = source.take(pa.array(known, pa.int64()))
    return pa.concat_tables([taken, events_table(fresh)]) if fresh else taken


def events_from_table(table: pa.Table) -> list[dict[str, Any]]:
    return [orjson.loads(text) for text in table.column("event").to_pylist()]


def refused_table(records: list[dict[str, Any]]) -> pa.Table:
    """Records ``{reason, source, payload[, mid, eid, syncts]}`` (payload: bytes or an event dict)."""
    rows = {name: [] for name in REFUSED_SCHEMA.names}
    for r in records:
        payload = r.get("payload")
        rows["reason"].append(str(r.get("reason", "")))
        rows["source"].append(str(r.get("source", "")))
        rows["mid"].append(_text(r.get("mid")))
        rows["eid"].append(_text(r.get("eid")))
        rows["syncts"].append(_int(r.get("syncts")))
        rows["payload"].append(payload if isinstance(payload, bytes) else orjson.dumps(payload))
    return pa.table(rows, schema=REFUSED_SCHEMA)


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()
