"""The UNLOAD reader is exact: what Redshift writes under ESCAPE ADDQUOTES loads unchanged, and a
line that is not the format is quarantined with its reason, never loaded changed. Each case is read
alone and amid good lines, by the fast and the exact reader: all four outcomes must agree."""

from datetime import date, datetime, timezone

import pytest

from platform_assets.warehouse.unload import read_unload, read_unload_exact
from resources.model.tables import Column, Table

pytestmark = pytest.mark.fast  # no external service: make test-fast

PEOPLE = Table(
    "people",
    (Column("id", "int64"), Column("name", "string"), Column("seen", "timestamp", utc=True)),
    ("id",),
    "id",
)
GOOD = b'"1"|"Ann"|"2024-01-01 10:00:00"\n'
LOADS = [  # (line, the name it loads as)
    (b'"2"|"O\\\'Brien"|"2024-01-01 10:00:00"', "O'Brien"),
    (b'"2"|"O\'Brien"|"2024-01-01 10:00:00"', "O'Brien"),
    (b'"2"|"car\\\rriage"|"2024-01-01 10:00:00"', "car\rriage"),
    (b'"2"|"line\\\nfeed"|"2024-01-01 10:00:00"', "line\nfeed"),
    (b'"2"|"pipe\\|and|raw"|"2024-01-01 10:00:00"', "pipe|and|raw"),
    (b'"2"|"back\\\\slash \\"q\\""|"2024-01-01 10:00:00"', 'back\\slash "q"'),
    (b'"2"|"\\\\N"|"2024-01-01 10:00:00"', "\\N"),
    (b'"2"|"N"|"2024-01-01 10:00:00"', "N"),
    (b'"2"|""|"2024-01-01 10:00:00"', ""),
    (b'"2"|\\N|"2024-01-01 10:00:00"', None),
    ('"2"|"ünï ✓ 日本"|"2024-01-01 10:00:00"'.encode(), "ünï ✓ 日本"),
    (b'"2"|"crlf"|"2024-01-01 10:00:00"\r', "crlf"),
]
REFUSED = [  # (line, reason)
    (b'2|"Ann"|"2024-01-01 10:00:00"', "unquoted value in field 1"),
    (b'"2"|N|"2024-01-01 10:00:00"', "unquoted value in field 2"),
    (b'"2"|\\Nfoo|"2024-01-01 10:00:00"', "unquoted value in field 2"),
    (b'"2"||"2024-01-01 10:00:00"', "unquoted value in field 2"),
    (b'"2"|"A\\NB"|"2024-01-01 10:00:00"', "broken escape in field 2: backslash before 'N'"),
    (b'"2"|"a\\tb"|"2024-01-01 10:00:00"', "broken escape in field 2: backslash before 't'"),
    (b'"2"|"Ann"x|"2024-01-01 10:00:00"', "text after the closing quote of field 2"),
    (b'"2"|"Ann""Bo"|"2024-01-01 10:00:00"', "text after the closing quote of field 2"),
    (b'"2"|"A\x00nn"|"2024-01-01 10:00:00"', "NUL byte at byte 7 of the line"),
    (b'"2"|"A\xffnn"|"2024-01-01 10:00:00"', "invalid UTF-8 at byte 7 of the line"),
    (b'"2"|"A\xed\xa0\x80"|"2024-01-01 10:00:00"', "invalid UTF-8 at byte 7 of the line"),
    (b'"2"|"Ann"|"2024-01-01 10:00:00', "unterminated quote in field 3"),
    (b'"2"|"never closed|"2024-01-01 10:00:00"', "text after the closing quote of field 2"),
    (b'"2"|"Ann"|"2024-01-01 10:00:00"|', "unquoted value in field 4"),
    (b'"2"|"Ann"', "expected 3 fields, found 2"),
    (b"", "empty line"),
    (b'"2"|"raw\rreturn"x|"2024-01-01 10:00:00"', "text after the closing quote of field 2"),
    (b'"9223372036854775808"|"Ann"|"2024-01-01 10:00:00"', "column id: not a int64: '9223372036854775808'"),
    (b'"2"|"Ann"|"2024-01-01"', "column seen: not a timestamp: '2024-01-01'"),
    (b'"2"|"Ann"|"2024-01-01 10:00:00+01"', "column seen: not a timestamp: '2024-01-01 10:00:00+01'"),
]
READERS = [read_unload, read_unload_exact]


