"""Routing of unique events to the streams downstream consumers read.

LOG -> druid_log_events; ERROR -> druid_error_events; AUDIT -> audit_events *and* the main stream;
SHARE -> the main stream, plus one SHARE_ITEM event per shared item (flattened, so that each item
can be counted and denormalized on its own); everything else -> the main stream (``routed_events``,
which denormalization reads).
"""

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

ROUTES = ("routed_events", "druid_log_events", "druid_error_events", "audit_events")


@dataclass
class Routed:
    routed_events: list[dict[str, Any]] = field(default_factory=list)
    druid_log_events: list[dict[str, Any]] = field(default_factory=list)
    druid_error_events: list[dict[str, Any]] = field(default_factory=list)
    audit_events: list[dict[str, Any]] = field(default_factory=list)
    share_items: int = 0

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ROUTES}


def share_items(event: dict[str, Any]) -> list[dict[str, Any]]:
    """One SHARE_ITEM event per item of a SHARE event; mids derive from the SHARE's mid."""
    edata = event.get("edata") or {}
    items = edata.get("items")
    if not isinstance(items, list):
        items = []
    flattened = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        flat = {k: v for k, v in event.items() if k not in ("edata", "mid", "eid", "object")}
        flat.update(
            {
                "eid": "SHARE_ITEM",
                "mid": f"{event['mid']}:item:{index}",
                "object": {
                    "id": str(item.get("id", "")),
                    "type": str(item.get("type", "")),
                    "ver": str(item.get("ver", "")),
                },
                "edata": {
                    "dir": edata.get("dir"),
                    "type": edata.get("type"),
                    "index": index,
                    "params": item.get("params", []),
                    "origin": item.get("origin"),
                    "to": item.get("to"),
                },
            }
        )
        flattened.append(flat)
    return flattened


_ROUTES_BY_EID = {
    "LOG": ("druid_log_events",),
    "ERROR": ("druid_error_events",),
    "AUDIT": ("routed_events", "audit_events"),
}
_MAIN = ("routed_events",)


def routes_of(eid: str) -> tuple[str, ...]:
    """The streams an event of ``eid`` goes to (SHARE also brings its items, see
    ``share_items``)."""
    return _ROUTES_BY_EID.get(eid, _MAIN)


# the column form of _ROUTES_BY_EID: the eids a listed
# stream takes, and those the main stream does not
_TAKEN_BY = {
    name: pa.array([eid for eid, routes in _ROUTES_BY_EID.items() if name in routes], pa.string())
    for name in ROUTES
    if name not in _MAIN
}
_NOT_MAIN = pa.array(
    [eid for eid, routes in _ROUTES_BY_EID.items() if _MAIN[0] not in routes], pa.string()
)


def route_masks(eids: pa.Array | pa.ChunkedArray, unique: pa.Array) -> dict[str, pa.Array]:
    """Per stream, which rows go there: the unique ones whose eid ``routes_of`` sends there (the
    column form of ``routes_of``, for a table's ``eid`` column; share items aside)."""
    chosen = {name: pc.is_in(eids, value_set=taken) for name, taken in _TAKEN_BY.items()}
    main = pc.invert(pc.is_in(eids, value_set=_NOT_MAIN))
    return {name: pc.and_(unique, main if name in _MAIN else chosen[name]) for name in ROUTES}


def route(events: list[dict[str, Any]]) -> Routed:
    out = Routed()
    for event in events:
        for name in routes_of(event["eid"]):
            getattr(out, name).append(event)
        if event["eid"] == "SHARE":
            items = share_items(event)
            out.routed_events.extend(items)
            out.share_items += len(items)
    return out
