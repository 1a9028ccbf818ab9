"""Finding the expected series of millions of records by integer codes, and sorting them, fast.
No Dagster import.

A day is two million records against some hundred thousand series. Looking each record's series
up by binary search costs a cache miss per step; a dense table indexed by the (service, hostname)
pair costs one. Sorting by several integer columns packs them into one int64 key, sorted by
value (no permutation, no stable pass), whenever they fit in 63 bits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# pairs (services x hosts) a dense table covers: 64 MB of int32 at most; beyond, a binary search
DENSE_LIMIT = 1 << 24


class PairTable:
    """The rows of a table in which each (service, hostname) pair's rows are contiguous (one per
    endpoint group of the pair): where a pair's rows start, and how many there are."""

    def __init__(self, pair_keys: np.ndarray, n_keys: int) -> None:
        """``pair_keys``: each row's ``service code * n_hosts + host code``; ``n_keys``: their
        range (n_services * n_hosts)."""
        keys = np.asarray(pair_keys, dtype=np.int64)
        self.keys, self.start, self.count = np.unique(keys, return_index=True, return_counts=True)
        self.slot: np.ndarray | None = None
        if n_keys <= DENSE_LIMIT:
            self.slot = np.full(max(n_keys, 1), -1, dtype=np.int32)
            self.slot[self.keys] = np.arange(len(self.keys), dtype=np.int32)

    def find(self, keys: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first row, number of rows) of each key; no rows for a key not ``known`` or absent."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), np.int64)
        if self.slot is not None:
            index = np.where(known, self.slot[np.where(known, keys, 0)], -1)
        else:
            pos = np.clip(np.searchsorted(self.keys, keys), 0, len(self.keys) - 1)
            index = np.where(known & (self.keys[pos] == keys), pos, -1)
        hit = index >= 0
        safe = np.where(hit, index, 0)
        return self.start[safe].astype(np.int64), np.where(hit, self.count[safe], 0).astype(
            np.int64
        )


def fan_out(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(item, match number) of every match, items in order, for items with ``count`` matches."""
    count = np.asarray(count, dtype=np.int64)
    item = np.repeat(np.arange(len(count), dtype=np.int64), count)
    within = np.arange(len(item), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return item, within


def sort_packed(columns: Sequence[np.ndarray]) -> list[np.ndarray] | None:
    """The non-negative integer ``columns`` (most significant first) sorted together, as one
    int64 key sorted by value; None when they do not fit in 63 bits (then use ``np.lexsort``).
    Rows equal in every column are indistinguishable, so the sort need not be stable."""
    if len(columns[0]) == 0:
        return [np.asarray(c, dtype=np.int64) for c in columns]
    bits = [max(int(np.max(c)), 0).bit_length() for c in columns]
    if sum(bits) > 63:
        return None
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, width in zip(columns, bits, strict=True):
        key <<= width
        key |= np.asarray(column, dtype=np.int64)
    key.sort()
    out = []
    for width in reversed(bits):
        out.append(key & ((1 << width) - 1))
        key >>= width
    return out[::-1]
