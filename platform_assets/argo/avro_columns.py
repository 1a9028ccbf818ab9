"""An Avro container of metric records read into Arrow columns, without a Python object per record.

The native decoder (``_avro_columns.c``) reads every intact block of the file into one buffer per
field: strings as Arrow string data, the tag map as its raw Avro bytes. It reads what the writer's
schema says, so it takes ARGO's ``metric_data`` schema and its variants (fields in another order,
optional fields absent, unions written ``["string", "null"]``), but only records of string fields
and a map of strings. Any other schema, or a build without the extension, returns None and the
file takes fastavro's path (``avro_blocks.read_container``), which reads anything Avro can say.
Blocks are judged exactly as on that path: a block counts only when all of its declared records
decode from exactly its bytes, and its strings are strict UTF-8.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import fastavro
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.argo.avro_blocks import Framed, LostBlock, frame_blocks, read_long
from platform_assets.argo.records import OPTIONAL_FIELDS, REQUIRED_FIELDS

try:
    from platform_assets.argo._avro_columns import decode
except ImportError as exc:  # pragma: no cover - a build without a C compiler
    decode = None
    logging.getLogger(__name__).warning(
        f"native Avro column decoder not built ({exc}): metric files take fastavro's path"
    )

STRING, MAP = 0, 1
# the fields the columnar path reads: a metric record's strings and its tags
STRING_FIELDS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)
MAP_FIELDS = ("tags",)


@dataclass
class Columns:
    """The intact blocks' records as columns (``tags``: the raw Avro bytes of each map), in the
    order fastavro would have read them; the damaged blocks with what they cost."""

    names: list[str]  # the writer's fields, in its order
    arrays: dict[str, pa.Array]
    rows: int
    lost: list[LostBlock]
    value_null_branch: dict[str, int]  # per map field: which branch of its values is null

    def record(self, row: int) -> dict[str, Any]:
        """Row ``row`` as the dict fastavro would have given (for a quarantine preview)."""
        out: dict[str, Any] = {}
        for name in self.names:
            value = self.arrays[name][row].as_py()
            if name in self.value_null_branch and value is not None:
                value = decode_map(value, self.value_null_branch[name])
            out[name] = value
        return out

    def distinct_maps(self, name: str) -> tuple[list[dict[str, str | None]], pa.Array] | None:
        """Each distinct map of field ``name`` decoded once, and each row's position among
        them; None when the writer's schema has no such field."""
        raw = self.arrays.get(name)
        if raw is None:
            return None
        encoded = pc.dictionary_encode(raw)
        branch = self.value_null_branch[name]
        return [decode_map(v, branch) for v in encoded.dictionary.to_pylist()], encoded.indices


def _branches(schema: Any) -> tuple[Any, int] | None:
    """(the value's schema, the null branch) of a two-branch nullable union; (schema, -1) of a
    plain one; None for any other union."""
    if not isinstance(schema, list):
        return _plain(schema), -1
    if len(schema) != 2 or "null" not in schema:
        return None
    null_branch = schema.index("null")
    return _plain(schema[1 - null_branch]), null_branch


def _plain(schema: Any) -> Any:
    """``{"type": "string", "avro.java.string": "String"}`` (how Java writers declare strings)
    is a string; one with a ``logicalType`` (a UUID, say: fastavro reads it as another type) is
    not, and takes fastavro's path."""
    if isinstance(schema, dict) and schema.get("type") == "string" and "logicalType" not in schema:
        return "string"
    return schema


def field_program(schema: Any) -> list[tuple[str, tuple[int, int, int]]] | None:
    """The writer's record schema compiled for the decoder: (name, (type, null branch, value
    null branch)) per field; None when a field is not one this path reads."""
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return None
    program = []
    for spec in schema.get("fields") or []:
        name = spec.get("name") if isinstance(spec, dict) else None
        unwrapped = _branches(spec.get("type")) if name else None
        if unwrapped is None:
            return None
        value, null_branch = unwrapped
        if name in STRING_FIELDS and value == "string":
            program.append((name, (STRING, null_branch, -1)))
            continue
        if name in MAP_FIELDS and isinstance(value, dict) and value.get("type") == "map":
            values = _branches(value.get("values"))
            if values is None or values[0] != "string":
                return None
            program.append((name, (MAP, null_branch, values[1])))
            continue
        return None
    names = [name for name, _ in program]
    return program if len(set(names)) == len(names) else None


def read_columns(payload: bytes | Framed) -> Columns | None:
    """The file's metric records as columns, or None when this path cannot read its schema.
    ``payload``: the file, or the file already framed (``frame_blocks``)."""
    if decode is None:
        return None
    framed = payload if isinstance(payload, Framed) else frame_blocks(payload)
    if framed.schema is None:
        return None  # an unreadable header: fastavro's path reports it
    program = field_program(framed.schema)
    if program is None:
        return None
    try:  # a schema fastavro refuses (a bad default, a record without a name) is refused here too
        fastavro.parse_schema(framed.schema)
    except Exception:
        return None
    buffers, rows, failed = decode(
        [frame.data for frame in framed.frames],
        [frame.records for frame in framed.frames],
        tuple(spec for _, spec in program),
    )
    arrays = {}
    for (name, (kind, _, _)), (offsets, data, validity, nulls) in zip(
        program, buffers, strict=True
    ):
        arrays[name] = pa.Array.from_buffers(
            pa.string() if kind == STRING else pa.binary(),
            rows,
            [pa.py_buffer(validity) if nulls else None, pa.py_buffer(offsets), pa.py_buffer(data)],
            null_count=nulls,
        )
    lost = list(framed.lost)
    for index, reason in failed:
        frame = framed.frames[index]
        lost.append(LostBlock(frame.offset, frame.records, f"ValueError: {reason}"))
    lost.sort(key=lambda block: block.offset)
    return Columns(
        [name for name, _ in program],
        arrays,
        rows,
        lost,
        {name: spec[2] for name, spec in program if spec[0] == MAP},
    )


def decode_map(raw: bytes, value_null_branch: int) -> dict[str, str | None]:
    """A map's raw Avro bytes (as the decoder checked them) as the dict fastavro builds: entries
    in the order written, a repeated key's last value winning."""
    out: dict[str, str | None] = {}
    pos = 0
    while True:
        count, pos = read_long(raw, pos)
        if count == 0:
            return out
        if count < 0:
            count = -count
            _, pos = read_long(raw, pos)
        for _ in range(count):
            size, pos = read_long(raw, pos)
            key = raw[pos : pos + size].decode()
            pos += size
            present = True
            if value_null_branch >= 0:
                branch, pos = read_long(raw, pos)
                present = branch % 2 != value_null_branch  # -1, -2: as fastavro indexes
            value = None
            if present:
                size, pos = read_long(raw, pos)
                value = raw[pos : pos + size].decode()
                pos += size
            out[key] = value
