"""The landing zone: consumed messages, byte for byte, filed under the UTC hour of their batch's
sync time (``telemetry/landing/<hour>/<file>.parquet``), and the lake keys of the hourly assets.

A micro-batch writes one file per hour it touches, named after its offset ranges, so writing the
same micro-batch again replaces the file. After a crash the next run may cut micro-batches
differently and write overlapping files; readers therefore take each (topic, partition, offset)
once, which is what makes a re-run produce exactly the same outputs.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache

import pyarrow as pa
import pyarrow.parquet as pq

from platform_assets.telemetry.arrow_columns import binary_column
from platform_assets.telemetry.extraction import SourceMessage

LANDING_SCHEMA = pa.schema(
    [
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("timestamp_ms", pa.int64()),
        ("syncts", pa.int64()),
        ("key", pa.binary()),
        ("value", pa.binary()),
    ]
)
HOUR_FORMAT = "%Y-%m-%d-%H:00"


def hour_key(epoch_ms: int) -> str:
    """The Dagster hourly partition key (UTC) of an epoch-milliseconds time."""
    return _hour_key(epoch_ms // 3_600_000)


@lru_cache(maxsize=4096)
def _hour_key(
    hours_since_epoch: int,
) -> str:  # ingest asks once per message: formatting was 8 % of its thread
    return datetime.fromtimestamp(hours_since_epoch * 3600, tz=UTC).strftime(HOUR_FORMAT)


def hour_start_ms(hour: str) -> int:
    return int(datetime.strptime(hour, "%Y-%m-%d-%H:%M").replace(tzinfo=UTC).timestamp() * 1000)


def landing_dir(hour: str) -> str:
    return f"telemetry/landing/{hour}"


def table_key(asset: str, partition: str) -> str:
    """Lake key of an hourly/daily/weekly telemetry asset's partition."""
    return f"telemetry/{asset}/{partition}.parquet"


def landing_file_key(hour: str, topic: str, ranges: dict[int, tuple[int, int]]) -> str:
    label = "_".join(f"p{p}-{a}-{b}" for p, (a, b) in sorted(ranges.items()))
    if len(label) > 120:
        label = hashlib.sha1(label.encode()).hexdigest()
    return f"{landing_dir(hour)}/{topic}-{label}.parquet"


def landing_table(entries: list[tuple[SourceMessage, int]]) -> pa.Table:
    return pa.table(
        {
            "topic": [m.topic for m, _ in entries],
            "partition": [m.partition for m, _ in entries],
            "offset": [m.offset for m, _ in entries],
            "timestamp_ms": [m.timestamp_ms for m, _ in entries],
            "syncts": [s for _, s in entries],
            "key": [m.key for m, _ in entries],
            "value": binary_column([m.value for m, _ in entries]),
        },
        schema=LANDING_SCHEMA,
    )


def write_landing_file(writer: pq.ParquetWriter, entries: list[tuple[SourceMessage, int]]) -> None:
    """``entries`` (message, syncts) as one row group per (topic, partition), in offset order, so
    that a reader takes one partition's messages without decoding the others'."""
    groups: dict[tuple[str, int], list[tuple[SourceMessage, int]]] = {}
    for entry in entries:
        groups.setdefault((entry[0].topic, entry[0].partition), []).append(entry)
    for where in sorted(groups):
        writer.write_table(landing_table(sorted(groups[where], key=lambda e: e[0].offset)))


CHUNK_BYTES = (
    16 << 20
)  # of message values: the working set of the hourly step (see hour_processing)
_INDEX = ["topic", "partition", "offset"]
_REST = [name for name in LANDING_SCHEMA.names if name not in _INDEX]


def message_chunks(
    files: list[pq.ParquetFile], max_bytes: int = CHUNK_BYTES
) -> Iterator[list[SourceMessage]]:
    """The messages of several landing files, each (topic, partition, offset) once, in that order,
    in chunks of about ``max_bytes`` of values (``cut_by_bytes``)."""
    return cut_by_bytes(messages_of(files), max_bytes)


def cut_by_bytes(
    messages: Iterable[SourceMessage], max_bytes: int
) -> Iterator[list[SourceMessage]]:
    """``messages`` in consecutive chunks, each closed once its values reach ``max_bytes``."""
    chunk: list[SourceMessage] = []
    filled = 0
    for message in messages:
        chunk.append(message)
        filled += len(message.value or b"")
        if filled >= max_bytes:
            yield chunk
            chunk, filled = [], 0
    if chunk:
        yield chunk


def messages_of(files: list[pq.ParquetFile]) -> Iterator[SourceMessage]:
    """Each (topic, partition, offset) once, in that order. Only the offsets are read up front; the
    rest of a row group is decoded when its first message is due and dropped once its last has
    been taken, so with one partition per row group (``write_landing_file``) an hour of any size
    holds one row group in memory."""
    winners: dict[tuple[str, int, int], tuple[int, int, int]] = {}
    for number, file in enumerate(files):
        for group in range(file.metadata.num_row_groups):
            index = file.read_row_group(group, columns=_INDEX).to_pydict()
            for row, where in enumerate(
                zip(index["topic"], index["partition"], index["offset"], strict=True)
            ):
                winners.setdefault(where, (number, group, row))
    pending = Counter((number, group) for number, group, _ in winners.values())
    loaded: dict[tuple[int, int], dict[str, list]] = {}
    for where in sorted(winners):
        number, group, row = winners[where]
        columns = loaded.get((number, group))
        if columns is None:
            columns = loaded[(number, group)] = (
                files[number].read_row_group(group, columns=_REST).to_pydict()
            )
        yield SourceMessage(
            *where,
            columns["timestamp_ms"][row],
            columns["value"][row],
            columns["syncts"][row],
            columns["key"][row],
        )
        pending[(number, group)] -= 1
        if not pending[(number, group)]:
            del loaded[(number, group)]
