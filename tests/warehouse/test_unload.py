"""The unload reader: every escape case round-trips, bad lines are quarantined with their line."""

import gzip
from datetime import date, datetime, timezone

import pytest

from platform_assets.warehouse.catalog import CatalogError, _table, load_catalog
from platform_assets.warehouse.loading import TooManyBadLines, latest_by_key, load_parts
from platform_assets.warehouse.unload import format_rows, read_unload, read_unload_exact

pytestmark = pytest.mark.fast  # no external service: make test-fast

COMPANY = load_catalog()["dim_company"]
T = datetime(2024, 1, 1, 10, tzinfo=timezone.utc)
ROWS = [
    [1, "pipe|inside", 'quote"inside', True, T, date(2024, 1, 1)],
    [2, "multi\nline\nname", "back\\slash\\", False, datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=timezone.utc),
     date(2024, 1, 1)],
    [3, "", None, None, T, date(2024, 1, 2)],
    [4, "\\N", "ünïcödé ✓ 日本", True, T, date(2024, 1, 2)],
]
BAD = (b'"5"|"short"\n'
       b'"6"|"bad\\xescape"|"x"|"t"|"2024-01-01 00:00:00"|"2024-01-01"\n'
       b'"seven"|"n"|"i"|"t"|"2024-01-01 00:00:00"|"2024-01-01"\n'
       b'"8"|"n"|"i"|"t"|"2024-13-01 00:00:00"|"2024-01-01"\n')


def test_every_escape_case_round_trips_and_null_differs_from_empty():
    parsed = read_unload(format_rows(ROWS), COMPANY, "part")
    assert parsed.quarantine == []
    assert [list(r.values()) for r in parsed.table.to_pylist()] == ROWS


def test_gzip_is_detected():
    assert read_unload(gzip.compress(format_rows(ROWS)), COMPANY, "p.gz").table.num_rows == 4


def test_bad_lines_are_quarantined_with_line_numbers_and_reasons():
    parsed = read_unload(format_rows(ROWS) + BAD, COMPANY, "part")
    assert parsed.table.num_rows == 4 and parsed.records == 8
    found = [(q["line"], q["reason"]) for q in parsed.quarantine]
    # the four good rows take lines 1-6 (row 2 holds two escaped newlines)
    assert found == [(7, "expected 6 fields, found 2"),
                     (8, "broken escape in field 2: backslash before 'x'"),
                     (9, "column company_id: not a int64: 'seven'"),
                     (10, "column created_at: not a timestamp: '2024-13-01 00:00:00'")]
    assert all(q["table"] == "dim_company" and q["file"] == "part" for q in parsed.quarantine)


def test_fast_reader_agrees_with_the_reference_reader():
    payload = format_rows(ROWS) + BAD
    fast, slow = read_unload(payload, COMPANY, "p"), read_unload_exact(payload, COMPANY, "p")
    assert fast.table.equals(slow.table)
    assert [(q["line"], q["reason"]) for q in fast.quarantine] == [(q["line"], q["reason"]) for q in slow.quarantine]


def test_unterminated_quote_costs_one_line_not_the_file():
    payload = format_rows(ROWS[:1]) + b'"9"|"never closed|"x"|"t"|"2024-01-01 00:00:00"|"2024-01-01"\n' + \
        format_rows(ROWS[2:3])
    parsed = read_unload(payload, COMPANY, "p")
    assert parsed.table.column("company_id").to_pylist() == [1, 3]
    assert [q["line"] for q in parsed.quarantine] == [2]


def test_data_holding_the_sentinel_byte_takes_the_exact_reader():
    rows = [[1, "unit\x1fseparator", "x", True, T, date(2024, 1, 1)], *ROWS[1:]]
    parsed = read_unload(format_rows(rows), COMPANY, "p")
    assert parsed.quarantine == [] and [list(r.values()) for r in parsed.table.to_pylist()] == rows


def test_bad_share_over_threshold_fails_with_the_figure():
    parts = [("a", format_rows(ROWS) + BAD)]
    with pytest.raises(TooManyBadLines, match=r"4 of 8 lines are bad \(50.00%, allowed 1.00%\)"):
        load_parts(COMPANY, parts, 0.01, "increment 2024-01-02")
    assert load_parts(COMPANY, parts, 0.6, "x").table.num_rows == 4


def test_latest_row_per_key_wins():
    first = read_unload(format_rows(ROWS[:2]), COMPANY, "snap").table
    update = read_unload(format_rows([[1, "renamed", None, False, T, date(2024, 1, 1)]]), COMPANY, "inc").table
    import pyarrow as pa

    merged = latest_by_key(pa.concat_tables([first, update]), ["company_id"])
    assert sorted(merged.to_pydict()["name"]) == ["multi\nline\nname", "renamed"]


def test_catalog_errors_are_clear():
    with pytest.raises(CatalogError, match="unknown key columns"):
        _table("t", {"columns": [{"name": "a", "type": "int64"}], "primary_key": ["b"], "partition_column": "a"})
    with pytest.raises(CatalogError, match="unknown types"):
        _table("t", {"columns": [{"name": "a", "type": "uuid"}], "primary_key": ["a"], "partition_column": "a"})
