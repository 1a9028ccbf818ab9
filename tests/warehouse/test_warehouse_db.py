"""Loading into the real PostgreSQL server (COPY, replace and upsert) and into the DuckDB stand-in."""

from datetime import date, datetime, timezone

import psycopg
import pytest

from platform_assets.warehouse.catalog import load_catalog
from platform_assets.warehouse.unload import format_rows, read_unload
from resources.warehouse_db import DuckDbWarehouse, PostgresWarehouse

COMPANY = load_catalog()["dim_company"]
T = datetime(2024, 1, 1, 10, tzinfo=timezone.utc)
D1, D2 = date(2024, 1, 1), date(2024, 1, 2)


def rows(*data):
    return read_unload(format_rows(data), COMPANY, "t").table


@pytest.fixture(params=["postgres", "duckdb"])
def db(request, tmp_path):
    if request.param == "postgres":
        return PostgresWarehouse(dsn=request.getfixturevalue("pg_dsn"))
    return DuckDbWarehouse(path=str(tmp_path / "wh.duckdb"))


def test_replace_then_upsert(db):
    db.load(COMPANY, rows([1, 'a|"b"\nc', None, True, T, D1], [2, "", "\\N", False, T, D1]), "replace")
    assert db.count_by_day(COMPANY, [D1, D2]) == {D1: 2, D2: 0}
    db.load(COMPANY, rows([2, "renamed", "x", True, T, D1], [3, "new", None, None, T, D2]), "upsert")
    assert db.count_by_day(COMPANY, [D1, D2]) == {D1: 2, D2: 1}
    db.load(COMPANY, rows([9, "only", None, True, T, D2]), "replace")  # a snapshot replaces everything
    assert db.count_by_day(COMPANY, [D1, D2]) == {D1: 0, D2: 1}


def test_values_survive_exactly_in_postgres(pg_dsn):
    db = PostgresWarehouse(dsn=pg_dsn)
    db.load(COMPANY, rows([1, 'a|"b"\nc', None, True, T, D1], [2, "", "\\N", False, T, D1]), "replace")
    with psycopg.connect(pg_dsn) as conn:
        found = conn.execute("SELECT company_id, name, industry, is_active, created_at FROM warehouse.dim_company "
                             "ORDER BY 1").fetchall()
    assert found == [(1, 'a|"b"\nc', None, True, T), (2, "", "\\N", False, T)]


def test_failed_load_leaves_the_table_as_it_was(pg_dsn):
    db = PostgresWarehouse(dsn=pg_dsn)
    db.load(COMPANY, rows([1, "a", None, True, T, D1]), "replace")
    duplicate_keys = rows([5, "x", None, True, T, D1], [5, "y", None, True, T, D1])
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.load(COMPANY, duplicate_keys, "replace")  # TRUNCATE + COPY roll back together
    assert db.count_by_day(COMPANY, [D1]) == {D1: 1}


def test_wrong_mode_is_refused(db):
    with pytest.raises(ValueError, match="load mode must be one of"):
        db.load(COMPANY, rows([1, "a", None, True, T, D1]), "merge")


def test_rows_assembled_from_many_empty_partitions_load_cleanly(db):
    import pyarrow as pa

    empty = read_unload(b"", COMPANY, "e").table
    pieces = [empty] * 40 + [rows([1, "a", None, True, T, D1])] + [empty] * 40
    db.load(COMPANY, pa.concat_tables(pieces), "replace")
    assert db.count_by_day(COMPANY, [D1]) == {D1: 1}
