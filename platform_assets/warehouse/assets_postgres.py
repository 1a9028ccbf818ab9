"""``warehouse/<table>_postgres``: the migration of each table's Parquet into PostgreSQL.

``load_mode: replace`` (the snapshot load: the table's contents become exactly the partitions of
the run, in one transaction) or ``upsert`` (a daily increment, by primary key). A parity check
compares the database's rows per day with the Parquet partition's.
"""

import json
import time
from datetime import date

import dagster as dg
import pyarrow as pa

from platform_assets.partition_checks import per_partition
from platform_assets.warehouse import lake_paths
from platform_assets.warehouse.assets_parquet import CATALOG, days_of, parquet_key
from resources.model.tables import Table
from resources.placement import POOL_POSTGRES_LOAD, POSTGRES_LOAD
from resources.storage import LakeResource
from resources.warehouse_db import WarehouseDb


class LoadConfig(dg.Config):
    load_mode: str = "upsert"  # "replace" for the snapshot load


def postgres_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["warehouse", f"{table}_postgres"])


def _postgres_asset(table: Table, day_partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    key = postgres_key(table.name)

    @dg.asset(
        key=key,
        partitions_def=day_partitions,
        group_name="warehouse",
        kinds={"postgres"},
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[parquet_key(table.name)],
        pool=POOL_POSTGRES_LOAD,
        op_tags=POSTGRES_LOAD,
        check_specs=[
            dg.AssetCheckSpec(
                "parity",
                asset=key,
                description="database rows == Parquet rows, judged per day",
                partitions_def=day_partitions,
            )
        ],
        description=f"{table.name} in the warehouse database (COPY; replace or upsert by primary "
        "key).",
    )
    def _load(
        context: dg.AssetExecutionContext,
        config: LoadConfig,
        lake: LakeResource,
        warehouse_db: WarehouseDb,
    ):
        days = days_of(context)
        rewritten = _rewritten_days(lake, table, days)
        parts = {
            d: lake.read_table(lake_paths.partition_file(table.name, d))
            for d in days + rewritten
            if lake.exists(lake_paths.partition_file(table.name, d))
        }
        missing = [d.isoformat() for d in days if d not in parts]
        if missing:
            raise dg.Failure(
                f"{table.name}: Parquet partitions missing for {missing[:10]}; materialize "
                f"{parquet_key(table.name).to_user_string()} first",
                allow_retries=False,
            )
        non_empty = [t for t in parts.values() if t.num_rows]
        rows = (
            pa.concat_tables(non_empty).combine_chunks()
            if non_empty
            else table.schema().empty_table()
        )
        t0 = time.perf_counter()
        loaded = warehouse_db.load(table, rows, config.load_mode)
        seconds = time.perf_counter() - t0
        counts = warehouse_db.count_by_day(table, list(parts))
        mismatched = {
            d.isoformat(): {"database": counts[d], "parquet": parts[d].num_rows}
            for d in parts
            if counts[d] != parts[d].num_rows
        }
        yield dg.MaterializeResult(
            metadata={
                "rows_loaded": dg.MetadataValue.int(loaded),
                "load_mode": dg.MetadataValue.text(config.load_mode),
                "rewritten_days_loaded": dg.MetadataValue.json([d.isoformat() for d in rewritten]),
                "database": dg.MetadataValue.text(warehouse_db.name()),
                "rows_per_second": dg.MetadataValue.float(
                    round(loaded / seconds, 1) if seconds else 0.0
                ),
            }
        )
        # each loaded day judged as its own partition (a rewritten day too: this run loaded it)
        judged = [d for d in parts if d in days or day_partitions.has_partition_key(d.isoformat())]
        yield from per_partition(
            context,
            [
                (
                    d.isoformat(),
                    dg.AssetCheckResult(
                        asset_key=key,
                        check_name="parity",
                        passed=counts[d] == parts[d].num_rows,
                        metadata={"database": counts[d], "parquet": parts[d].num_rows},
                    ),
                )
                for d in judged
            ],
        )
        if mismatched:
            context.log.error(f"{table.name}: database and Parquet differ on {mismatched}")

    return _load


def _rewritten_days(lake: LakeResource, table: Table, days: list[date]) -> list[date]:
    """Days outside the run that the Parquet runs of these days rewrote (rows of earlier days
    carried by their increments): their rows are upserted with the run's."""
    found: set[date] = set()
    for day in days:
        key = lake_paths.rewrites_file(table.name, day)
        if lake.exists(key):
            found |= {date.fromisoformat(d) for d in json.loads(lake.read_bytes(key))}
    return sorted(found - set(days))


def build_postgres_assets(day_partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One asset per table of the catalog (catalog.yaml), over the slice's days."""
    return [_postgres_asset(table, day_partitions) for table in CATALOG.values()]
