"""Reading Redshift UNLOAD parts into typed tables and a quarantine: fast, and exactly.

The format and its grammar are in ``unload_format`` (the reference); typing a value is in
``unload_values``. ``read_unload`` is the fast path: a one-pass scan in C (``unload_scan``) proves
which records are well formed, pyarrow's C++ CSV parser reads those, and the exact parser reads
the rest and names what is wrong with each. ``read_unload_exact`` reads every record with the
exact parser; the two agree on every input (a property test holds them to it), and a record's
outcome never depends on other records.
"""

import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from platform_assets.warehouse import unload_scan, unload_values
from platform_assets.warehouse.unload_format import format_rows, parse_record, split_records
from platform_assets.warehouse.unload_scan import SENTINEL_CR, SENTINEL_LF
from resources.model.tables import Table

__all__ = ["Parsed", "QUARANTINE_SCHEMA", "format_rows", "read_unload", "read_unload_exact"]

QUARANTINE_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("text", pa.string()),
    ]
)


class UnreadableFile(ValueError):
    """A part that cannot be read at all (a broken gzip stream): refused whole, never half read."""


@dataclass
class Parsed:
    table: pa.Table
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0  # records seen, good and bad
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # each row's line

    @property
    def bad_share(self) -> float:
        return len(self.quarantine) / self.records if self.records else 0.0


def decompress(raw: bytes, origin: str) -> bytes:
    """The part's bytes, gunzipped when it starts with gzip's magic bytes."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise UnreadableFile(f"{origin}: not a readable gzip file ({error})") from error


def read_unload(raw: bytes, table: Table, origin: str) -> Parsed:
    """Parse one unload part (gzip detected by magic bytes) into a typed table + quarantine."""
    if not unload_scan.AVAILABLE:
        return read_unload_exact(raw, table, origin)
    payload = decompress(raw, origin)
    found = unload_scan.scan(payload, len(table.columns))
    records = len(found.starts)
    clean = np.flatnonzero(~found.suspicious)
    strings = _parse_clean(payload, found, clean, table)
    if strings is None:  # pyarrow disagreed with the scan: read everything exactly
        clean = clean[:0]
        strings = _strings_table([], table)
    reasons: dict[int, str] = {}
    exact_rows: list[tuple[int, list[str | None]]] = []
    for record in np.flatnonzero(found.suspicious) if len(clean) else range(records):
        start, end = int(found.starts[record]), int(found.ends[record])
        fields, reason = parse_record(payload[start:end], len(table.columns))
        if fields is None:
            reasons[int(record)] = str(reason)
        else:
            exact_rows.append((int(record), fields))
    if exact_rows:
        order = np.concatenate([clean, [r for r, _ in exact_rows]]).astype(np.int64)
        merged = pa.concat_tables([strings, _strings_table([f for _, f in exact_rows], table)])
        permutation = np.argsort(order, kind="stable")
        strings, row_records = merged.take(pa.array(permutation)), order[permutation]
    else:
        row_records = clean
    parsed = _typed(payload, found.span, records, strings, row_records, reasons, table, origin)
    parsed.lines = found.lines[parsed.lines]
    return parsed


def read_unload_exact(raw: bytes, table: Table, origin: str) -> Parsed:
    """The reference reader: every record through the exact grammar."""
    payload = decompress(raw, origin)
    spans = list(split_records(payload))
    reasons: dict[int, str] = {}
    rows: list[list[str | None]] = []
    row_records: list[int] = []
    for record, (start, end, _line) in enumerate(spans):
        fields, reason = parse_record(payload[start:end], len(table.columns))
        if fields is None:
            reasons[record] = str(reason)
        else:
            rows.append(fields)
            row_records.append(record)
    strings = _strings_table(rows, table)
    parsed = _typed(
        payload,
        spans.__getitem__,
        len(spans),
        strings,
        np.array(row_records, np.int64),
        reasons,
        table,
        origin,
    )
    parsed.lines = np.array([spans[r][2] for r in parsed.lines], np.int64)
    return parsed


def _parse_clean(
    payload: bytes, found: unload_scan.Scan, clean: np.ndarray, table: Table
) -> pa.Table | None:
    """The clean records' fields as strings, read by pyarrow (None: pyarrow read them otherwise)."""
    if len(clean) == 0:
        return _strings_table([], table)
    data = payload
    if len(found.escaped_lf) or len(found.escaped_cr) or found.suspicious.any():
        buf = np.frombuffer(payload, dtype=np.uint8).copy()
        buf[found.escaped_lf] = SENTINEL_LF
        buf[found.escaped_cr] = SENTINEL_CR
        if found.suspicious.any():
            lengths = np.minimum(found.ends + 1, len(buf)) - found.starts
            buf = buf[np.repeat(~found.suspicious, lengths)]
        data = buf.tobytes()
    try:
        parsed = pcsv.read_csv(
            pa.py_buffer(data),
            # single-threaded: files are parsed in parallel instead
            read_options=pcsv.ReadOptions(
                column_names=table.names, block_size=1 << 24, use_threads=False
            ),
            parse_options=pcsv.ParseOptions(
                delimiter="|",
                quote_char='"',
                escape_char="\\",
                double_quote=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=lambda row: "error",
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in table.names},
                null_values=["N"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if parsed.num_rows != len(clean):
        return None
    if len(found.escaped_lf) or len(found.escaped_cr):
        columns = []
        for column in parsed.columns:
            text = pc.replace_substring(column, chr(SENTINEL_LF), "\n")
            columns.append(pc.replace_substring(text, chr(SENTINEL_CR), "\r"))
        parsed = pa.table(columns, names=table.names)
    return parsed.combine_chunks()


def _strings_table(rows: list[list[str | None]], table: Table) -> pa.Table:
    return pa.table(
        {
            name: pa.array([row[k] for row in rows], pa.string())
            for k, name in enumerate(table.names)
        }
    )


def _typed(
    payload: bytes,
    span: Callable[[int], tuple[int, int, int]],
    records: int,
    strings: pa.Table,
    row_records: np.ndarray,
    reasons: dict[int, str],
    table: Table,
    origin: str,
) -> Parsed:
    """Type each column; a record with a value not of its column's type joins the quarantine."""
    columns, bad_rows = [], np.zeros(strings.num_rows, dtype=bool)
    for column in table.columns:
        text = strings.column(column.name).combine_chunks()
        typed, bad = unload_values.convert(text, column)
        for row in np.flatnonzero(bad & ~bad_rows):
            reasons[int(row_records[row])] = unload_values.reason(column, text[int(row)].as_py())
        bad_rows |= bad
        columns.append(typed)
    good = pa.table(columns, schema=table.schema()).filter(pa.array(~bad_rows))
    quarantine = []
    for record, reason in sorted(reasons.items()):
        start, end, line = span(record)
        quarantine.append(
            {
                "table": table.name,
                "file": origin,
                "line": line,
                "reason": reason,
                "text": payload[start:end].decode("utf-8", "backslashreplace")[:500],
            }
        )
    return Parsed(good, quarantine, records, row_records[~bad_rows])  # lines: set by the caller
