"""binary_column: the same values pa.array builds, nulls kept, in chunks of bounded size."""

import random

import pyarrow as pa

from platform_assets.telemetry import arrow_columns, tables
from platform_assets.demo import telemetry_sample as sample_data
import pytest

pytestmark = pytest.mark.fast  # no external service: make test-fast


def test_binary_column_is_what_pa_array_builds():
    for values in ([b"a", b"", b"\xff\x00 raw"], [], [None, b"q", None], [b"x" * 100_000] * 3):
        assert arrow_columns.binary_column(values).equals(pa.array(values, pa.binary()))


def test_past_the_chunk_bound_the_column_is_chunked_and_the_table_still_whole(monkeypatch):
    monkeypatch.setattr(arrow_columns, "_MAX_CHUNK_BYTES", 3000)
    events = [sample_data.event(random.Random(n), n, 5) for n in range(10)]
    for event in events:
        event["syncts"] = 7
    table = tables.events_table(events)
    assert table.column("event").num_chunks > 1 and table.num_rows == 10
    assert tables.events_from_table(table) == events
    assert tables.take_rows(table, [1, 3]).column("mid").to_pylist() == [events[1]["mid"], events[3]["mid"]]


def test_chunks_hold_at_most_the_bound_and_a_larger_value_alone(monkeypatch):
    monkeypatch.setattr(arrow_columns, "_MAX_CHUNK_BYTES", 10)
    values = [b"abcd", b"efgh", b"ij", b"k" * 25, b"", b"lmnopqrs", b"tu"]
    column = arrow_columns.binary_column(values)
    assert column.to_pylist() == values
    assert [c.to_pylist() for c in column.chunks] == [[b"abcd", b"efgh", b"ij"], [b"k" * 25], [b"", b"lmnopqrs", b"tu"]]
