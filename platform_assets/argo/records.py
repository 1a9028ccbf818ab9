"""Metric records: the ARGO metric_data shape, decoding (JSON / Avro) and validation.

A record is good when it decodes, has every required field as a string, a known status and a
timestamp inside the UTC day it is filed under. Everything else is kept in a quarantine table with
one reason per record, so bad input is visible and never silently dropped.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import fastavro
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from platform_assets.argo.avro_columns import Columns

# The fields of ARGO's metric_data Avro record (field names and nullability as in ARGO).
METRIC_AVRO_SCHEMA = fastavro.parse_schema(
    {
        "type": "record",
        "name": "metric_data",
        "namespace": "argo.avro",
        "fields": [
            {"name": "timestamp", "type": "string"},
            {"name": "service", "type": "string"},
            {"name": "hostname", "type": "string"},
            {"name": "metric", "type": "string"},
            {"name": "status", "type": "string"},
            {"name": "monitoring_host", "type": ["null", "string"], "default": None},
            {"name": "actual_data", "type": ["null", "string"], "default": None},
            {"name": "summary", "type": ["null", "string"], "default": None},
            {"name": "message", "type": ["null", "string"], "default": None},
            {
                "name": "tags",
                "type": ["null", {"type": "map", "values": ["null", "string"]}],
                "default": None,
            },
        ],
    }
)

REQUIRED_FIELDS = ("timestamp", "service", "hostname", "metric", "status")
OPTIONAL_FIELDS = ("monitoring_host", "actual_data", "summary", "message")
# A status is a state name of the tenant's operations profile (ARGO's six, or the profile's own):
# checked against the profile when A/R is computed. Ingest refuses what cannot be a state name.
STATUS_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,39}")

METRIC_TABLE_SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("s", tz="UTC")),
        ("service", pa.string()),
        ("hostname", pa.string()),
        ("metric", pa.string()),
        ("status", pa.string()),
        ("monitoring_host", pa.string()),
        ("actual_data", pa.string()),
        ("summary", pa.string()),
        ("message", pa.string()),
        ("tags", pa.string()),  # JSON text of the tags map: stable across Parquet/Spark/pandas
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [("origin", pa.string()), ("raw", pa.string()), ("reason", pa.string())]
)
RAW_PREVIEW_CHARS = 2000


class DecodeError(ValueError):
    """A payload could not be decoded as a metric record."""


def decode_json(payload: bytes | str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"unparseable JSON: {exc}") from None
    except RecursionError:
        raise DecodeError("unparseable JSON: nested too deep") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise DecodeError(f"unparseable JSON: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise DecodeError(f"JSON value is a {type(value).__name__}, not an object")
    return value


def decode_avro(payload: bytes) -> dict[str, Any]:
    """Decode one schemaless Avro value (how ARGO publishes metric data on its message bus)."""
    try:
        buffer = io.BytesIO(payload)
        value = fastavro.schemaless_reader(buffer, METRIC_AVRO_SCHEMA, None)
        if buffer.tell() != len(payload):
            raise DecodeError("unparseable Avro: trailing bytes after the record")
        return value  # type: ignore[return-value]
    except DecodeError:
        raise
    except Exception as exc:  # fastavro raises many types on truncated/garbage input
        raise DecodeError(f"unparseable Avro: {type(exc).__name__}: {exc}") from None


def encode_avro(record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, METRIC_AVRO_SCHEMA, record)
    return buffer.getvalue()


def parse_timestamp(value: str) -> datetime:
    """ARGO timestamps are ISO-8601 UTC (``2024-01-02T10:05:00Z``); naive ones are taken as UTC,
    other offsets converted. ValueError for anything else, including an instant that has no UTC
    date (``0001-01-01T00:30:00+01:00``)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).replace(microsecond=0)
    except OverflowError:
        raise ValueError(f"{value[:40]!r} has no UTC date") from None


