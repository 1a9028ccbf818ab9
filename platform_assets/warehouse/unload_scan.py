"""Finding the records of an unload part that are certainly well formed, at C speed.

The fast reader hands pyarrow's CSV parser only the records this scan proves to follow the grammar
of ``unload_format`` exactly; every other record (rare in real unloads) goes to the exact parser,
which gives the reason. pyarrow alone is lenient (it takes unquoted values, text after a closing
quote, a bare ``N``), so without this scan it would load malformed lines changed.

The scan itself is ``_unload_scan.c`` (built by ``pip install``, like the telemetry reader): one
pass over the bytes with the grammar's state machine. Invalid UTF-8 is found here, with Python's
own decoder, so that both readers judge it by the same rules.
"""

import logging
from dataclasses import dataclass

import numpy as np

SENTINEL_LF, SENTINEL_CR = 0x1F, 0x1E  # stand in for escaped line ends while pyarrow parses

try:
    from platform_assets.warehouse._unload_scan import scan as _native_scan
except ImportError as exc:  # pragma: no cover - a build without a C compiler
    _native_scan = None
    logging.getLogger(__name__).warning(
        f"native unload scan not built ({exc}): unload parts take the exact reader only"
    )

AVAILABLE = _native_scan is not None


@dataclass
class Scan:
    starts: np.ndarray  # first byte of each record
    ends: np.ndarray  # the line feed ending each record (or the payload's size)
    lines: np.ndarray  # physical line number of each record's first byte
    suspicious: np.ndarray  # records the exact parser must read
    escaped_lf: np.ndarray  # positions of escaped line feeds
    escaped_cr: np.ndarray  # positions of escaped carriage returns

    def span(self, record: int) -> tuple[int, int, int]:
        """(start, end, line) of one record."""
        return int(self.starts[record]), int(self.ends[record]), int(self.lines[record])


def scan(payload: bytes, columns: int) -> Scan:
    if _native_scan is None:
        raise RuntimeError("the native unload scan is not built")
    starts, ends, lines, clean, escaped_lf, escaped_cr = _native_scan(payload, columns)
    found = Scan(
        np.frombuffer(starts, np.int64),
        np.frombuffer(ends, np.int64),
        np.frombuffer(lines, np.int64),
        np.frombuffer(clean, np.uint8) == 0,
        np.frombuffer(escaped_lf, np.int64),
        np.frombuffer(escaped_cr, np.int64),
    )
    invalid = _invalid_utf8(payload)
    if len(invalid):
        found.suspicious[np.searchsorted(found.ends, invalid)] = True
    return found


def _invalid_utf8(payload: bytes) -> np.ndarray:
    """Positions of the first invalid byte of each stretch that does not decode."""
    bad: list[int] = []
    offset = 0
    while True:
        try:
            payload[offset:].decode("utf-8")
            return np.array(bad, dtype=np.int64)
        except UnicodeDecodeError as error:
            bad.append(offset + error.start)
            offset += error.end
