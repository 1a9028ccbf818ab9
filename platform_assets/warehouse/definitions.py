"""The warehouse slice: Redshift unloads -> Parquet -> PostgreSQL per table of catalog.yaml, and the
hourly and weekly aggregates checked against the old warehouse and loaded into PostgreSQL too.
Built from ``WarehouseSettings`` when the code location loads."""

import dagster as dg

from platform_assets.warehouse.assets_aggregates import (
    build_agg_hourly_space,
    build_week_people_count,
)
from platform_assets.warehouse.assets_aggregates_postgres import build_aggregate_loads
from platform_assets.warehouse.assets_parquet import build_parquet_assets
from platform_assets.warehouse.assets_postgres import build_postgres_assets
from platform_assets.warehouse.jobs import (
    warehouse_hourly_job,
    warehouse_load_job,
    warehouse_weekly_job,
)
from platform_assets.warehouse.partitions import warehouse_partitions
from platform_assets.warehouse.settings import WarehouseSettings


def build_defs(settings: WarehouseSettings | None = None) -> dg.Definitions:
    settings = settings or WarehouseSettings.from_env()
    partitions = warehouse_partitions(settings.start_date)
    blocking = settings.discrepancy_severity == "block"
    return dg.Definitions(
        assets=[
            *build_parquet_assets(partitions.days),
            *build_postgres_assets(partitions.days),
            build_agg_hourly_space(partitions.hours, blocking),
            build_week_people_count(partitions.weeks, blocking),
            *build_aggregate_loads(partitions.hours, partitions.weeks),
        ],
        jobs=[warehouse_load_job, warehouse_hourly_job, warehouse_weekly_job],
    )
