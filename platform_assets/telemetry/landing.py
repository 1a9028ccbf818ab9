"""The landing zone: consumed messages, byte for byte, filed under the UTC hour of their batch's
sync time (``telemetry/landing/<hour>/<file>.parquet``), and the lake keys of the hourly assets.

A micro-batch writes one file per hour it touches, named after its offset ranges, so writing the
same micro-batch again replaces the file. After a crash the next run may cut micro-batches
differently and write overlapping files; readers therefore take each (topic, partition, offset)
once, which is what makes a re-run produce exactly the same outputs.
"""

import hashlib
from datetime import datetime, timezone
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.telemetry.arrow_columns import binary_column
from platform_assets.telemetry.extraction import SourceMessage

LANDING_SCHEMA = pa.schema([("topic", pa.string()), ("partition", pa.int32()), ("offset", pa.int64()),
                            ("timestamp_ms", pa.int64()), ("syncts", pa.int64()), ("key", pa.binary()),
                            ("value", pa.binary())])
HOUR_FORMAT = "%Y-%m-%d-%H:00"


def hour_key(epoch_ms: int) -> str:
    """The Dagster hourly partition key (UTC) of an epoch-milliseconds time."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).strftime(HOUR_FORMAT)


def hour_start_ms(hour: str) -> int:
    return int(datetime.strptime(hour, "%Y-%m-%d-%H:%M").replace(tzinfo=timezone.utc).timestamp() * 1000)


def landing_dir(hour: str) -> str:
    return f"telemetry/landing/{hour}"


def table_key(asset: str, partition: str) -> str:
    """Lake key of an hourly/daily/weekly telemetry asset's partition."""
    return f"telemetry/{asset}/{partition}.parquet"


def msgids_key(hour: str) -> str:
    return f"telemetry/extracted_msgids/{hour}.parquet"


def landing_file_key(hour: str, topic: str, ranges: dict[int, tuple[int, int]]) -> str:
    label = "_".join(f"p{p}-{a}-{b}" for p, (a, b) in sorted(ranges.items()))
    if len(label) > 120:
        label = hashlib.sha1(label.encode()).hexdigest()
    return f"{landing_dir(hour)}/{topic}-{label}.parquet"


def landing_table(entries: list[tuple[SourceMessage, int]]) -> pa.Table:
    return pa.table({
        "topic": [m.topic for m, _ in entries], "partition": [m.partition for m, _ in entries],
        "offset": [m.offset for m, _ in entries], "timestamp_ms": [m.timestamp_ms for m, _ in entries],
        "syncts": [s for _, s in entries], "key": [m.key for m, _ in entries], "value": binary_column([m.value for m, _ in entries]),
    }, schema=LANDING_SCHEMA)


CHUNK_BYTES = 16 << 20  # of message values: the working set of the hourly step (see hour_processing)


def message_chunks(tables: list[pa.Table], max_bytes: int = CHUNK_BYTES) -> Iterator[list[SourceMessage]]:
    """The messages of several landing files, each (topic, partition, offset) once, in that order,
    in chunks of about ``max_bytes`` of values. Only a chunk's messages exist as Python objects at
    a time; the files themselves stay in Arrow memory (one compact copy of the hour)."""
    winners: dict[tuple[str, int, int], tuple[int, int]] = {}
    for number, table in enumerate(tables):
        index = zip(table.column("topic").to_pylist(), table.column("partition").to_pylist(),
                    table.column("offset").to_pylist())
        for row, where in enumerate(index):
            winners.setdefault(where, (number, row))
    sizes = [pc.binary_length(t.column("value")).fill_null(0).to_pylist() for t in tables]
    chunk: list[tuple[int, int]] = []
    filled = 0
    for where in sorted(winners):
        number, row = winners[where]
        chunk.append((number, row))
        filled += sizes[number][row]
        if filled >= max_bytes:
            yield _messages_at(tables, chunk)
            chunk, filled = [], 0
    if chunk:
        yield _messages_at(tables, chunk)


def _messages_at(tables: list[pa.Table], rows: list[tuple[int, int]]) -> list[SourceMessage]:
    by_file: dict[int, list[int]] = {}
    for number, row in rows:
        by_file.setdefault(number, []).append(row)
    found: dict[tuple[int, int], SourceMessage] = {}
    for number, picked in by_file.items():
        columns = tables[number].take(pa.array(picked, pa.int64())).to_pydict()
        for row, topic, partition, offset, stamp, syncts, key, value in zip(
                picked, columns["topic"], columns["partition"], columns["offset"], columns["timestamp_ms"],
                columns["syncts"], columns["key"], columns["value"]):
            found[(number, row)] = SourceMessage(topic, partition, offset, stamp, value, syncts, key)
    return [found[where] for where in rows]
