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

from platform_assets.argo.records import (
    DecodeError,
    RecordSorter,
    decode_avro,
    decode_json,
    parse_timestamp,
    read_avro_file,
)

UNDECODABLE = "undecodable"


@dataclass
class DayBuckets:
    records: dict[date, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    rejected: list[dict[str, str]] = field(default_factory=list)  # {"origin", "raw", "reason"}


def bucket_messages(messages: Iterable[tuple[str, bytes | None]], encoding: str) -> DayBuckets:
    """Route (origin, payload) pairs to the UTC day of their own timestamp."""
    out = DayBuckets()
    for origin, payload in messages:
        try:
            if payload is None:
                raise DecodeError("empty message value")
            record = decode_avro(payload) if encoding == "avro" else decode_json(payload)
            stamp = record.get("timestamp")
            if not isinstance(stamp, str):
                raise DecodeError("missing field 'timestamp'")
            try:
                day = parse_timestamp(stamp).date()
            except ValueError:
                raise DecodeError(f"bad timestamp {stamp[:40]!r}") from None
        except DecodeError as exc:
            raw = (payload or b"").decode("utf-8", errors="replace")[:2000]
            out.rejected.append({"origin": origin, "raw": raw, "reason": str(exc)})
            continue
        out.records[day].append(record)
    return out


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
    """Feed one metric file (Avro container, or JSON lines) into ``sorter``."""
    if name.endswith(".avro"):
        try:
            for i, record in enumerate(read_avro_file(payload)):
                sorter.add(f"{name}#{i}", record)
        except DecodeError as exc:
            sorter.reject(name, payload[:200], str(exc))
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
