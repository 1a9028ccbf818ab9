"""One hour of telemetry in one pass: extract -> validate + dedup -> route, straight into the
Arrow tables of the ten hourly assets, a chunk of messages at a time.

Each event is read once (``checked_events``): by the native reader (``native_reader``), which
checks its text against its eid's schema and reads its key columns in one pass; else decoded by its
eid's compiled schema type (valid too, key columns off the Struct); else parsed by orjson and
checked by jsonschema-rs. Its text is the one sent with ``syncts`` and ``@timestamp`` spliced in.
Subset tables (unique, routed, druid, audit) are row takes of the raw table, not second
serializations. A chunk is handled in two parts: ``parse_chunk`` does everything that needs no dedup
state (~85 % of the CPU; ``parallel_parse`` runs it in worker processes), and
``HourProcessor.combine`` applies the dedup state in message order and cuts the ten tables. An hour
of any size needs the memory of a few chunks, not of the hour (on this project's VM, where touching
fresh memory is expensive, a 250k-event hour went from 3.0 GB peak and ~18 s to 0.7 GB for the whole
run worker and ~7-9 s). The dedup state (msgids, mids) spans the chunks; re-running the same
messages with the same seen sets gives the same tables, row
for row, however they are cut and wherever they are parsed.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.telemetry import tables
from platform_assets.telemetry.extraction import (
    MessageExtract,
    SourceMessage,
    duplicate_record,
    extract_event,
    extract_message,
    written_json,
)
from platform_assets.telemetry.routing import ROUTES, route_masks, share_items
from platform_assets.telemetry.validation import DUPLICATE_REASON, EventValidator

EVENT_OUTPUTS = ["raw_events", "unique_events", *ROUTES]
REFUSED_OUTPUTS = ["extractor_duplicates", "extractor_failed", "failed_events", "duplicate_events"]
OUTPUT_SCHEMAS = {
    **{n: tables.EVENT_SCHEMA for n in EVENT_OUTPUTS},
    **{n: tables.REFUSED_SCHEMA for n in REFUSED_OUTPUTS},
}


def reason_of(record: dict[str, Any]) -> str:
    """A refused record's reason up to its first ':' (what metadata counts by)."""
    return str(record.get("reason", "")).split(":")[0][:80]


@dataclass
class HourTotals:
    """What an hour's chunks added up to (for metadata, the failed-share check and the next hours'
    msgid dedup)."""

    msgids: list[str] = field(default_factory=list)  # msgids of the hour's accepted batches
    fact_msgids: list[str] = field(
        default_factory=list
    )  # of all its usable batches (its dedup facts)
    fact_mids: list[str] = field(
        default_factory=list
    )  # of all its schema-valid events (its dedup facts)
    messages: int = 0
    share_items: int = 0
    valid_read_exactly: int = 0  # valid events of accepted batches that no compiled type accepted
    rows: Counter = field(default_factory=Counter)  # per output table
    eids: Counter = field(default_factory=Counter)  # of unique events
    extractor: Counter = field(default_factory=Counter)
    validation: Counter = field(default_factory=Counter)
    produced: Counter = field(
        default_factory=Counter
    )  # per route: events produced to Kafka by this run

    @property
    def events(self) -> int:
        """Raw events, audit events included."""
        return self.rows["raw_events"]

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


@dataclass
class ParsedMessage:
    """What parsing found in one message, before any dedup: its msgid (None when the batch could not
    be used), sync time, size of its events list,
    extractor failures and how many raw rows it gave."""

    msgid: str | None
    syncts: int | None
    events_count: int
    failed: list[dict[str, Any]]
    rows: int
    valid_read_exactly: int = 0


@dataclass
class ParsedChunk:
    """The dedup-independent part of a chunk: every candidate raw row (events + audit events, in
    message order) with its validation error, and the items of every valid SHARE event. It depends
    only on the messages, so chunks can be parsed in any order and in other processes."""

    messages: list[ParsedMessage]
    rows: pa.Table  # EVENT_SCHEMA
    errors: list[str | None]  # per row: why it fails its schema, None when valid
    share: pa.Table  # EVENT_SCHEMA: items of valid SHARE events
    share_parents: list[int]  # per share item: its SHARE event's row


@dataclass
class CheckedMessage:
    """A message extracted without msgid dedup (that is ``HourProcessor.combine``'s), each of its
    raw rows (its accepted events, then its audit event) with its key columns, JSON text (sync time
    stamped) and schema error (None: valid); and its valid SHARE events, parsed, by row."""

    extract: MessageExtract
    rows: list[tuple] = field(default_factory=list)
    texts: list[bytes] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    shares: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    valid_read_exactly: int = (
        0  # valid events no compiled type accepted (undeclared members, no type)
    )