@dataclass(frozen=True)
class IngestWindow:
    """The instants a record may carry: from the tenant's first partition day to a tolerance
    beyond now. A record outside it (a clock at 1970 or at 9999) would land in a day that is never
    processed, so it is quarantined instead."""

    earliest: datetime
    latest: datetime

    def reason(self, ts: datetime) -> str | None:
        if self.earliest <= ts <= self.latest:
            return None
        return (
            f"timestamp {ts.isoformat()} outside the ingest window "
            f"[{self.earliest.isoformat()}, {self.latest.isoformat()}]"
        )


def not_text(record: dict[str, Any]) -> str | None:
    """The first string of the record that is not Unicode text (a lone surrogate), if any."""
    tags = record.get("tags")
    strings = [(n, record.get(n)) for n in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)]
    if isinstance(tags, dict):
        strings += [("tags", k) for k in tags] + [("tags", v) for v in tags.values()]
    for name, value in strings:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"field {name!r} holds a lone surrogate (not Unicode text)"
    return None


def _preview(raw: Any) -> str:
    """What the quarantine shows of a refused record: always valid text, at most 2,000 chars."""
    if isinstance(raw, bytes):
        text = raw[: RAW_PREVIEW_CHARS * 4].decode("utf-8", errors="backslashreplace")
    elif isinstance(raw, str):
        text = raw[:RAW_PREVIEW_CHARS]
    else:
        try:
            text = json.dumps(raw, default=str, ensure_ascii=False)[:RAW_PREVIEW_CHARS]
        except (RecursionError, ValueError):
            text = repr(raw)[:RAW_PREVIEW_CHARS]
    return text[:RAW_PREVIEW_CHARS].encode("utf-8", "backslashreplace").decode("utf-8")


def check_record(
    record: dict[str, Any],
    day: date | None,
    parse: Callable[[str], datetime] = parse_timestamp,
    decoded_from_utf8: bool = False,
) -> tuple[datetime | None, str | None]:
    """Return (timestamp, None) for a good record or (None, reason) for a bad one. A record
    ``decoded_from_utf8`` (Avro) cannot hold a lone surrogate: its strings are not checked again."""
    if not isinstance(record, dict):
        return None, f"a {type(record).__name__}, not a metric record"
    for name in REQUIRED_FIELDS:
        value = record.get(name)
        if value is None or value == "":
            return None, f"missing field {name!r}"
        if not isinstance(value, str):
            return None, f"field {name!r} is a {type(value).__name__}, not a string"
    for name in OPTIONAL_FIELDS:
        if record.get(name) is not None and not isinstance(record[name], str):
            return None, f"field {name!r} is a {type(record[name]).__name__}, not a string"
    broken = None if decoded_from_utf8 else not_text(record)
    if broken:
        return None, broken
    if not STATUS_NAME.fullmatch(record["status"]):
        return None, f"not a status name {record['status'][:40]!r}"
    try:
        ts = parse(record["timestamp"])
    except (ValueError, TypeError):
        return None, f"bad timestamp {record['timestamp'][:40]!r}"
    if day is not None and ts.date() != day:
        return (
            None,
            f"timestamp {record['timestamp'][:40]!r} outside the day window {day.isoformat()}",
        )
    tags = record.get("tags")
    if tags is not None and not isinstance(tags, dict):
        return None, "field 'tags' is not a map"
    if tags and not all(isinstance(v, str | None) for v in tags.values()):
        return None, "field 'tags' holds a value that is not a string"
    return ts, None


_NO_STAMP = np.iinfo(np.int64).min  # an unparseable timestamp, in epoch seconds


def _reason(failure: int, record: dict[str, Any], day: date | None) -> str:
    """The reason ``check_record`` gives for ``add_columns``' failure code (1-5: a required
    field missing, in REQUIRED_FIELDS order; then status, timestamp, day window)."""
    required = len(REQUIRED_FIELDS)
    if failure <= required:
        return f"missing field {REQUIRED_FIELDS[failure - 1]!r}"
    if failure == required + 1:
        return f"not a status name {record['status'][:40]!r}"
    if failure == required + 2:
        return f"bad timestamp {record['timestamp'][:40]!r}"
    return (
        f"timestamp {record['timestamp'][:40]!r} outside the day window "
        f"{day.isoformat() if day else ''}"
    )


MEMO_LIMIT = 200_000  # distinct timestamps / tag maps remembered while sorting


