"""One hour of telemetry in one pass: extract -> validate + dedup -> route, straight into the
Arrow tables of the ten hourly assets, a chunk of messages at a time.

Each batch is parsed once, each event checked once against its schema and serialized once (with
``syncts`` and ``@timestamp``); a valid event's key columns are read without type checks, since
its schema guarantees them. Subset tables (unique, routed, druid, audit) are row takes of the raw
table, not second serializations. An ``HourProcessor`` turns each chunk of messages into the ten
tables' rows for that chunk (the caller appends them to its files as row groups), so an hour of
any size needs the memory of one chunk, not of the hour: on a VM where touching fresh memory is
expensive that halved the hour's time (22 s -> see the README). The dedup state (msgids, mids)
spans the chunks; re-running the same messages with the same seen sets gives the same tables,
row for row, however they are cut into chunks.
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

EVENT_OUTPUTS = ["raw_events", "unique_events", *ROUTES]
REFUSED_OUTPUTS = ["extractor_duplicates", "extractor_failed", "failed_events", "duplicate_events"]
OUTPUT_SCHEMAS = {**{n: tables.EVENT_SCHEMA for n in EVENT_OUTPUTS}, **{n: tables.REFUSED_SCHEMA for n in REFUSED_OUTPUTS}}


def reason_of(record: dict[str, Any]) -> str:
    """A refused record's reason up to its first ':' (what metadata counts by)."""
    return str(record.get("reason", "")).split(":")[0][:80]


def reason_counts(records: list[dict[str, Any]], top: int = 20) -> dict[str, int]:
    """How many records per reason (``reason_of``), most frequent first: for metadata."""
    return dict(Counter(map(reason_of, records)).most_common(top))


@dataclass
class HourTotals:
    """What an hour's chunks added up to (for metadata, the failed-share check and the next hours'
    msgid dedup)."""

    msgids: list[str] = field(default_factory=list)    # msgids of the hour's accepted batches
    messages: int = 0
    events: int = 0                                    # raw events, audit events included
    share_items: int = 0
    rows: Counter = field(default_factory=Counter)     # per output table
    eids: Counter = field(default_factory=Counter)     # of unique events
    extractor: Counter = field(default_factory=Counter)
    validation: Counter = field(default_factory=Counter)

    @property
    def failed_events(self) -> int:
        return self.rows["failed_events"]

    @property
    def events_by_eid(self) -> dict[str, int]:
        return dict(self.eids.most_common())

    @property
    def extractor_reasons(self) -> dict[str, int]:
        return dict(self.extractor.most_common(20))

    @property
    def validation_reasons(self) -> dict[str, int]:
        return dict(self.validation.most_common(20))


class HourProcessor:
    """Turns an hour's messages, chunk by chunk and in order, into the ten tables' rows.
    ``seen_msgids`` / ``seen_mids`` hold what earlier hours of the dedup window accepted; both grow."""

    def __init__(self, validator: EventValidator, seen_msgids: set[str], seen_mids: set[str], now_ms: int,
                 env: str) -> None:
        self.validator, self.seen_msgids, self.seen_mids = validator, seen_msgids, seen_mids
        self.now_ms, self.env = now_ms, env
        self.totals = HourTotals()

    def chunk(self, messages: Iterable[SourceMessage]) -> dict[str, pa.Table]:
        """The ten tables of these messages (the next ones in the hour's order)."""
        raw, share = tables.EventTableBuilder(), tables.EventTableBuilder()
        unique: list[int] = []
        routed: dict[str, list[int]] = {name: [] for name in ROUTES}
        extractor_failed: list[dict[str, Any]] = []
        extractor_duplicates: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        duplicates: list[dict[str, Any]] = []
        totals, eids = self.totals, self.totals.eids
        for message in messages:
            totals.messages += 1
            one = extract_message(message, self.seen_msgids, self.now_ms, self.env)
            extractor_failed.extend(one.failed)
            if one.duplicate is not None:
                extractor_duplicates.append(one.duplicate)
            if one.msgid is not None:
                totals.msgids.append(one.msgid)
            kinds = classify([event for event, _ in one.events], self.validator, self.seen_mids)
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
                if eid == "SHARE":  # the items follow their event in routed_events (as -1, -2, ...: share rows)
                    for item in share_items(event):
                        routed["routed_events"].append(-1 - share.add(tables.event_row(item), orjson.dumps(item)))
        raw_table, share_table = raw.table(), share.table()
        out = {
            "raw_events": raw_table,
            "extractor_duplicates": tables.refused_table(extractor_duplicates),
            "extractor_failed": tables.refused_table(extractor_failed),
            "unique_events": tables.take_rows(raw_table, unique),
            "failed_events": tables.refused_table(failed),
            "duplicate_events": tables.refused_table(duplicates),
            **{name: tables.take_rows(raw_table, rows) for name, rows in routed.items() if name != "routed_events"},
            "routed_events": tables.take_rows(pa.concat_tables([raw_table, share_table]),
                                              [r if r >= 0 else raw_table.num_rows - 1 - r for r in routed["routed_events"]]),
        }
        totals.events += raw_table.num_rows
        totals.share_items += share_table.num_rows
        totals.extractor.update(map(reason_of, extractor_failed))
        totals.validation.update(map(reason_of, failed))
        totals.rows.update({name: table.num_rows for name, table in out.items()})
        return out


@dataclass
class HourOutputs:
    tables: dict[str, pa.Table]
    totals: HourTotals


def process_hour(messages: Iterable[SourceMessage], validator: EventValidator, seen_msgids: set[str],
                 seen_mids: set[str], now_ms: int, env: str) -> HourOutputs:
    """The ten tables of ``messages`` whole, in one chunk (tests, the in-memory benchmark)."""
    processor = HourProcessor(validator, seen_msgids, seen_mids, now_ms, env)
    return HourOutputs(processor.chunk(messages), processor.totals)