def checked_events(
    message: SourceMessage, validator: EventValidator, now_ms: int, env: str
) -> CheckedMessage:
    """The one definition of an hour's rows and of what an hour saw (``dedup_window``). An event the
    native reader accepted comes as its row; one its compiled type decoded is valid too, and its
    row is read off the type (no dicts built); any other was parsed by orjson and is checked
    exactly here."""
    one = extract_message(message, set(), now_ms, env, validator.valid_event, validator.row_reader)
    out = CheckedMessage(one)
    rows, texts, errors = out.rows, out.texts, out.errors
    for event, text in one.events:
        kind = type(event)
        if kind is not dict:  # valid: the native reader's row, or a compiled type's event
            rows.append(event if kind is tuple else tables.typed_row(event, one.syncts))
            texts.append(text)
            errors.append(None)
            if rows[-1][1] == "SHARE":
                out.shares.append((len(rows) - 1, orjson.loads(text)))
            continue
        _add_parsed(out, event, text, validator)
        out.valid_read_exactly += errors[-1] is None
    if one.audit is not None:
        _add_parsed(out, *one.audit, validator)
    return out


def valid_event_at(
    message: SourceMessage, index: int, validator: EventValidator, now_ms: int
) -> bool:
    """Whether event ``index`` of the message is one of the schema-valid rows ``checked_events``
    finds in it, read alone (``extract_event``): an event's validity depends on its batch only
    through the batch's usability and sync time."""
    one = extract_event(message, index, now_ms, validator.valid_event, validator.row_reader)
    if one is None or not one.events:
        return False
    event, _ = one.events[0]
    return type(event) is not dict or validator.error(event) is None


def _add_parsed(
    out: CheckedMessage, event: dict[str, Any], text: bytes, validator: EventValidator
) -> None:
    error = validator.error(event)
    out.rows.append(tables.event_row(event) if error is not None else tables.valid_event_row(event))
    out.texts.append(text)
    out.errors.append(error)
    if error is None and event["eid"] == "SHARE":
        out.shares.append((len(out.rows) - 1, event))


def parse_chunk(
    messages: Iterable[SourceMessage], validator: EventValidator, now_ms: int, env: str
) -> ParsedChunk:
    """Parse, check and serialize a chunk of messages (no dedup state: see
    ``HourProcessor.combine``)."""
    rows, share = tables.EventTableBuilder(), tables.EventTableBuilder()
    parsed: list[ParsedMessage] = []
    errors: list[str | None] = []
    share_parents: list[int] = []
    for message in messages:
        checked = checked_events(message, validator, now_ms, env)
        first = rows.extend(checked.rows, checked.texts)
        for row, event in checked.shares:
            for item in share_items(event):
                text = written_json(item)
                if (
                    text is not None
                ):  # else nested beyond what can be written: its SHARE event keeps it
                    share.add(tables.event_row(item), text)
                    share_parents.append(first + row)
        errors.extend(checked.errors)
        one = checked.extract
        parsed.append(
            ParsedMessage(
                one.msgid,
                one.syncts,
                one.events_count,
                one.failed,
                len(checked.rows),
                checked.valid_read_exactly,
            )
        )
    return ParsedChunk(parsed, rows.table(), errors, share.table(), share_parents)


class EarlierHours(Protocol):
    """Ids the earlier hours of the window saw beyond the seen sets
    (``dedup_window.DedupWindow``)."""

    def saw_msgid(self, msgid: str) -> bool: ...

    def saw_mid(self, mid: str) -> bool: ...


class _NothingEarlier:
    def saw_msgid(self, msgid: str) -> bool:
        return False

    def saw_mid(self, mid: str) -> bool:
        return False


