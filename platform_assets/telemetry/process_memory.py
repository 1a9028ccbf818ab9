"""Keeping freed memory in the process during the telemetry steps, instead of handing it back to
the OS and faulting it in again for the next micro-batch or chunk.

glibc's malloc returns a freed heap top over its trim threshold to the OS (and maps large blocks
fresh each time). The steps free and reallocate ~50 MB per micro-batch, so on this project's VM
ingest took ~450k page faults per million events; with the thresholds raised it takes ~100k
(measured with ``benchmarks/telemetry_throughput.py``'s CPU figures and ``getrusage``). The cost
is that the worker keeps its peak heap until it exits, which a run worker does when its run ends.
"""

import ctypes
import ctypes.util
from functools import lru_cache

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest: blocks up to 32 MiB come from the reusable heap
_TRIM_THRESHOLD_BYTES = 1 << 30


@lru_cache(maxsize=1)
def retain_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once); False where the C library
    is not glibc (nothing changes there)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
    )
