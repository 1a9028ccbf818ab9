"""What runs when in the warehouse slice (one job per partitioning: days, hours, weeks)."""

import dagster as dg

from platform_assets.warehouse.assets_aggregates import HOURLY_KEY, WEEKLY_KEY
from platform_assets.warehouse.assets_aggregates_postgres import (
    HOURLY_POSTGRES_KEY,
    WEEKLY_POSTGRES_KEY,
)
from platform_assets.warehouse.assets_parquet import CATALOG, parquet_key
from platform_assets.warehouse.assets_postgres import postgres_key

warehouse_load_job = dg.define_asset_job(
    "warehouse_load",
    selection=dg.AssetSelection.assets(
        *(parquet_key(t) for t in CATALOG), *(postgres_key(t) for t in CATALOG)
    ),
    description="Unloads -> Parquet -> warehouse database for a range of created_date days.",
)
warehouse_hourly_job = dg.define_asset_job(
    "warehouse_hourly",
    selection=dg.AssetSelection.assets(HOURLY_KEY, HOURLY_POSTGRES_KEY),
    description="Hourly space usage for a range of UTC hours, then into the warehouse database.",
)
warehouse_weekly_job = dg.define_asset_job(
    "warehouse_weekly",
    selection=dg.AssetSelection.assets(WEEKLY_KEY, WEEKLY_POSTGRES_KEY),
    description="Weekly people counts for a range of ISO weeks, then into the warehouse database.",
)
