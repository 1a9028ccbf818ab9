"""Redshift UNLOAD files: writing (for sample data) and reading them fast and exactly.

Format: DELIMITER '|', ADDQUOTES (every value in double quotes), NULL AS '\\N' (written unquoted),
ESCAPE (a backslash before '|', '"', '\\' and a newline that belongs to the value), optional gzip.

Reading takes pyarrow's C++ CSV parser. Escaped newlines are first swapped for a sentinel byte so
each record sits on one physical line, which keeps record and line numbers exact for the
quarantine. Lines with the wrong field count, broken escapes or unparseable values become
quarantine rows (table, file, line, reason); everything else becomes a typed Arrow table.
"""

import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from resources.model.tables import Table

SENTINEL = b"\x1f"  # stands in for an escaped newline while pyarrow parses
QUARANTINE_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("text", pa.string()),
    ]
)
_ESCAPABLE = np.zeros(256, dtype=bool)
_ESCAPABLE[list(b'\\|"N') + [SENTINEL[0]]] = True
_PATTERNS = {
    "int64": r"^-?[0-9]{1,18}$",
    "int32": r"^-?[0-9]{1,9}$",
    "float64": r"^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$",
    "bool": r"^(t|f|true|false|1|0)$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ "
    r"T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(\+00(:?00)?|Z)?$",
}


# ---------------------------------------------------------------- writing


def format_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, datetime):
        text = (
            value.strftime("%Y-%m-%d %H:%M:%S.%f")
            if value.microsecond
            else value.strftime("%Y-%m-%d %H:%M:%S")
        )
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace('"', '\\"').replace("\n", "\\\n")
    return f'"{text}"'


def format_rows(rows: Iterable[Iterable[Any]]) -> bytes:
    return "".join("|".join(format_value(v) for v in row) + "\n" for row in rows).encode("utf-8")


# ---------------------------------------------------------------- reading


@dataclass
class Parsed:
    table: pa.Table
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0  # records seen, good and bad

    @property
    def bad_share(self) -> float:
        return len(self.quarantine) / self.records if self.records else 0.0


