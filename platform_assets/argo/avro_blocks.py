"""Reading an Avro object container file block by block, so that damage costs only the blocks it
touches.

fastavro's reader stops at the first bad byte and yields whatever records of the damaged block it
had decoded by then. Here a block counts only when all of it checks out: its declared size is
there, its sync marker follows, it decompresses, and exactly its declared number of records decode
from exactly its bytes. A damaged block is reported with its declared record count (the exact
number of records lost, when its header is readable), and reading resumes at the next sync marker.
"""

import bz2
import io
import json
import lzma
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fastavro

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
_DECOMPRESS: dict[str, Callable[[memoryview], bytes | memoryview]] = {
    "null": lambda data: data,
    "deflate": lambda data: zlib.decompress(data, -15),
    "bzip2": bz2.decompress,
    "xz": lzma.decompress,
}


class Truncated(ValueError):
    """The bytes end inside a value."""


@dataclass
class LostBlock:
    offset: int  # byte offset of the block in the file
    records: int | None  # its declared record count (None: its header is unreadable)
    reason: str


def records_lost(lost: list[LostBlock]) -> int:
    """The records the damaged blocks declared (the exact loss where their headers read)."""
    return sum(b.records or 0 for b in lost)


def blocks_of_unknown_size(lost: list[LostBlock]) -> int:
    return sum(1 for b in lost if b.records is None)


@dataclass
class Container:
    records: list[dict[str, Any]] = field(default_factory=list)
    lost: list[LostBlock] = field(default_factory=list)

    @property
    def records_lost(self) -> int:
        return records_lost(self.lost)

    @property
    def blocks_of_unknown_size(self) -> int:
        return blocks_of_unknown_size(self.lost)


def read_long(payload: bytes, pos: int) -> tuple[int, int]:
    """An Avro long (zig-zag varint) at ``pos``: (value, position after it)."""
    shift, value = 0, 0
    while True:
        if pos >= len(payload):
            raise Truncated("the file ends inside a number")
        byte = payload[pos]
        pos += 1
        if shift < 64:
            value |= (byte & 0x7F) << shift
        elif byte & 0x7F:  # zero groups past 64 bits only pad a number (fastavro reads them)
            raise ValueError("a number longer than 64 bits")
        if not byte & 0x80:
            value &= 0xFFFF_FFFF_FFFF_FFFF  # 64 bits, as the native decoder reads it
            return (value >> 1) ^ -(value & 1), pos
        shift += 7


def _read_bytes(payload: bytes, pos: int) -> tuple[bytes, int]:
    size, pos = read_long(payload, pos)
    if size < 0 or pos + size > len(payload):
        raise Truncated("the file ends inside a byte string")
    return payload[pos : pos + size], pos + size


def read_header(payload: bytes) -> tuple[dict[str, bytes], bytes, int]:
    """(metadata, sync marker, position of the first block); ValueError if it is not a container."""
    if payload[:4] != MAGIC:
        raise ValueError("not an Avro container file (no 'Obj\\x01' magic)")
    metadata: dict[str, bytes] = {}
    pos = 4
    while True:
        count, pos = read_long(payload, pos)
        if count == 0:
            break
        if count < 0:
            count = -count
            _, pos = read_long(payload, pos)  # the block's size in bytes
        for _ in range(count):
            key, pos = _read_bytes(payload, pos)
            value, pos = _read_bytes(payload, pos)
            metadata[key.decode("utf-8", "replace")] = value
    if pos + SYNC_SIZE > len(payload):
        raise Truncated("the file ends inside its header")
    return metadata, payload[pos : pos + SYNC_SIZE], pos + SYNC_SIZE


@dataclass
class Frame:
    """A block whose framing checks out: its records' bytes, decompressed."""

    offset: int  # byte offset of the block in the file
    records: int  # its declared record count
    data: bytes | memoryview


@dataclass
class Framed:
    schema: Any = None  # the writer's schema (JSON), None when the header is unreadable
    frames: list[Frame] = field(default_factory=list)
    lost: list[LostBlock] = field(default_factory=list)


def frame_blocks(payload: bytes) -> Framed:
    """The file's blocks, each checked for its size, its sync marker and its decompression;
    a damaged one is lost with its declared record count, and reading resumes at the next sync."""
    out = Framed()
    try:
        metadata, sync, pos = read_header(payload)
        schema = json.loads(metadata["avro.schema"])
        codec = metadata.get("avro.codec", b"null").decode()
    except Exception as exc:  # any damage to the header or its schema: nothing can be read
        out.lost.append(LostBlock(0, None, f"unreadable Avro header: {type(exc).__name__}: {exc}"))
        return out
    if codec not in _DECOMPRESS:
        out.lost.append(LostBlock(0, None, f"Avro codec {codec!r} is not supported"))
        return out
    out.schema = schema
    view = memoryview(payload)  # an uncompressed block is a view of the file, not a copy
    while pos < len(payload):
        start, count = pos, None
        try:
            count, pos = read_long(payload, pos)
            size, pos = read_long(payload, pos)
            if count <= 0 or size < 0 or count > max(size, 1):
                raise ValueError(f"implausible block header ({count} records in {size} bytes)")
            if pos + size + SYNC_SIZE > len(payload):
                raise Truncated("the file ends inside the block")
            if payload[pos + size : pos + size + SYNC_SIZE] != sync:
                raise ValueError("no sync marker after the block")
            data = _DECOMPRESS[codec](view[pos : pos + size])
        except Exception as exc:  # a damaged block, whatever the damage: skip to the next sync
            plausible = count if count is not None and 0 < count <= len(payload) else None
            out.lost.append(LostBlock(start, plausible, f"{type(exc).__name__}: {exc}"))
            found = payload.find(sync, start + 1)
            if found < 0:
                break
            pos = found + SYNC_SIZE
            continue
        out.frames.append(Frame(start, count, data))
        pos += size + SYNC_SIZE
    return out


def read_container(payload: "bytes | Framed") -> Container:
    """Every record of every intact block; the damaged blocks with what they cost. ``payload``:
    the file, or the file already framed (``frame_blocks``: a file is framed once)."""
    framed = payload if isinstance(payload, Framed) else frame_blocks(payload)
    out = Container(lost=list(framed.lost))
    if framed.schema is None:
        return out
    try:
        schema = fastavro.parse_schema(framed.schema)
    except Exception as exc:
        return Container(
            lost=[LostBlock(0, None, f"unreadable Avro header: {type(exc).__name__}: {exc}")]
        )
    for frame in framed.frames:
        try:
            out.records.extend(_decode_block(frame.data, schema, frame.records))
        except Exception as exc:  # a block that decodes badly is lost whole
            out.lost.append(LostBlock(frame.offset, frame.records, f"{type(exc).__name__}: {exc}"))
    out.lost.sort(key=lambda block: block.offset)
    return out


def _decode_block(data: bytes | memoryview, schema: Any, count: int) -> list[dict[str, Any]]:
    buffer = io.BytesIO(data)
    records = [fastavro.schemaless_reader(buffer, schema, None) for _ in range(count)]
    if buffer.tell() != len(data):
        raise ValueError(f"{len(data) - buffer.tell()} bytes left after the block's records")
    return records  # type: ignore[return-value]
