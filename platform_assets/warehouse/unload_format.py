"""The Redshift UNLOAD line format (DELIMITER '|' ESCAPE ADDQUOTES NULL AS '\\N'): writing it,
and the exact grammar of one record.

A record is fields joined by ``|`` and ended by an unescaped line feed (``\\r\\n`` is accepted as
the same end). A field is either ``\\N`` unquoted (NULL) or a value in double quotes. Inside the
quotes a backslash escapes exactly what Redshift's ESCAPE escapes: ``\\``, ``|``, ``"``, ``'``,
line feed and carriage return; a raw ``|``, ``'`` or carriage return inside quotes is plain data.
Anything else (an unquoted value, text after a closing quote, ``\\N`` inside quotes, a backslash
before another character, NUL bytes, invalid UTF-8) is not the format, and the record is refused
with the reason: never loaded changed.

This module is the reference: the fast reader in ``unload.py`` must agree with it on every input.
"""

import math
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

ESCAPED_BY_REDSHIFT = "\\|\"'\n\r"
_ESCAPE = {ord(c): "\\" + c for c in ESCAPED_BY_REDSHIFT}
# a record: anything but a backslash or a line feed, or a backslash and the byte it escapes
_RECORD = re.compile(rb"(?:[^\\\n]|\\[\s\S])*(?:\\\Z)?")


# ---------------------------------------------------------------- writing


def format_value(value: Any) -> str:
    """One field as Redshift writes it: NULL as unquoted ``\\N``, anything else escaped, quoted."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") + "+00"
        else:
            text = value.isoformat(sep=" ")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = _float_text(value)
    else:
        text = str(value)
    return f'"{text.translate(_ESCAPE)}"'


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def format_rows(rows: Iterable[Iterable[Any]]) -> bytes:
    return "".join("|".join(format_value(v) for v in row) + "\n" for row in rows).encode("utf-8")


# ---------------------------------------------------------------- reading one record


def split_records(payload: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end, physical line) of each record; ``end`` excludes the line feed that ends it.

    Only an unescaped line feed ends a record, whatever the quotes say: a raw line feed inside
    quotes ends the record there (which leaves its quote unterminated), so one broken line never
    swallows the next."""
    start, line, size = 0, 1, len(payload)
    while start < size:
        match = _RECORD.match(payload, start)
        end = match.end() if match else start
        yield start, end, line
        line += payload.count(b"\n", start, end) + 1
        start = end + 1


def parse_record(raw: bytes, columns: int) -> tuple[list[str | None] | None, str | None]:
    """The ``columns`` fields of one record (its bytes without the line feed), or None and why it
    is refused. The first fault from the left is the reason, whatever follows it."""
    if raw.endswith(b"\r") and _unescaped_at_end(raw):
        raw = raw[:-1]
    nul = raw.find(b"\x00")
    if nul >= 0:
        return None, f"NUL byte at byte {nul + 1} of the line"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"invalid UTF-8 at byte {error.start + 1} of the line"
    if not text:
        return None, "empty line"
    fields: list[str | None] = []
    i, size = 0, len(text)
    while True:
        number = len(fields) + 1
        if text.startswith("\\N", i) and (i + 2 == size or text[i + 2] == "|"):
            fields.append(None)
            i += 2
        elif i < size and text[i] == '"':
            value, i, reason = _quoted(text, i + 1, number)
            if reason:
                return None, reason
            fields.append(value)
            if i < size and text[i] != "|":
                return None, f"text after the closing quote of field {number}"
        else:
            return None, f"unquoted value in field {number}"
        if i == size:
            if len(fields) != columns:
                return None, f"expected {columns} fields, found {len(fields)}"
            return fields, None
        i += 1  # the delimiter


def _quoted(text: str, i: int, number: int) -> tuple[str, int, str | None]:
    """A quoted value from just after its opening quote: (value, index after its closing quote,
    error)."""
    out: list[str] = []
    size = len(text)
    while i < size:
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1, None
        if ch == "\\":
            if i + 1 == size:
                break
            escaped = text[i + 1]
            if escaped not in ESCAPED_BY_REDSHIFT:
                return "", i, f"broken escape in field {number}: backslash before {escaped!r}"
            out.append(escaped)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "", i, f"unterminated quote in field {number}"


def _unescaped_at_end(raw: bytes) -> bool:
    """Whether the last byte of ``raw`` stands for itself (an even run of backslashes before it)."""
    run = len(raw) - 1 - len(raw[:-1].rstrip(b"\\"))
    return run % 2 == 0
