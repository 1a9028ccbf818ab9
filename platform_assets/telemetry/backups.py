"""Topic backups: every consumed message, byte for byte, in object storage, and the way back.

Files live under ``backups/<topic>/<YYYY-MM-DD>/`` where the date is the message's sync time in
the configured timezone (default Asia/Kolkata, as the platform's users read dates); a file holds
one Kafka partition's consecutive messages and is rolled when it reaches ``roll_bytes``. Its name
carries topic, partition and first/last offsets: ``<topic>-p<partition>-<first>-<last>.jsonl.gz``.
Each line is ``{"partition", "offset", "timestamp_ms", "syncts", "value"}`` with the value as
text when it is UTF-8, else ``value_b64``. A crash and re-run may write overlapping files; restore
replays each (partition, offset) once, in offset order.
"""

import base64
import gzip
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

from platform_assets.telemetry.extraction import SourceMessage

DEFAULT_TIMEZONE = "Asia/Kolkata"
DEFAULT_ROLL_BYTES = 64 << 20
PREFIX = "backups"


@dataclass(frozen=True)
class BackupFile:
    key: str
    day: str
    topic: str
    partition: int
    first_offset: int
    last_offset: int
    messages: int
    data: bytes


def local_day(epoch_ms: int, zone: str) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).astimezone(ZoneInfo(zone)).date().isoformat()


def _line(message: SourceMessage, syncts: int) -> bytes:
    record: dict = {"partition": message.partition, "offset": message.offset,
                    "timestamp_ms": message.timestamp_ms, "syncts": syncts}
    value = message.value
    if value is None:
        record["value"] = None
    else:
        try:
            record["value"] = value.decode("utf-8")
        except UnicodeDecodeError:
            record["value_b64"] = base64.b64encode(value).decode()
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


def backup_files(messages: Iterable[tuple[SourceMessage, int]], zone: str = DEFAULT_TIMEZONE,
                 roll_bytes: int = DEFAULT_ROLL_BYTES) -> list[BackupFile]:
    """Group (message, syncts) pairs into files by topic, local day and partition, rolled by size."""
    groups: dict[tuple[str, str, int], list[tuple[SourceMessage, bytes]]] = defaultdict(list)
    for message, syncts in messages:
        groups[(message.topic, local_day(syncts, zone), message.partition)].append((message, _line(message, syncts)))
    files = []
    for (topic, day, partition), entries in sorted(groups.items()):
        entries.sort(key=lambda e: e[0].offset)
        chunk: list[tuple[SourceMessage, bytes]] = []
        size = 0
        for entry in entries:
            chunk.append(entry)
            size += len(entry[1])
            if size >= roll_bytes:
                files.append(_file(topic, day, partition, chunk))
                chunk, size = [], 0
        if chunk:
            files.append(_file(topic, day, partition, chunk))
    return files


def _file(topic: str, day: str, partition: int, chunk: list[tuple[SourceMessage, bytes]]) -> BackupFile:
    first, last = chunk[0][0].offset, chunk[-1][0].offset
    key = f"{PREFIX}/{topic}/{day}/{topic}-p{partition}-{first:020d}-{last:020d}.jsonl.gz"
    data = gzip.compress(b"".join(line for _, line in chunk), compresslevel=1)  # speed over size
    return BackupFile(key, day, topic, partition, first, last, len(chunk), data)


def read_backup(data: bytes) -> Iterator[dict]:
    for line in gzip.decompress(data).splitlines():
        if line.strip():
            yield json.loads(line)


def message_value(record: dict) -> bytes | None:
    if "value_b64" in record:
        return base64.b64decode(record["value_b64"])
    return None if record.get("value") is None else record["value"].encode("utf-8")


def replay_order(files: Iterable[bytes]) -> list[dict]:
    """Records of several backup files, each (partition, offset) once, in partition/offset order."""
    unique: dict[tuple[int, int], dict] = {}
    for data in files:
        for record in read_backup(data):
            unique.setdefault((record["partition"], record["offset"]), record)
    return [unique[k] for k in sorted(unique)]
