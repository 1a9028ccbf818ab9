"""The integer lookups and sorts the kernel and ``status_metrics`` share: the dense table and the
binary search find the same rows, and the packed sort is ``np.lexsort``'s order."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_assets.argo import series_lookup
from platform_assets.argo.series_lookup import PairTable, fan_out, sort_packed

pytestmark = pytest.mark.fast


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 50), max_size=30),
    st.lists(st.integers(-1, 55), max_size=40),
    st.integers(1, 3),
)
def test_the_dense_table_and_the_search_find_the_same_rows(pairs, queries, copies):
    rows = np.repeat(
        np.array(sorted(set(pairs)), dtype=np.int64), copies
    )  # each pair's rows together
    keys = np.array(queries, dtype=np.int64)
    known = (keys >= 0) & (keys < 51)
    dense = PairTable(rows, 51).find(keys, known)
    searched = PairTable(rows, series_lookup.DENSE_LIMIT + 1).find(keys, known)
    assert PairTable(rows, series_lookup.DENSE_LIMIT + 1).slot is None
    for got in (dense, searched):
        first, count = got
        for key, ok, f, c in zip(keys, known, first, count, strict=True):
            expected = np.flatnonzero(rows == key) if ok else []
            assert c == len(expected) and (c == 0 or f == expected[0])


def test_fan_out_lists_every_match_in_item_order():
    item, within = fan_out(np.array([2, 0, 3]))
    assert item.tolist() == [0, 0, 2, 2, 2] and within.tolist() == [0, 1, 0, 1, 2]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 86_400), st.integers(0, 6)), max_size=60)
)
def test_the_packed_sort_is_the_lexsort_order(rows):
    columns = (
        [np.array(c, dtype=np.int64) for c in zip(*rows)] if rows else [np.zeros(0, np.int64)] * 3
    )
    position = np.arange(len(rows), dtype=np.int64)
    packed = sort_packed([*columns, position])
    order = np.lexsort((position, *reversed(columns)))
    assert packed[-1].tolist() == order.tolist()
    assert all(p.tolist() == c[order].tolist() for p, c in zip(packed, columns, strict=False))


def test_columns_too_wide_to_pack_are_left_to_lexsort():
    assert sort_packed([np.array([1 << 40]), np.array([1 << 30])]) is None