def _outcome(payload: bytes, reader) -> tuple[list[dict], list[tuple[int, str]]]:
    parsed = reader(payload, PEOPLE, "part")
    return parsed.table.to_pylist(), [(q["line"], q["reason"]) for q in parsed.quarantine]


@pytest.mark.parametrize("reader", READERS, ids=["fast", "exact"])
@pytest.mark.parametrize(("line", "name"), LOADS, ids=[repr(c[0])[:40] for c in LOADS])
def test_what_redshift_writes_loads_unchanged(reader, line, name):
    for payload, row in [(line + b"\n", 0), (GOOD + line + b"\n" + GOOD, 1)]:
        rows, quarantine = _outcome(payload, reader)
        assert quarantine == []
        assert rows[row] == {"id": 2, "name": name, "seen": datetime(2024, 1, 1, 10, tzinfo=timezone.utc)}


@pytest.mark.parametrize("reader", READERS, ids=["fast", "exact"])
@pytest.mark.parametrize(("line", "reason"), REFUSED, ids=[c[1][:40] for c in REFUSED])
def test_what_is_not_the_format_is_quarantined_never_changed(reader, line, reason):
    assert _outcome(line + b"\n", reader) == ([], [(1, reason)])
    rows, quarantine = _outcome(GOOD + line + b"\n" + GOOD, reader)
    assert quarantine == [(2, reason)] and [r["id"] for r in rows] == [1, 1]


def test_the_quarantine_keeps_the_line_as_it_was():
    parsed = read_unload(b'"2"|"A\xffnn"|x\n', PEOPLE, "part")
    assert parsed.quarantine[0]["text"] == '"2"|"A\\xffnn"|x'


def test_crlf_files_read_as_lf_files():
    lf = GOOD + LOADS[0][0] + b"\n" + GOOD
    crlf = lf.replace(b"\n", b"\r\n")
    for reader in READERS:
        assert reader(crlf, PEOPLE, "p").table.equals(reader(lf, PEOPLE, "p").table)


def test_a_value_is_judged_alone_never_by_its_neighbours():
    """A 19-digit int64 loads beside a bad row; a date-only timestamp is refused even alone."""
    big = b'"9223372036854775807"|"Big"|"2024-01-01 10:00:00"\n'
    bad = b'"seven"|"Bad"|"2024-01-01 10:00:00"\n'
    date_only = b'"3"|"Day"|"2024-01-01"\n'
    for reader in READERS:
        for payload in (big, big + bad, bad + big):
            assert 9223372036854775807 in reader(payload, PEOPLE, "p").table.column("id").to_pylist()
        for payload in (date_only, date_only + GOOD, GOOD + date_only + bad):
            parsed = reader(payload, PEOPLE, "p")
            assert 3 not in parsed.table.column("id").to_pylist()
            assert any("not a timestamp" in q["reason"] for q in parsed.quarantine)


def test_a_broken_gzip_part_is_refused_whole_with_its_name():
    import gzip

    from platform_assets.warehouse.unload import UnreadableFile

    truncated = gzip.compress(GOOD * 1000)[:-40]
    for reader in READERS:
        with pytest.raises(UnreadableFile, match="part_007.gz: not a readable gzip file"):
            reader(truncated, PEOPLE, "part_007.gz")


def test_dates_and_floats_in_redshift_forms():
    table = Table("t", (Column("d", "date"), Column("x", "float64")), ("d",), "d")
    payload = b'"0001-01-01"|"NaN"\n"2024-02-29"|"-Infinity"\n"2024-02-30"|"1"\n"2024-01-01"|"1e400"\n'
    for reader in READERS:
        parsed = reader(payload, table, "p")
        assert parsed.table.column("d").to_pylist() == [date(1, 1, 1), date(2024, 2, 29)]
        assert [q["reason"] for q in parsed.quarantine] == [
            "column d: not a date: '2024-02-30'",
            "column x: not a float64: '1e400'",
        ]


def test_the_native_scan_is_built():
    from platform_assets.warehouse import unload_scan

    assert unload_scan.AVAILABLE, "pip install did not build platform_assets/warehouse/_unload_scan.c"
