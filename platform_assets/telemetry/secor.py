"""Secor-compatible topic backups: what the original pipeline's Secor consumers wrote, so that the
Spark jobs and scripts that read those backups read Weir's. No Dagster import.

Layout (pinterest/secor ``LogFilePath``, with its JSON timestamp partitioner and a gzip codec):
``secor/<topic>/dt=<YYYY-MM-DD>/<generation>_<kafka partition>_<first offset, 20 digits>.gz``, the
date being the message's ``syncts`` in the backup timezone (Asia/Kolkata, as Sunbird configured
``secor.parser.timezone``). A file is one gzip stream of the messages' values, each followed by
``\\n`` (Secor's delimited text writer: keys and headers are not kept).

Where the offsets come from: the ingest topic's files are cut from Weir's exact backups (each
(partition, offset) once, consecutive runs of one partition, rolled by size). The topics Weir
produces itself are written from the hour tables that fed them, one file per topic and hour; their
"offset" is the hour's start in epoch milliseconds (the rows were never read back from Kafka), so
names stay unique, ordered and the same on every re-run. A value holding a raw newline cannot be
one delimited record (Secor has the same limit): it is written as it is and counted, and Weir's
Parquet backups keep it exact.

Reading accepts upstream Secor names and the Sunbird fork's (``<base>/<YYYY-MM-DD>-<partition>-
<upload ms>.json.gz``), so backups written by the original Secor replay too.
"""

import gzip
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PREFIX = "secor"
GENERATION = 1
UPSTREAM_NAME = re.compile(r"(?P<generation>\d+)_(?P<partition>\d+)_(?P<offset>\d+)(?P<gz>\.gz)?")
SUNBIRD_NAME = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})-(?:(?P<partition>\d+)-)?(?P<offset>\d+)\.json(?P<gz>\.gz)?"
)


@dataclass(frozen=True)
class SecorFile:
    key: str
    messages: int
    values_with_newline: int
    data: bytes


def day_folder(topic: str, day: str, prefix: str = PREFIX) -> str:
    return f"{prefix}/{topic}/dt={day}/"


def secor_key(topic: str, day: str, partition: int, offset: int, prefix: str = PREFIX) -> str:
    return f"{day_folder(topic, day, prefix)}{GENERATION}_{partition}_{offset:020d}.gz"


def secor_file(key: str, values: Sequence[bytes]) -> SecorFile:
    """One gzip stream of ``value\\n`` records (level 6, Hadoop's GzipCodec default)."""
    body = b"".join(value + b"\n" for value in values)
    return SecorFile(
        key, len(values), sum(1 for v in values if b"\n" in v), gzip.compress(body, mtime=0)
    )


def read_secor(data: bytes, compressed: bool = True) -> list[bytes]:
    """The records of one file, in order (a gzip of several members reads whole)."""
    if compressed:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"not a readable gzip file ({exc})") from None
    if not data:
        return []
    lines = data.split(b"\n")
    return lines[:-1] if lines[-1] == b"" else lines


def parse_name(name: str) -> tuple[int, int, bool] | None:
    """(kafka partition, first offset or upload ms, gzip) from a file name, else None."""
    for pattern in (UPSTREAM_NAME, SUNBIRD_NAME):
        found = pattern.fullmatch(name)
        if found:
            return int(found["partition"] or 0), int(found["offset"]), bool(found["gz"])
    return None


def ingest_files(records: Iterable[dict], topic: str, day: str, roll_bytes: int) -> list[SecorFile]:
    """Secor files of one day of the ingest topic from its backup records (``backups.replay_order``:
    each (partition, offset) once, in order): consecutive offsets of one partition per file,
    rolled by size."""
    files: list[SecorFile] = []
    chunk: list[dict] = []

    def flush() -> None:
        if chunk:
            key = secor_key(topic, day, chunk[0]["partition"], chunk[0]["offset"])
            files.append(secor_file(key, [r["value"] or b"" for r in chunk]))
            chunk.clear()

    size = 0
    for record in records:
        if chunk and (
            record["partition"] != chunk[-1]["partition"]
            or record["offset"] != chunk[-1]["offset"] + 1
            or size >= roll_bytes
        ):
            flush()
            size = 0
        chunk.append(record)
        size += len(record["value"] or b"")
    flush()
    return files