class HourProcessor:
    """Turns an hour's messages, chunk by chunk and in order, into the ten tables' rows.
    ``seen_msgids`` / ``seen_mids`` hold what earlier hours of the dedup window saw (both grow with
    the hour's own); ``earlier`` answers for earlier hours known only by their landing files."""

    def __init__(
        self,
        validator: EventValidator,
        seen_msgids: set[str],
        seen_mids: set[str],
        now_ms: int,
        env: str,
        earlier: EarlierHours | None = None,
    ) -> None:
        self.validator, self.seen_msgids, self.seen_mids = validator, seen_msgids, seen_mids
        self.now_ms, self.env = now_ms, env
        self.earlier = earlier or _NothingEarlier()
        self.totals = HourTotals()

    def chunk(self, messages: list[SourceMessage]) -> dict[str, pa.Table]:
        """The ten tables of these messages (the next ones in the hour's order)."""
        return self.combine(messages, self.parse(messages))

    def parse(self, messages: list[SourceMessage]) -> ParsedChunk:
        return parse_chunk(messages, self.validator, self.now_ms, self.env)

    def combine(self, messages: list[SourceMessage], parsed: ParsedChunk) -> dict[str, pa.Table]:
        """The ten tables of a parsed chunk, with the dedup state applied in message order: a batch
        whose msgid was seen goes whole to ``extractor_duplicates``, a valid event whose mid was
        seen to ``duplicate_events``. Which unique rows go
        to which stream is decided on the ``eid`` column."""
        totals, seen_msgids, saw_msgid = self.totals, self.seen_msgids, self.earlier.saw_msgid
        rows = parsed.rows
        keep = np.ones(rows.num_rows, dtype=bool)  # rows of batches that are not duplicates
        extractor_failed: list[dict[str, Any]] = []
        extractor_duplicates: list[dict[str, Any]] = []
        start = 0
        for message, found in zip(messages, parsed.messages, strict=True):
            end, msgid = start + found.rows, found.msgid
            if msgid is None:  # not a usable batch
                extractor_failed.extend(found.failed)
            elif msgid in seen_msgids or saw_msgid(msgid):
                assert found.syncts is not None  # set for every usable batch
                totals.fact_msgids.append(msgid)
                extractor_duplicates.append(
                    duplicate_record(message, msgid, found.syncts, found.events_count)
                )
                keep[start:end] = False
            else:
                totals.fact_msgids.append(msgid)
                seen_msgids.add(msgid)
                totals.msgids.append(msgid)
                totals.valid_read_exactly += found.valid_read_exactly
                extractor_failed.extend(found.failed)
            start = end
        mids = rows.column("mid").to_pylist()
        totals.fact_mids.extend(
            mid for mid, error in zip(mids, parsed.errors, strict=True) if error is None
        )
        unique, failed, duplicates = self._dedup(mids, parsed.errors, keep)
        unique_mask = pa.array(unique, pa.bool_())
        masks = route_masks(rows.column("eid"), unique_mask)
        items = [i for i, parent in enumerate(parsed.share_parents) if unique[parent]]
        share = (
            parsed.share.take(pa.array(items, pa.int64()))
            if len(items) < parsed.share.num_rows
            else parsed.share
        )
        out = {
            "raw_events": rows if keep.all() else rows.filter(pa.array(keep)),
            "extractor_duplicates": tables.refused_table(extractor_duplicates),
            "extractor_failed": tables.refused_table(extractor_failed),
            "unique_events": rows.filter(unique_mask),
            "failed_events": tables.refused_rows(
                rows, failed, [error for i in failed if (error := parsed.errors[i]) is not None]
            ),
            "duplicate_events": tables.refused_rows(
                rows, duplicates, [DUPLICATE_REASON] * len(duplicates)
            ),
            **{name: rows.filter(masks[name]) for name in ROUTES if name != "routed_events"},
            "routed_events": _with_share_items(
                rows, masks["routed_events"], share, [parsed.share_parents[i] for i in items]
            ),
        }
        totals.messages += len(messages)
        totals.share_items += share.num_rows
        totals.eids.update(_value_counts(out["unique_events"].column("eid")))
        totals.extractor.update(map(reason_of, extractor_failed))
        totals.validation.update(reason_of({"reason": parsed.errors[i]}) for i in failed)
        totals.rows.update({name: table.num_rows for name, table in out.items()})
        return out

    def _dedup(
        self, mids: list[str | None], errors: list[str | None], keep: np.ndarray
    ) -> tuple[list[bool], list[int], list[int]]:
        """Per row: unique or not; the rows that failed their schema; the valid rows whose mid was
        seen (earlier in the window, or earlier in the hour). ``seen_mids`` grows."""
        seen, saw_mid = self.seen_mids, self.earlier.saw_mid
        unique = [False] * len(mids)
        failed: list[int] = []
        duplicates: list[int] = []
        for row in np.flatnonzero(keep).tolist():
            if errors[row] is not None:
                failed.append(row)
                continue
            mid = mids[row]
            assert mid is not None  # a schema-valid event has a mid
            if mid in seen or saw_mid(mid):
                duplicates.append(row)
                continue
            seen.add(mid)
            unique[row] = True
        return unique, failed, duplicates


def _with_share_items(
    raw: pa.Table, routed: pa.Array, share: pa.Table, parents: list[int]
) -> pa.Table:
    """The routed rows of ``raw``, each SHARE event followed by its items (rows of ``share``)."""
    rows = np.flatnonzero(routed.to_numpy(zero_copy_only=False))
    if not parents:
        return tables.take_rows(raw, rows)
    # sort keys: a raw row r at 2r, its items at 2r + 1 (a stable sort keeps the items' own order)
    keys = np.concatenate([rows * 2, np.asarray(parents, dtype=np.int64) * 2 + 1])
    picks = np.concatenate([rows, raw.num_rows + np.arange(len(parents))])
    return tables.take_rows(pa.concat_tables([raw, share]), picks[np.argsort(keys, kind="stable")])


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    counted = pc.value_counts(column)
    return (
        dict(
            zip(
                counted.field("values").to_pylist(),
                counted.field("counts").to_pylist(),
                strict=True,
            )
        )
        if len(column)
        else {}
    )


@dataclass
class HourOutputs:
    tables: dict[str, pa.Table]
    totals: HourTotals


def process_hour(
    messages: list[SourceMessage],
    validator: EventValidator,
    seen_msgids: set[str],
    seen_mids: set[str],
    now_ms: int,
    env: str,
) -> HourOutputs:
    """The ten tables of ``messages`` whole, in one chunk (tests, the in-memory benchmark)."""
    processor = HourProcessor(validator, seen_msgids, seen_mids, now_ms, env)
    return HourOutputs(processor.chunk(messages), processor.totals)
