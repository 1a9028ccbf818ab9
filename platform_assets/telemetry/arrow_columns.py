"""Arrow columns built from Python values without the per-value cost of ``pa.array``.

A micro-batch of telemetry is ~50 MB of ~100 KB messages; ``pa.array(list_of_bytes)`` grows its
buffer by doubling and touches fresh memory per value (measured ~165 MB/s on the project's
machine), while one ``b"".join`` plus an offsets array is a single copy (~1.8 GB/s).
"""

import numpy as np
import pyarrow as pa

_MAX_INT32_BYTES = (1 << 31) - 1


def binary_column(values: list[bytes | None]) -> pa.Array | pa.ChunkedArray:
    """``values`` as an Arrow binary array (nulls kept); over 2 GiB, as chunks of at most that."""
    if None in values:
        return pa.array(values, pa.binary())
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] > _MAX_INT32_BYTES:  # 32-bit offsets: split in halves until each fits
        half = len(values) // 2
        chunks = [binary_column(values[:half]), binary_column(values[half:])]
        return pa.chunked_array([c for part in chunks for c in getattr(part, "chunks", [part])], pa.binary())
    return pa.Array.from_buffers(pa.binary(), len(values),
                                 [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(values))])
