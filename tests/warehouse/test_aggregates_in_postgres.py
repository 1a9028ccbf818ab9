"""The aggregates end in the warehouse database: the real hourly and weekly jobs into the real
PostgreSQL server (and the DuckDB stand-in), replaced per partition, never doubled."""

from datetime import UTC, datetime

import dagster as dg
import psycopg
import pyarrow as pa
import pytest

from platform_assets.warehouse.athena_ddl import aggregate_file_columns
from platform_assets.warehouse.aggregate_rows import AggregateShapeError, database_rows
from platform_assets.warehouse.catalog import load_aggregates
from resources.storage import LakeResource
from resources.warehouse_db import DuckDbWarehouse, PostgresWarehouse
from tests.platform import check_results
from tests.warehouse.world import DAYS, build, load_everything, run_range, write_world

AGGREGATES = load_aggregates()


def _file_totals(lake: LakeResource, files: list[str]) -> tuple[int, int]:
    tables = [lake.read_table(f) for f in files]
    return sum(t.num_rows for t in tables), sum(sum(t.column("events").to_pylist()) for t in tables)


def test_hourly_and_weekly_aggregates_land_in_postgres_once_however_often_they_run(tmp_path, pg_dsn):
    write_world(tmp_path)
    defs = build(tmp_path, warehouse_db=PostgresWarehouse(dsn=pg_dsn))
    lake = LakeResource(root=str(tmp_path / "lake"))
    with dg.instance_for_test() as instance:
        assert all(r.success for r in load_everything(defs, instance))
        for _ in range(2):  # a re-run of the same partitions replaces them
            hourly = run_range(defs, instance, "warehouse_hourly", f"{DAYS[2]}-00:00", f"{DAYS[3]}-23:00")
            weekly = run_range(defs, instance, "warehouse_weekly", "2024-03-04", "2024-03-04")
            assert hourly.success and weekly.success
            checks = {**check_results(hourly), **check_results(weekly)}
            assert checks["warehouse/agg_hourly_space_postgres:parity"]
            assert checks["warehouse/week_people_count_postgres:parity"]
    hour_files = [f"warehouse/agg_hourly_space/{d}-{h:02d}00.parquet" for d in DAYS[2:4] for h in range(24)]
    rows, events = _file_totals(lake, hour_files)
    week_file = "warehouse/week_people_count/2024-03-04.parquet"
    week_rows, week_events = _file_totals(lake, [week_file])
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*), sum(events) FROM warehouse.agg_hourly_space").fetchone() == (rows, events)
        assert conn.execute("SELECT count(*), sum(events) FROM warehouse.week_people_count").fetchone() == (
            week_rows, week_events)
        first, last = conn.execute("SELECT min(hour_start), max(hour_start) FROM warehouse.agg_hourly_space").fetchone()
        week = conn.execute("SELECT DISTINCT week_start FROM warehouse.week_people_count").fetchall()
        types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_name = 'agg_hourly_space'").fetchall())
    assert first >= datetime(DAYS[2].year, DAYS[2].month, DAYS[2].day, tzinfo=UTC)
    assert last < datetime(DAYS[4].year, DAYS[4].month, DAYS[4].day, tzinfo=UTC)
    assert week == [(datetime(2024, 3, 4, tzinfo=UTC),)]
    assert types["hour_start"] == "timestamp with time zone" and types["occupied_minutes"] == "double precision"
    # the Athena DDL declares the files exactly as written (Athena refuses a Parquet type mismatch)
    athena = {pa.int64(): "bigint", pa.int32(): "int", pa.float64(): "double"}
    for name, written in (("agg_hourly_space", hour_files[0]), ("week_people_count", week_file)):
        schema = lake.read_table(written).schema
        assert [(f.name, athena.get(f.type, str(f.type))) for f in schema] == aggregate_file_columns(AGGREGATES[name])


def test_an_hour_without_its_aggregate_file_fails_and_names_what_to_run(tmp_path):
    write_world(tmp_path)
    defs = build(tmp_path)
    with dg.instance_for_test() as instance:
        job = defs.resolve_job_def("warehouse_hourly")
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, partition_key=f"{DAYS[2]}-05:00",
            asset_selection=[dg.AssetKey(["warehouse", "agg_hourly_space_postgres"])])
    assert not result.success
    failure = result.failure_data_for_node("warehouse__agg_hourly_space_postgres").error.message
    assert "no aggregate file" in failure and "warehouse/agg_hourly_space" in failure


def test_the_duckdb_stand_in_replaces_a_window_like_postgres(tmp_path):
    table = AGGREGATES["week_people_count"]
    db = DuckDbWarehouse(path=str(tmp_path / "wh.duckdb"))
    week_us = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp() * 1_000_000)
    part = pa.table({"week_start_us": [week_us, week_us], "company_id": [1, 2], "distinct_people": [3, 4],
                     "events": [10, 20]})
    start, end = datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC)
    for _ in range(2):
        db.replace_window(table, database_rows(table, part), start, end)
    assert db.window_totals(table, start, end, "events") == (2, 30.0)
    db.replace_window(table, database_rows(table, part.slice(0, 1)), start, end)
    assert db.window_totals(table, start, end, "events") == (1, 10.0)


def test_an_aggregate_file_of_another_shape_is_refused_by_column_name():
    table = AGGREGATES["agg_hourly_space"]
    with pytest.raises(AggregateShapeError, match="no column 'hour_start_us'"):
        database_rows(table, pa.table({"space_id": [1]}))
    bad = pa.table({"hour_start_us": [0], "space_id": [1], "company_id": [1], "events": ["many"],
                    "distinct_people": [1], "occupied_minutes": [1.0], "peak_people_count": [1]})
    with pytest.raises(AggregateShapeError, match="agg_hourly_space.events"):
        database_rows(table, bad)
