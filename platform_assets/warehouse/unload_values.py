"""Typing the text of an unload column: each value on its own, so that a value's fate never
depends on its neighbours.

A value is good when it matches the form Redshift writes for its type (the patterns below) *and*
converts; nothing else is tried. The vectorised cast is only a shortcut for columns where every
value is good: when it fails, the values are cast one by one and only the failing ones are bad.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from resources.model.tables import Column

_PATTERNS = {
    "int64": r"^-?[0-9]+$",
    "int32": r"^-?[0-9]+$",
    "float64": r"^(-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|NaN|-?Infinity)$",
    "bool": r"^(t|f|true|false|1|0)$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?",
}
_UTC_SUFFIX = r"(\+00(:00)?|Z)?$"
_ARROW_TYPES = {
    "int64": pa.int64(),
    "int32": pa.int32(),
    "float64": pa.float64(),
    "date": pa.date32(),
}


def pattern(column: Column) -> str:
    """The form a value of this column must have (timestamps may carry a UTC offset)."""
    if column.type == "timestamp":
        return _PATTERNS["timestamp"] + (_UTC_SUFFIX if column.utc else "$")
    return _PATTERNS[column.type]


def convert(strings: pa.Array, column: Column) -> tuple[pa.Array, np.ndarray]:
    """The typed column and a mask of the values that are not of the type (NULLs are good)."""
    if column.type == "string":
        return strings, np.zeros(len(strings), dtype=bool)
    matches = _matches(strings, column)
    bad = ~matches.to_numpy(zero_copy_only=False)
    text = pc.if_else(matches, strings, pa.scalar(None, pa.string())) if bad.any() else strings
    if column.type == "bool":
        truthy = pc.is_in(text, value_set=pa.array(["t", "true", "1"]))
        return pc.if_else(pc.is_null(text), pa.scalar(None, pa.bool_()), truthy), bad
    if column.type == "timestamp":
        text = pc.replace_substring_regex(text, _UTC_SUFFIX, "")
        typed = _cast(text, pa.timestamp("us"), bad)
        if column.utc:
            typed = pc.assume_timezone(typed, "UTC")
        return typed, bad
    typed = _cast(text, _ARROW_TYPES[column.type], bad)
    if column.type == "float64":
        typed = _refuse_overflow(typed, text, bad)
    return typed, bad


def _matches(strings: pa.Array, column: Column) -> pa.Array:
    """Which values have the column's form (NULLs do). Integers and dates take cheaper checks
    than a regex, with the same meaning: pyarrow's date parser takes exactly ``YYYY-MM-DD``, and
    its integer parser takes ``-?[0-9]+`` plus hex (``0x1``), which the digit check refuses."""
    if column.type in ("int64", "int32"):
        digits = pc.utf8_ltrim(strings, "-")
        one_sign = pc.less_equal(pc.subtract(pc.utf8_length(strings), pc.utf8_length(digits)), 1)
        return pc.and_(pc.ascii_is_decimal(digits), one_sign).fill_null(True)
    if column.type == "date":
        return pc.equal(pc.utf8_length(strings), 10).fill_null(True)
    return pc.match_substring_regex(strings, pattern(column)).fill_null(True)


def _cast(text: pa.Array, target: pa.DataType, bad: np.ndarray) -> pa.Array:
    try:
        return pc.cast(text, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. month 13, int64 overflow
        values = []
        for i, value in enumerate(text.to_pylist()):
            try:
                values.append(None if value is None else pa.scalar(value).cast(target).as_py())
            except (pa.ArrowInvalid, ValueError, OverflowError):
                values.append(None)
                bad[i] = True
        return pa.array(values, type=target)


def _refuse_overflow(typed: pa.Array, text: pa.Array, bad: np.ndarray) -> pa.Array:
    """A literal like 1e400 reads as infinity: Redshift never writes one, so it is bad."""
    infinite = pc.and_(pc.is_inf(typed), pc.invert(pc.ends_with(text, "Infinity"))).fill_null(False)
    overflow = infinite.to_numpy(zero_copy_only=False)
    if not overflow.any():
        return typed
    bad |= overflow
    return pc.if_else(infinite, pa.scalar(None, pa.float64()), typed)


def reason(column: Column, value: str | None) -> str:
    return f"column {column.name}: not a {column.type}: {str(value)[:60]!r}"
