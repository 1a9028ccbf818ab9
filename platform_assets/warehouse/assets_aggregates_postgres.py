"""``warehouse/agg_hourly_space_postgres`` and ``warehouse/week_people_count_postgres``: the two
aggregates loaded into the warehouse database, where the handover's pipeline ends.

Each partition run replaces its window (an hour, a week) in one transaction, so re-running it never
doubles a row; a ``parity`` check compares the database's rows and summed events in the window
with the aggregate files'.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.partition_checks import per_partition
from platform_assets.warehouse import lake_paths
from platform_assets.warehouse.aggregate_rows import database_rows
from platform_assets.warehouse.assets_aggregates import (
    HOURLY_KEY,
    WEEKLY_KEY,
    partition_windows,
)
from platform_assets.warehouse.catalog import load_aggregates
from resources.model.tables import Table
from resources.placement import POOL_POSTGRES_LOAD, POSTGRES_LOAD
from resources.storage import LakeResource
from resources.warehouse_db import WarehouseDb

AGGREGATES = load_aggregates()
HOURLY_POSTGRES_KEY = dg.AssetKey(["warehouse", "agg_hourly_space_postgres"])
WEEKLY_POSTGRES_KEY = dg.AssetKey(["warehouse", "week_people_count_postgres"])


def _hour_files(start: datetime, end: datetime) -> list[str]:
    hours = int((end - start) / timedelta(hours=1))
    return [(start + timedelta(hours=n)).strftime("%Y-%m-%d-%H:%M") for n in range(hours)]


def _week_files(start: datetime, end: datetime) -> list[str]:
    weeks = int((end - start) / timedelta(days=7))
    return [(start + timedelta(days=7 * n)).strftime("%Y-%m-%d") for n in range(weeks)]


def _load_asset(
    key: dg.AssetKey,
    upstream: dg.AssetKey,
    table: Table,
    partitions: dg.PartitionsDefinition,
    files: Callable[[datetime, datetime], list[str]],
) -> dg.AssetsDefinition:
    @dg.asset(
        key=key,
        partitions_def=partitions,
        group_name="warehouse",
        kinds={"postgres"},
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[upstream],
        pool=POOL_POSTGRES_LOAD,
        op_tags=POSTGRES_LOAD,
        check_specs=[
            dg.AssetCheckSpec(
                "parity",
                asset=key,
                description="database rows and summed events in the window == the aggregate "
                "files', judged per partition",
                partitions_def=partitions,
            )
        ],
        description=f"{table.name} in the warehouse database: each run replaces its window "
        "(one transaction, idempotent).",
    )
    def _load(context: dg.AssetExecutionContext, lake: LakeResource, warehouse_db: WarehouseDb):
        window = context.partition_time_window
        start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
        by_partition: dict[str, tuple[datetime, datetime, pa.Table]] = {}
        for partition_key, first, last in partition_windows(context, partitions):
            parts = []
            for name in files(first, last):
                path = lake_paths.aggregate_file(table.name, name)
                if not lake.exists(path):
                    raise dg.Failure(
                        f"{table.name}: no aggregate file for {name}; materialize "
                        f"{upstream.to_user_string()} for this window first",
                        allow_retries=False,
                    )
                parts.append(database_rows(table, lake.read_table(path)))
            own_rows = pa.concat_tables(parts) if parts else table.schema().empty_table()
            by_partition[partition_key] = (first, last, own_rows)
        rows = pa.concat_tables([r for _, _, r in by_partition.values()])
        loaded = warehouse_db.replace_window(table, rows, start, end)
        in_db, _ = warehouse_db.window_totals(table, start, end, "events")
        yield dg.MaterializeResult(
            metadata={
                "rows_loaded": dg.MetadataValue.int(loaded),
                "dagster/row_count": dg.MetadataValue.int(in_db),
                "database": dg.MetadataValue.text(warehouse_db.name()),
                "table": dg.MetadataValue.text(f"{warehouse_db.schema_name}.{table.name}"),
                "window": dg.MetadataValue.text(f"[{start.isoformat()}, {end.isoformat()})"),
            }
        )
        yield from per_partition(context, _parity(key, table, by_partition, warehouse_db))

    return _load


def build_aggregate_loads(
    hours: dg.PartitionsDefinition, weeks: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    return [
        _load_asset(
            HOURLY_POSTGRES_KEY, HOURLY_KEY, AGGREGATES["agg_hourly_space"], hours, _hour_files
        ),
        _load_asset(
            WEEKLY_POSTGRES_KEY, WEEKLY_KEY, AGGREGATES["week_people_count"], weeks, _week_files
        ),
    ]


def _parity(
    key: dg.AssetKey,
    table: Table,
    by_partition: dict[str, tuple[datetime, datetime, pa.Table]],
    warehouse_db: WarehouseDb,
) -> list[tuple[str, dg.AssetCheckResult]]:
    """Rows and summed events of each partition's window: the database against its files."""
    judged = []
    for partition_key, (first, last, rows) in by_partition.items():
        in_db, events_in_db = warehouse_db.window_totals(table, first, last, "events")
        events = float(pc.sum(rows.column("events")).as_py() or 0)
        result = dg.AssetCheckResult(
            asset_key=key,
            check_name="parity",
            passed=in_db == rows.num_rows and events_in_db == events,
            metadata={
                "database_rows": in_db,
                "file_rows": rows.num_rows,
                "database_events": events_in_db,
                "file_events": events,
            },
        )
        judged.append((partition_key, result))
    return judged
