"""Turning raw metric payloads into day buckets and day tables. No Dagster import.

Kafka messages are bucketed by each record's own timestamp (not arrival time) into landing files
per UTC day; a message that cannot be decoded, or has no usable timestamp, is kept in an
``undecodable`` bucket with its reason. A day's table is then built from that day's files.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from platform_assets.argo.avro_blocks import (
    blocks_of_unknown_size,
    frame_blocks,
    read_container,
    records_lost,
)
from platform_assets.argo.avro_columns import read_columns
from platform_assets.argo.records import (
    DecodeError,
    IngestWindow,
    RecordSorter,
    decode_avro,
    decode_json,
    parse_timestamp,
)

UNDECODABLE = "undecodable"


@dataclass
class DayBuckets:
    records: dict[date, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    rejected: list[dict[str, str]] = field(default_factory=list)  # {"origin", "raw", "reason"}


def bucket_messages(
    messages: Iterable[tuple[str, bytes | None]], encoding: str, window: IngestWindow | None = None
) -> DayBuckets:
    """Route (origin, payload) pairs to the UTC day of their own timestamp.

    No message can stop the others: whatever cannot be decoded, dated inside ``window`` or written
    as text is rejected with its reason and its origin (topic, partition, offset)."""
    out = DayBuckets()
    for origin, payload in messages:
        try:
            day, record = _bucket_of(payload, encoding, window)
        except DecodeError as exc:
            raw = (payload or b"")[:8000].decode("utf-8", errors="backslashreplace")[:2000]
            out.rejected.append({"origin": origin, "raw": raw, "reason": str(exc)})
            continue
        out.records[day].append(record)
    return out


def _bucket_of(
    payload: bytes | None, encoding: str, window: IngestWindow | None
) -> tuple[date, dict[str, Any]]:
    if payload is None:
        raise DecodeError("empty message value")
    record = decode_avro(payload) if encoding == "avro" else decode_json(payload)
    stamp = record.get("timestamp")
    if not isinstance(stamp, str):
        raise DecodeError("missing field 'timestamp'")
    try:
        ts = parse_timestamp(stamp)
    except ValueError:
        raise DecodeError(f"bad timestamp {stamp[:40]!r}") from None
    outside = window.reason(ts) if window else None
    if outside:
        raise DecodeError(outside)
    try:  # the landing file is UTF-8 JSON: a lone surrogate cannot be written there
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise DecodeError("a string holds a lone surrogate (not Unicode text)") from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise DecodeError(f"not writable as JSON: {str(exc)[:80]}") from None
    return ts.date(), record


def landing_name(offset_ranges: dict[str, str]) -> str:
    """A landing file name that says which offsets it holds (``kafka-p0_10-99.jsonl``)."""
    label = ".".join(f"{p}_{r}" for p, r in sorted(offset_ranges.items())) or "empty"
    if len(label) > 120:
        label = hashlib.sha256(label.encode()).hexdigest()[:24]
    return f"kafka-{label}.jsonl"


def to_json_lines(records: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(r, ensure_ascii=False, sort_keys=True).encode() + b"\n" for r in records
    )


def sort_file(sorter: RecordSorter, name: str, payload: bytes) -> None:
    """Feed one metric file (Avro container, or JSON lines) into ``sorter``. An Avro file of
    ARGO's metric schema is read as columns (``avro_columns``), any other through fastavro.

    A damaged Avro file keeps every record of its intact blocks; each damaged block is one
    quarantine row naming its offset and the number of records it held (``avro_blocks``)."""
    if name.endswith(".avro"):
        framed = frame_blocks(payload)
        columns = read_columns(framed)  # None: a schema only fastavro's path reads
        if columns is not None:
            sorter.add_columns(name, columns)
            lost = columns.lost
        else:
            container = read_container(framed)
            for i, record in enumerate(container.records):  # strings decoded from UTF-8: text
                sorter.add(f"{name}#{i}", record, decoded_from_utf8=True)
            lost = container.lost
        for block in lost:
            held = "an unknown number of" if block.records is None else str(block.records)
            sorter.reject(
                f"{name}@byte{block.offset}",
                payload[block.offset : block.offset + 200],
                f"unreadable Avro block: {held} records lost ({block.reason})",
            )
        sorter.records_unreadable += records_lost(lost)
        sorter.blocks_of_unknown_size += blocks_of_unknown_size(lost)
        return
    for lineno, line in enumerate(payload.splitlines(), start=1):
        if not line.strip():
            continue
        sorter.add_payload(f"{name}:{lineno}", line, "json")


def sort_rejected(sorter: RecordSorter, name: str, payload: bytes) -> None:
    """Re-read an ``undecodable`` bucket file into the quarantine."""
    for line in payload.splitlines():
        if line.strip():
            item = json.loads(line)
            sorter.reject(item["origin"], item["raw"], item["reason"])


def fingerprint(entries: Iterable[tuple[str, Any]]) -> str:
    """Identity of a set of input files (name plus size/mtime or similar): changes when any does."""
    digest = hashlib.sha256()
    for name, stamp in sorted(entries):
        digest.update(f"{name}\0{stamp}\n".encode())
    return digest.hexdigest()[:16]
