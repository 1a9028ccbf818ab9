"""Property tests of the UNLOAD reader: a lossless round trip of anything the writer writes, and
the fast reader agreeing with the exact one on any bytes at all."""

import math
from datetime import date, datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_assets.warehouse.unload import format_rows, read_unload, read_unload_exact
from platform_assets.warehouse.unload_format import split_records
from resources.model.tables import Column, Table

pytestmark = pytest.mark.fast  # no external service: make test-fast

EVERY_TYPE = Table(
    "every_type",
    (
        Column("id", "int64"),
        Column("small", "int32"),
        Column("ratio", "float64"),
        Column("name", "string"),
        Column("flag", "bool"),
        Column("day", "date"),
        Column("at", "timestamp"),
        Column("at_utc", "timestamp", utc=True),
    ),
    ("id",),
    "day",
)
SPECIAL = "\\|\"'\n\r\x1e\x1fN \t,é✓\U0001f600"
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
ROW = st.tuples(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**31), 2**31 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.one_of(TEXT, st.text(alphabet=SPECIAL)),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(timezone.utc)),
).map(list)
NULLABLE_ROW = ROW.flatmap(
    lambda row: st.tuples(*[st.one_of(st.just(v), st.none()) for v in row]).map(list)
)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(read: list, written: list) -> bool:
    for got, want in zip(read, written, strict=True):
        if isinstance(want, float) and math.isnan(want):
            if not (isinstance(got, float) and math.isnan(got)):
                return False
        elif got != want or type(got) is not type(want):
            return False
    return True


@PROPERTY
@given(st.lists(NULLABLE_ROW, max_size=20), st.booleans())
def test_anything_the_writer_writes_reads_back_losslessly(rows, crlf):
    payload = format_rows(rows)
    if crlf:
        payload = payload.replace(b'"\n', b'"\r\n').replace(b"\\N\n", b"\\N\r\n")
    for reader in (read_unload, read_unload_exact):
        parsed = reader(payload, EVERY_TYPE, "p")
        assert parsed.quarantine == [] and parsed.records == len(rows)
        for got, want in zip(parsed.table.to_pylist(), rows, strict=True):
            assert _same(list(got.values()), want), (got, want)


LINE_BYTES = st.lists(
    st.sampled_from(
        [b'"', b"|", b"\\", b"N", b"'", b"\r", b"\n", b"\x00", b"\x1e", b"\x1f", b"\xff", b"\xc3",
         b"\xa9", b"1", b"-", b"2024-01-01", b" ", b"00:00:00", b"t", b"a", b'"|"', b"\\N"]
    ),
    max_size=40,
).map(b"".join)


@PROPERTY
@given(st.lists(st.one_of(LINE_BYTES, NULLABLE_ROW.map(lambda r: format_rows([r]))), max_size=12))
def test_fast_and_exact_readers_agree_on_any_bytes(pieces):
    payload = b"".join(pieces)
    fast, exact = read_unload(payload, EVERY_TYPE, "p"), read_unload_exact(payload, EVERY_TYPE, "p")
    assert fast.records == exact.records
    assert fast.quarantine == exact.quarantine
    assert fast.table.num_rows == exact.table.num_rows
    for a, b in zip(fast.table.to_pylist(), exact.table.to_pylist(), strict=True):
        assert _same(list(a.values()), list(b.values()))


@PROPERTY
@given(st.lists(st.one_of(LINE_BYTES, NULLABLE_ROW.map(lambda r: format_rows([r]))), max_size=8))
def test_a_records_outcome_does_not_depend_on_other_records(pieces):
    payload = b"".join(pieces)
    whole = read_unload(payload, EVERY_TYPE, "p")
    records = [payload[start : end + 1] for start, end, _ in split_records(payload)]  # with its LF
    alone = [read_unload(record, EVERY_TYPE, "p") for record in records]
    assert [q["reason"] for q in whole.quarantine] == [q["reason"] for a in alone for q in a.quarantine]
    pieces_rows = [list(row.values()) for a in alone for row in a.table.to_pylist()]
    whole_rows = [list(row.values()) for row in whole.table.to_pylist()]
    assert len(whole_rows) == len(pieces_rows)
    assert all(_same(a, b) for a, b in zip(whole_rows, pieces_rows, strict=True))


def test_the_epoch_edges_round_trip():
    rows = [[1, 1, 0.1, "x", True, date(1, 1, 1), datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)]]
    assert read_unload(format_rows(rows), EVERY_TYPE, "p").table.to_pylist()[0]["day"] == date(1, 1, 1)
