"""Unloads -> Parquet -> database -> hourly/weekly aggregates through the real jobs."""

import dagster as dg
import pyarrow.compute as pc

from platform_assets.warehouse.catalog import load_catalog
from resources.storage import LakeResource
from resources.warehouse_db import DuckDbWarehouse
from tests.platform import check_results
from tests.warehouse.world import DAYS, build, load_everything, run_range, write_world


def test_snapshot_and_increments_to_parquet_database_and_aggregates(tmp_path):
    tables = write_world(tmp_path)
    defs = build(tmp_path)
    with dg.instance_for_test() as instance:
        for result in load_everything(defs, instance):
            assert result.success
            assert all(check_results(result).values()), check_results(result)
        lake = LakeResource(root=str(tmp_path / "lake"))
        catalog = load_catalog()
        db = DuckDbWarehouse(path=str(tmp_path / "wh.duckdb"))
        for name, rows in tables.items():
            total = sum(db.count_by_day(catalog[name], sorted({r[catalog[name].names.index("created_date")] for r in rows})).values())
            assert total == len(rows), name
        day = DAYS[3]
        fact = lake.read_table(f"warehouse/fact_space_event/created_date={day}/part-0.parquet")
        assert fact.num_rows == sum(1 for r in tables["fact_space_event"] if r[-1] == day)

        hourly = run_range(defs, instance, "warehouse_hourly", f"{DAYS[2]}-00:00", f"{DAYS[3]}-23:00")
        assert hourly.success
        weekly = run_range(defs, instance, "warehouse_weekly", "2024-03-04", "2024-03-04")
        assert weekly.success
        week = lake.read_table("warehouse/week_people_count/2024-03-04.parquet")
        events_in_week = sum(1 for r in tables["fact_space_event"])
        assert sum(week.column("events").to_pylist()) == events_in_week
        hour = lake.read_table(f"warehouse/agg_hourly_space/{DAYS[3]}-1000.parquet")
        assert hour.num_rows > 0 and pc.min(hour.column("occupied_minutes")).as_py() >= 0
