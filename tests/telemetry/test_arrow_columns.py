"""binary_column: the same array pa.array builds, nulls kept, chunked past Arrow's 2 GiB offsets."""

import random

import pyarrow as pa

from platform_assets.telemetry import arrow_columns, sample_data, tables


def test_binary_column_is_what_pa_array_builds():
    for values in ([b"a", b"", b"\xff\x00 raw"], [], [None, b"q", None], [b"x" * 100_000] * 3):
        assert arrow_columns.binary_column(values).equals(pa.array(values, pa.binary()))


def test_past_the_32_bit_offset_limit_the_column_is_chunked_and_the_table_still_whole(monkeypatch):
    monkeypatch.setattr(arrow_columns, "_MAX_INT32_BYTES", 3000)  # stands in for 2 GiB
    events = [sample_data.event(random.Random(n), n, 5) for n in range(10)]
    for event in events:
        event["syncts"] = 7
    table = tables.events_table(events)
    assert table.column("event").num_chunks > 1 and table.num_rows == 10
    assert tables.events_from_table(table) == events
    assert tables.take_rows(table, [1, 3]).column("mid").to_pylist() == [events[1]["mid"], events[3]["mid"]]