@dataclass
class RecordSorter:
    """Accumulates decoded payloads into a good-record table and a quarantine table."""

    day: date | None = None
    records_unreadable: int = 0  # records of damaged Avro blocks, by their declared count
    blocks_of_unknown_size: int = 0  # damaged Avro blocks whose record count is unreadable
    _good: dict[str, list[Any]] = field(
        default_factory=lambda: {f.name: [] for f in METRIC_TABLE_SCHEMA}
    )
    _bad: dict[str, list[Any]] = field(
        default_factory=lambda: {f.name: [] for f in QUARANTINE_SCHEMA}
    )
    _stamps: dict[str, datetime] = field(default_factory=dict)
    _tag_texts: dict[tuple, str] = field(default_factory=dict)
    _chunks: list[pa.Table] = field(default_factory=list)  # good records added as columns

    def add(
        self, origin: str, record: dict[str, Any], decoded_from_utf8: bool = False
    ) -> datetime | None:
        ts, reason = check_record(record, self.day, self._timestamp, decoded_from_utf8)
        if reason is not None:
            self.reject(origin, record, reason)
            return None
        good = self._good
        good["timestamp"].append(ts)
        for name in ("service", "hostname", "metric", "status", *OPTIONAL_FIELDS):
            good[name].append(record.get(name))
        tags = record.get("tags")
        good["tags"].append(self._tags_text(tags) if tags else None)
        return ts

    def _timestamp(self, text: str) -> datetime:
        """``parse_timestamp``, each distinct text parsed once (a day's records share at most
        86,400 seconds); the memo is bounded so hostile input cannot grow it without end."""
        parsed = self._stamps.get(text)
        if parsed is None:
            parsed = parse_timestamp(text)
            if len(self._stamps) >= MEMO_LIMIT:
                self._stamps.clear()
            self._stamps[text] = parsed
        return parsed

    def _tags_text(self, tags: dict[str, Any]) -> str:
        """The tags as canonical JSON text, each distinct map encoded once."""
        key = tuple(sorted(tags.items()))
        text = self._tag_texts.get(key)
        if text is None:
            text = json.dumps(tags, sort_keys=True, ensure_ascii=False)
            if len(self._tag_texts) >= MEMO_LIMIT:
                self._tag_texts.clear()
            self._tag_texts[key] = text
        return text

    def add_columns(self, name: str, columns: Columns) -> None:
        """A file's records read as columns (``avro_columns``): the same checks as ``add``, in the
        same order and with the same reasons, made once per distinct value (a day's records share
        few timestamps and statuses) instead of once per record. Rejected rows are named
        ``<file>#<n>`` as ``add`` names them."""
        rows = columns.rows
        if rows == 0:
            return
        arrays = columns.arrays
        # the first failing check of each record, as check_record orders them (0: none)
        failure = np.zeros(rows, dtype=np.int8)
        checks: list[np.ndarray] = []
        for field_name in REQUIRED_FIELDS:
            column = arrays.get(field_name)
            if column is None:
                checks.append(np.ones(rows, dtype=bool))
                continue
            empty = pc.fill_null(pc.equal(pc.binary_length(column), 0), True)
            checks.append(empty.to_numpy(zero_copy_only=False))
        absent = pa.nulls(rows, pa.string())
        status = pc.dictionary_encode(arrays.get("status", absent))
        # a null status is "missing" (checked above); the last code stands for it
        named = np.array(
            [bool(STATUS_NAME.fullmatch(v)) for v in status.dictionary.to_pylist()] + [True]
        )
        codes = status.indices.fill_null(len(named) - 1).to_numpy(zero_copy_only=False)
        checks.append(~named[codes])
        stamps = pc.dictionary_encode(arrays.get("timestamp", absent))
        seconds, outside = self._stamp_codes(stamps.dictionary.to_pylist())
        stamp_codes = stamps.indices.fill_null(0).to_numpy(zero_copy_only=False)
        checks.append(seconds[stamp_codes] == _NO_STAMP)
        checks.append(outside[stamp_codes])
        for code in range(len(checks), 0, -1):  # the earliest failing check wins
            failure[checks[code - 1]] = code
        good = failure == 0
        tags = self._tags_column(columns)
        table = pa.table(
            {
                "timestamp": pa.array(seconds[stamp_codes], pa.int64()).cast(
                    METRIC_TABLE_SCHEMA.field("timestamp").type
                ),
                **{
                    f: arrays.get(f, absent)
                    for f in ("service", "hostname", "metric", "status", *OPTIONAL_FIELDS)
                },
                "tags": tags,
            },
            schema=METRIC_TABLE_SCHEMA,
        )
        if good.all():
            self._chunks.append(table)
            return
        self._chunks.append(table.filter(pa.array(good)))
        for row in np.flatnonzero(~good).tolist():
            record = columns.record(row)
            self.reject(f"{name}#{row}", record, _reason(int(failure[row]), record, self.day))

    def _stamp_codes(self, texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct timestamp text: its epoch seconds (``_NO_STAMP`` when unparseable) and
        whether it falls outside the sorter's day."""
        seconds = np.full(len(texts) or 1, _NO_STAMP, dtype=np.int64)
        outside = np.zeros(len(texts) or 1, dtype=bool)
        for i, text in enumerate(texts):
            if not text:
                continue
            try:
                ts = self._timestamp(text)
            except (ValueError, TypeError):
                continue
            seconds[i] = int(ts.timestamp())
            outside[i] = self.day is not None and ts.date() != self.day
        return seconds, outside

    def _tags_column(self, columns: Columns) -> pa.Array:
        """The canonical JSON text of each record's tags (null for none or an empty map), each
        distinct map encoded once."""
        found = columns.distinct_maps("tags")
        if found is None:
            return pa.nulls(columns.rows, pa.string())
        maps, positions = found
        texts = [self._tags_text(tags) if tags else None for tags in maps]
        return pc.take(pa.array(texts, pa.string()), positions)

    def reject(self, origin: str, raw: Any, reason: str) -> None:
        self._bad["origin"].append(origin)
        self._bad["raw"].append(_preview(raw))
        self._bad["reason"].append(reason)

    def add_payload(self, origin: str, payload: bytes, encoding: str) -> datetime | None:
        try:
            record = decode_avro(payload) if encoding == "avro" else decode_json(payload)
        except DecodeError as exc:
            self.reject(origin, payload, str(exc))
            return None
        return self.add(origin, record)

    def take_tables(self) -> tuple[pa.Table, pa.Table]:
        """(good records, quarantine), handed over: the sorter keeps none of them, so that a
        day's unsorted records are freed as soon as their sorted copy is made."""
        good = pa.table(self._good, schema=METRIC_TABLE_SCHEMA)
        if self._chunks:
            good = pa.concat_tables([good, *self._chunks])
        bad = pa.table(self._bad, schema=QUARANTINE_SCHEMA)
        for column in (*self._good.values(), *self._bad.values()):
            column.clear()  # copied into the tables above
        self._chunks.clear()
        return good, bad


CANONICAL_ORDER = [
    ("timestamp", "ascending"),
    ("service", "ascending"),
    ("hostname", "ascending"),
    ("metric", "ascending"),
    ("status", "ascending"),
    ("monitoring_host", "ascending"),
    ("summary", "ascending"),
    ("message", "ascending"),
    ("actual_data", "ascending"),
    ("tags", "ascending"),
]


# the leading fields of CANONICAL_ORDER: a check result's identity, few distinct values a day
# (hosts, metrics, statuses, seconds), and records equal in them are rare (redeliveries). The
# probes' outputs after them are mostly distinct texts: compared only where the leading fields tie
LEADING_FIELDS = 6


def dedup_and_sort(table: pa.Table) -> pa.Table:
    """Exact duplicate records (the same check result delivered twice) collapse into one, and the
    order becomes canonical (``CANONICAL_ORDER``, nulls last) so a re-run writes identical bytes.

    Each leading field is sorted as an integer: the rank of its value among the field's distinct
    values (a day repeats a few thousand hosts, metrics and statuses). The ranks are packed into
    as few 63-bit words as they fit, most significant field first, and sorting the words sorts
    the records. Only records whose leading fields tie are then ordered, and deduplicated, by
    the trailing fields (summary, message, actual data, tags), ranked among those records alone:
    ranking two million distinct summaries cost more than the rest of the sort."""
    if table.num_rows == 0:
        return table
    leading = [name for name, _ in CANONICAL_ORDER[:LEADING_FIELDS]]
    trailing = [name for name, _ in CANONICAL_ORDER[LEADING_FIELDS:]]
    texts = {name: _dictionary(table.column(name)) for name in leading if name != "timestamp"}
    order, tie = _sorted(
        _packed(
            _stamp_rank(table.column(name)) if name == "timestamp" else _rank(texts[name])
            for name in leading
        )
    )
    keep = np.ones(len(order), dtype=bool)
    tied = np.zeros(len(order), dtype=bool)  # positions in a run of equal leading fields
    tied[1:] |= tie
    tied[:-1] |= tie
    positions = np.flatnonzero(tied)
    if len(positions):
        rows = order[positions]
        run = np.cumsum(np.concatenate([[True], ~tie[positions[1:] - 1]])) - 1
        among = table.select(trailing).take(pa.array(rows))
        within, repeat = _sorted(
            _packed([run, *(_rank(_dictionary(among.column(name))) for name in trailing)])
        )
        order[positions] = rows[within]  # each run keeps its positions: ``run`` sorts first
        keep[positions[1:][repeat]] = False
    taken = pa.array(order[keep])
    # leading texts taken as codes, then decoded: a gather into a few thousand values
    columns = {
        f.name: pa.DictionaryArray.from_arrays(
            pc.take(texts[f.name].indices, taken), texts[f.name].dictionary
        ).cast(f.type)
        if f.name in texts
        else pc.take(table.column(f.name), taken).cast(f.type)
        for f in METRIC_TABLE_SCHEMA
    }
    return pa.table(columns, schema=METRIC_TABLE_SCHEMA)


def _sorted(words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The rows in the order of ``words`` (stable), and for each position after the first
    whether its words equal the previous position's."""
    if len(words) == 1:
        order = np.argsort(words[0], kind="stable")
    else:
        names = [f"w{i}" for i in range(len(words))]
        key_table = pa.table(dict(zip(names, words, strict=True)))
        order = pc.sort_indices(key_table, sort_keys=[(n, "ascending") for n in names]).to_numpy()
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for word in words:
        ordered = word[order]
        same &= ordered[1:] == ordered[:-1]
    return order, same


def _dictionary(column: pa.ChunkedArray) -> pa.DictionaryArray:
    encoded = pc.dictionary_encode(column)
    if encoded.num_chunks == 1:
        return encoded.chunk(0)
    return encoded.unify_dictionaries().combine_chunks()  # never empty: a table with rows


def _rank(encoded: pa.DictionaryArray) -> np.ndarray:
    """Each value's rank among the distinct values in Arrow's (byte) order; null after all."""
    values = encoded.dictionary
    rank = np.empty(len(values) + 1, dtype=np.int64)
    rank[pc.array_sort_indices(values).to_numpy()] = np.arange(len(values))
    rank[len(values)] = len(values)
    return rank[pc.fill_null(encoded.indices, len(values)).to_numpy()]


def _stamp_rank(column: pa.ChunkedArray) -> np.ndarray:
    """Seconds from the earliest record; a missing stamp after all."""
    seconds = column.cast(pa.int64())
    low = pc.min(seconds).as_py() or 0
    high = pc.max(seconds).as_py() or 0
    return pc.fill_null(seconds, high + 1).to_numpy() - low


def _packed(ranks: Iterable[np.ndarray]) -> list[np.ndarray]:
    """The non-negative ``ranks`` (most significant first) packed into 63-bit words, as few as
    they fit in; comparing the words in order compares the ranks in order. Each rank is folded in
    as it comes: a day's ten ranks are never all in memory."""
    words: list[np.ndarray] = []
    used = 63
    for rank in ranks:
        width = max(int(rank.max()), 1).bit_length()
        if used + width > 63:
            words.append(np.zeros(len(rank), dtype=np.int64))
            used = 0
        words[-1] = (words[-1] << width) | rank
        used += width
    return words


def records_to_json_lines(records: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