def _line_starts(payload: bytes) -> np.ndarray:
    """Original line number (1-based) of each record of the sentinel-swapped payload."""
    buf = np.frombuffer(payload, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    sentinels = np.flatnonzero(buf == SENTINEL[0])
    starts = np.concatenate([[0], newlines + 1])
    embedded_before = np.searchsorted(sentinels, starts)
    return 1 + np.arange(len(starts)) + embedded_before


def _convert(column: pa.ChunkedArray, kind: str, utc: bool) -> tuple[pa.Array, np.ndarray]:
    """Typed column plus a mask of values that do not parse (nulls stay null and valid)."""
    strings = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if kind == "string":
        return strings, np.zeros(len(strings), dtype=bool)
    fast = _cast_clean(strings, kind, utc)
    if fast is not None:
        return fast, np.zeros(len(strings), dtype=bool)
    ok = pc.match_substring_regex(strings, _PATTERNS[kind]).fill_null(True)
    bad = ~ok.to_numpy(zero_copy_only=False)
    cleaned = pc.if_else(ok, strings, pa.scalar(None, pa.string()))
    if kind == "bool":
        lowered = pc.utf8_lower(cleaned)
        typed = pc.is_in(lowered, value_set=pa.array(["t", "true", "1"]))
        return pc.if_else(pc.is_null(cleaned), pa.scalar(None, pa.bool_()), typed), bad
    if kind == "timestamp":
        text = pc.replace_substring_regex(cleaned, r"(\+00(:?00)?|Z)$", "")
        text = pc.replace_substring(text, " ", "T")
        target = pa.timestamp("us", tz="UTC" if utc else None)
        try:
            naive = pc.cast(text, pa.timestamp("us"))
        except pa.ArrowInvalid:  # e.g. month 13: find the rows one by one
            return _convert_slowly(text, pa.timestamp("us"), bad, target)
        return (pc.assume_timezone(naive, "UTC") if utc else naive).cast(target), bad
    target = {
        "int64": pa.int64(),
        "int32": pa.int32(),
        "float64": pa.float64(),
        "date": pa.date32(),
    }[kind]
    try:
        return pc.cast(cleaned, target), bad
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _convert_slowly(cleaned, target, bad, target)


def _cast_clean(strings: pa.Array, kind: str, utc: bool) -> pa.Array | None:
    """The common case, a column where every value parses: one vectorised cast, or None."""
    try:
        if kind == "bool":
            lowered = pc.utf8_lower(strings)
            if not pc.all(
                pc.is_in(lowered, value_set=pa.array(["t", "f", "true", "false", "1", "0"]))
            ).as_py():
                return None
            truthy = pc.is_in(lowered, value_set=pa.array(["t", "true", "1"]))
            return pc.if_else(pc.is_null(strings), pa.scalar(None, pa.bool_()), truthy)
        if kind == "timestamp":  # a zone suffix makes this cast fail: the careful path handles it
            naive = pc.cast(strings, pa.timestamp("us"))
            return pc.assume_timezone(naive, "UTC") if utc else naive
        target = {
            "int64": pa.int64(),
            "int32": pa.int32(),
            "float64": pa.float64(),
            "date": pa.date32(),
        }[kind]
        return pc.cast(strings, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _convert_slowly(
    strings: pa.Array, parse_type: pa.DataType, bad: np.ndarray, target: pa.DataType
):
    values = []
    for i, value in enumerate(strings.to_pylist()):
        try:
            values.append(None if value is None else pa.scalar(value).cast(parse_type).as_py())
        except (pa.ArrowInvalid, ValueError):
            values.append(None)
            bad[i] = True
    array = pa.array(values, type=parse_type)
    if pa.types.is_timestamp(target) and target.tz:
        array = pc.assume_timezone(array, "UTC").cast(target)
    return array, bad


def _broken_escapes(buf: np.ndarray) -> np.ndarray:
    """Byte offsets of backslashes that escape a character needing no escape.

    Works on backslash positions only: in a run of backslashes, pairs are escaped backslashes; an
    odd run's last one escapes the next byte, which must be one of \\ | " N or an escaped newline.
    """
    positions = np.flatnonzero(buf == 92)
    if len(positions) == 0:
        return positions
    breaks = np.flatnonzero(np.diff(positions) != 1)
    starts = positions[np.concatenate([[0], breaks + 1])]
    ends = positions[np.concatenate([breaks, [len(positions) - 1]])] + 1  # a run is buf[start:end]
    odd = (ends - starts) % 2 == 1
    follows = buf[np.minimum(ends, len(buf) - 1)]
    return starts[odd & ((ends >= len(buf)) | ~_ESCAPABLE[follows])]


def read_unload(raw: bytes, table: Table, origin: str) -> Parsed:
    """Parse one unload part (gzip detected by magic bytes) into a typed table + quarantine."""
    payload = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    if SENTINEL in payload:
        return _read_slowly(payload, table, origin)
    payload = payload.replace(b"\\\n", b"\\" + SENTINEL)
    embedded_newlines = SENTINEL in payload
    skipped: dict[int, str] = {}

    def on_invalid(row: pcsv.InvalidRow) -> str:
        skipped[row.number - 1] = (
            f"expected {row.expected_columns} fields, found {row.actual_columns}"
        )
        return "skip"

    try:
        parsed = pcsv.read_csv(
            pa.py_buffer(payload),
            # single-threaded so invalid rows know their
            # number; files are parsed in parallel instead
            read_options=pcsv.ReadOptions(
                column_names=table.names, block_size=1 << 24, use_threads=False
            ),
            parse_options=pcsv.ParseOptions(
                delimiter="|",
                quote_char='"',
                escape_char="\\",
                double_quote=False,
                newlines_in_values=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in table.names},
                null_values=["N"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return _read_slowly(payload.replace(b"\\" + SENTINEL, b"\\\n"), table, origin)
    n_records = parsed.num_rows + len(skipped)
    if n_records != payload.count(b"\n") + (0 if payload.endswith(b"\n") or not payload else 1):
        # an unterminated quote made the fast parser run one record into the next lines
        return _read_slowly(payload.replace(b"\\" + SENTINEL, b"\\\n"), table, origin)
    record_index = (
        np.delete(np.arange(n_records), sorted(skipped)) if skipped else np.arange(n_records)
    )
    reasons: dict[int, str] = dict(skipped)
    buf = np.frombuffer(payload, dtype=np.uint8)
    bad_at = _broken_escapes(buf)
    broken = (
        {int(r) for r in np.searchsorted(np.flatnonzero(buf == 10), bad_at)}
        if len(bad_at)
        else set()
    )

    for rec in broken:
        reasons.setdefault(
            rec, "broken escape: backslash before a character that needs no escaping"
        )

    columns, bad_rows = [], np.zeros(parsed.num_rows, dtype=bool)
    for col in table.columns:
        strings = parsed.column(col.name)
        if embedded_newlines and col.type == "string":
            strings = pc.replace_substring(strings, SENTINEL.decode(), "\n")
        typed, bad = _convert(strings, col.type, col.utc)
        for row in np.flatnonzero(bad):
            reasons.setdefault(
                int(record_index[row]),
                f"column {col.name}: not a {col.type}: {str(strings[int(row)].as_py())[:60]!r}",
            )
        bad_rows |= bad
        columns.append(typed)
    keep = ~bad_rows & ~np.isin(record_index, list(broken))
    good = pa.table(columns, schema=table.schema()).filter(pa.array(keep))
    quarantine: list[dict[str, Any]] = []
    if reasons:
        record_lines = payload.split(b"\n")
        lines = _line_starts(payload)
        quarantine = [
            {
                "table": table.name,
                "file": origin,
                "line": int(lines[rec]),
                "reason": reason,
                "text": record_lines[rec].replace(SENTINEL, b"\n").decode("utf-8", "replace")[:500],
            }
            for rec, reason in sorted(reasons.items())
        ]
    return Parsed(good, quarantine, n_records)


def _read_slowly(payload: bytes, table: Table, origin: str) -> Parsed:
    """Exact, character-by-character reader for files the fast path cannot take (an unterminated
    quote, or a sentinel byte in the data). Also the reference the fast path is tested against."""
    text = payload.decode("utf-8", errors="replace")
    rows: list[tuple[int, list[str | None]]] = []
    quarantine: list[dict[str, Any]] = []
    line, n = 1, 0
    i, size = 0, len(text)
    while i < size:
        fields: list[str | None] = []
        start_line, reason = line, None
        value: list[str] | None = []
        in_quotes = False
        while i < size:
            ch = text[i]
            if ch == "\\" and i + 1 < size:
                nxt = text[i + 1]
                if nxt == "N" and not in_quotes and not value:
                    value = None
                else:
                    if nxt not in '\\|"\n':
                        reason = (
                            reason
                            or "broken escape: backslash before a character that needs no escaping"
                        )
                    if nxt == "\n":
                        line += 1
                    if value is not None:
                        value.append(nxt)
                i += 2
                continue
            if ch == '"':
                in_quotes = not in_quotes
            elif ch == "|" and not in_quotes:
                fields.append(None if value is None else "".join(value))
                value = []
            elif ch == "\n" and not in_quotes:
                i += 1
                line += 1
                break
            elif ch == "\n":  # a raw newline inside quotes: the value was never closed
                i += 1
                line += 1
                reason = "unterminated quote"
                break
            elif value is not None:
                value.append(ch)
            i += 1
        fields.append(None if value is None else "".join(value))
        n += 1
        if in_quotes:
            reason = "unterminated quote"
        elif len(fields) != len(table.columns):
            reason = reason or f"expected {len(table.columns)} fields, found {len(fields)}"
        if reason:
            quarantine.append(
                {
                    "table": table.name,
                    "file": origin,
                    "line": start_line,
                    "reason": reason,
                    "text": "|".join(str(f) for f in fields)[:500],
                }
            )
        else:
            rows.append((start_line, fields))
    strings = pa.table(
        {c: pa.array([r[1][k] for r in rows], pa.string()) for k, c in enumerate(table.names)}
    )
    columns, bad_rows = [], np.zeros(len(rows), dtype=bool)
    reasons: dict[int, str] = {}
    for k, col in enumerate(table.columns):
        typed, bad = _convert(strings.column(col.name), col.type, col.utc)
        for row in np.flatnonzero(bad):
            reasons.setdefault(
                int(row), f"column {col.name}: not a {col.type}: {str(rows[int(row)][1][k])[:60]!r}"
            )
        bad_rows |= bad
        columns.append(typed)
    good = pa.table(columns, schema=table.schema()).filter(pa.array(~bad_rows))
    for bad_row, reason in sorted(reasons.items()):
        quarantine.append(
            {
                "table": table.name,
                "file": origin,
                "line": rows[bad_row][0],
                "reason": reason,
                "text": "|".join(str(v) for v in rows[bad_row][1])[:500],
            }
        )
    quarantine.sort(key=lambda q: q["line"])
    return Parsed(good, quarantine, n)
