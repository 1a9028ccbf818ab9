"""One hour of telemetry in one pass: extract -> validate + dedup -> route, straight into the
Arrow tables of the ten hourly assets.

Each batch is parsed once, each event checked once against its schema and serialized once (with
``syncts`` and ``@timestamp``); a valid event's key columns are read without type checks, since
its schema guarantees them. Per message, the parsed events are dropped as soon as their rows are
taken, so an hour of a million events never holds a million dicts. Subset tables (unique,
routed, druid, audit) are row takes of the raw table, not second serializations. Re-running the
same messages with the same seen sets gives the same tables, row for row.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson
import pyarrow as pa

from platform_assets.telemetry import tables
from platform_assets.telemetry.extraction import SourceMessage, extract_message
from platform_assets.telemetry.routing import ROUTES, routes_of, share_items
from platform_assets.telemetry.validation import FAILED, UNIQUE, EventValidator, classify, refused_event

def reason_counts(records: list[dict[str, Any]], top: int = 20) -> dict[str, int]:
    """How many records per reason (up to its first ':'), most frequent first: for metadata."""
    counts = Counter(str(r.get("reason", "")).split(":")[0][:80] for r in records)
    return dict(counts.most_common(top))


@dataclass
class HourOutputs:
    tables: dict[str, pa.Table]
    msgids: list[str]                      # msgids of the hour's accepted batches (the next hours' dedup)
    messages: int = 0
    events: int = 0                        # raw events, audit events included
    share_items: int = 0
    events_by_eid: dict[str, int] = field(default_factory=dict)   # of unique events
    extractor_reasons: dict[str, int] = field(default_factory=dict)
    validation_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def failed_events(self) -> int:
        return self.tables["failed_events"].num_rows


def process_hour(messages: Iterable[SourceMessage], validator: EventValidator, seen_msgids: set[str],
                 seen_mids: set[str], now_ms: int, env: str) -> HourOutputs:
    """The ten hourly tables of ``messages``. ``seen_msgids`` / ``seen_mids`` hold what earlier
    hours of the dedup window accepted; both grow."""
    raw, share = tables.EventTableBuilder(), tables.EventTableBuilder()
    unique: list[int] = []
    routed: dict[str, list[int]] = {name: [] for name in ROUTES}
    extractor_failed: list[dict[str, Any]] = []
    extractor_duplicates: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    duplicates: list[dict[str, Any]] = []
    msgids: list[str] = []
    eids: Counter = Counter()
    count = 0
    for message in messages:
        count += 1
        one = extract_message(message, seen_msgids, now_ms, env)
        extractor_failed.extend(one.failed)
        if one.duplicate is not None:
            extractor_duplicates.append(one.duplicate)
        if one.msgid is not None:
            msgids.append(one.msgid)
        kinds = classify([event for event, _ in one.events], validator, seen_mids)
        for (event, text), (kind, reason) in zip(one.events, kinds):
            if kind == FAILED:
                raw.add(tables.event_row(event), text)
                failed.append(refused_event(event, reason, text))
                continue
            row = raw.add(tables.valid_event_row(event), text)
            if kind != UNIQUE:
                duplicates.append(refused_event(event, reason, text))
                continue
            unique.append(row)
            eid = event["eid"]
            eids[eid] += 1
            for name in routes_of(eid):
                routed[name].append(row)
            if eid == "SHARE":
                for item in share_items(event):
                    share.add(tables.event_row(item), orjson.dumps(item))
    raw_table = raw.table()
    share_table = share.table()
    outputs = {
        "raw_events": raw_table,
        "extractor_duplicates": tables.refused_table(extractor_duplicates),
        "extractor_failed": tables.refused_table(extractor_failed),
        "unique_events": tables.take_rows(raw_table, unique),
        "failed_events": tables.refused_table(failed),
        "duplicate_events": tables.refused_table(duplicates),
        **{name: tables.take_rows(raw_table, rows, share_table if name == "routed_events" else None)
           for name, rows in routed.items()},
    }
    return HourOutputs(outputs, msgids, messages=count, events=raw_table.num_rows, share_items=share_table.num_rows,
                       events_by_eid=dict(eids.most_common()), extractor_reasons=reason_counts(extractor_failed),
                       validation_reasons=reason_counts(failed))
