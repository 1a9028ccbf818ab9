"""``warehouse/<table>_parquet``: unload parts -> Parquet partitioned by created_date (hive layout).

A run covers one day or, in a backfill, a whole range at once (``BackfillPolicy.single_run``): the
snapshot is read once for the days before the first increment, increments per day, the newest row
per primary key wins, and each day's file is replaced atomically. Bad lines go to a quarantine file;
more than ``max_bad_share`` of them fails the run with the figure.
"""

import json
from datetime import date, timedelta

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.warehouse import lake_paths
from platform_assets.warehouse.catalog import (
    CompletenessRule,
    load_catalog,
    load_completeness_rules,
)
from platform_assets.warehouse.completeness import DayCompleteness, expected_rows
from platform_assets.warehouse.loading import (
    TooManyBadLines,
    latest_by_key,
    load_parts,
    split_by_day,
)
from platform_assets.warehouse.unload import QUARANTINE_SCHEMA
from resources.model.tables import Table
from resources.placement import POOL_SPARK, SPARK_DRIVER
from resources.storage import LakeResource
from resources.table_catalog import TableCatalog

CATALOG = load_catalog()
COMPLETENESS = load_completeness_rules()


class UnloadConfig(dg.Config):
    max_bad_share: float = 0.01  # of a source's lines; more fails the run


def parquet_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["warehouse", f"{table}_parquet"])


def days_of(context: dg.AssetExecutionContext) -> list[date]:
    window = context.partition_time_window
    days, day = [], window.start.date()
    while day < window.end.date():
        days.append(day)
        day += timedelta(days=1)
    return days


def _incremental_days(unloads: LakeResource, table: str) -> dict[date, list[str]]:
    out: dict[date, list[str]] = {}
    for key in unloads.list(lake_paths.unload_incremental(table)):
        parts = key.split("/")
        try:
            out.setdefault(date.fromisoformat(parts[-2]), []).append(key)
        except ValueError:
            continue
    return out


def read_sources(table: Table, days: list[date], unloads: LakeResource, max_bad_share: float):
    """(rows for the days, quarantine rows, manifest counts per day, files read)."""
    increments = _incremental_days(unloads, table.name)
    first_increment = min(increments) if increments else None
    loaded_tables, quarantine, files, manifests = [], [], [], {}
    if first_increment is None or days[0] < first_increment:
        parts = [k for k in unloads.list(lake_paths.unload_snapshot(table.name)) if "_part_" in k]
        snap = load_parts(
            table, ((k, unloads.read_bytes(k)) for k in parts), max_bad_share, "snapshot"
        )
        loaded_tables.append(snap.table)
        quarantine += snap.quarantine
        files += snap.files
    for day in days:
        keys = increments.get(day, [])
        parts = [k for k in keys if "_part_" in k]
        inc = load_parts(
            table, ((k, unloads.read_bytes(k)) for k in parts), max_bad_share, f"increment {day}"
        )
        loaded_tables.append(inc.table)
        quarantine += inc.quarantine
        files += inc.files
        manifest = [k for k in keys if k.endswith("/manifest")]
        if manifest:
            manifests[day] = int(
                json.loads(unloads.read_bytes(manifest[0]))["meta"]["record_count"]
            )
    rows = latest_by_key(pa.concat_tables(loaded_tables), list(table.primary_key))
    return rows, quarantine, manifests, files


def _completeness(
    table: str, day: date, rows: int, manifests: dict[date, int], lake: LakeResource
) -> DayCompleteness:
    history = []
    for weeks in range(1, 8):
        key = lake_paths.partition_file(table, day - timedelta(weeks=weeks))
        if lake.exists(key):
            history.append(lake.read_table(key).num_rows)
    expected, source = expected_rows(manifests.get(day), history)
    return DayCompleteness(day.isoformat(), rows, expected, source, 0, 0)


def _entities(
    rule: CompletenessRule, day: date, day_rows: pa.Table, lake: LakeResource
) -> tuple[int, int]:
    """(active entities with rows that day, active entities created on or before it)."""
    active = set()
    for key in lake.list(f"warehouse/{rule.entities_table}"):
        stamp = key.split("created_date=")[-1].split("/")[0]
        if stamp <= day.isoformat():
            entities = lake.read_table(key)
            flagged = entities.filter(pc.equal(entities.column(rule.entities_active), True))
            active |= set(flagged.column(rule.entities_key).to_pylist())
    present = set(day_rows.column(rule.entities_key).to_pylist())
    return len(present & active), len(active)


def _parquet_asset(table: Table, day_partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    rule = COMPLETENESS.get(table.name)
    checks = (
        [
            dg.AssetCheckSpec(
                "source_completeness",
                asset=parquet_key(table.name),
                blocking=True,
                description=f"rows >= {rule.min_share:.0%} of the manifest count (else the "
                f"same-weekday median) and >= {rule.min_share:.0%} of active {rule.entities_table} "
                "present",
            )
        ]
        if rule
        else []
    )

    @dg.asset(
        key=parquet_key(table.name),
        partitions_def=day_partitions,
        group_name="warehouse",
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=checks,
        kinds={"parquet"},
        pool=POOL_SPARK,
        op_tags=SPARK_DRIVER,
        deps=[parquet_key(rule.entities_table)] if rule else [],
        description=f"{table.name} from Redshift unloads, Parquet partitioned by "
        f"{table.partition_column}.",
    )
    def _parquet(
        context: dg.AssetExecutionContext,
        config: UnloadConfig,
        unloads: LakeResource,
        lake: LakeResource,
        table_catalog: TableCatalog,
    ):
        days = days_of(context)
        try:
            rows, quarantine, manifests, files = read_sources(
                table, days, unloads, config.max_bad_share
            )
        except TooManyBadLines as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None
        per_day = split_by_day(rows, table.partition_column, days)
        if quarantine:
            lake.write_table(
                lake_paths.quarantine_file(table.name, days[0], days[-1]),
                pa.Table.from_pylist(quarantine, schema=QUARANTINE_SCHEMA),
            )
            context.log.warning(
                f"{len(quarantine)} bad lines in {table.name}; first: {quarantine[0]}"
            )
        for day, part in per_day.items():
            lake.write_table(lake_paths.partition_file(table.name, day), part)
        registered = table_catalog.register(table, lake.describe(f"warehouse/{table.name}"), days)
        counts = {d.isoformat(): t.num_rows for d, t in per_day.items()}
        total = sum(counts.values())
        yield dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.int(total),
                "dagster/row_count": dg.MetadataValue.int(total),
                "rows_by_day": dg.MetadataValue.json(counts),
                "files_read": dg.MetadataValue.int(len(files)),
                "quarantined_lines": dg.MetadataValue.int(len(quarantine)),
                "days": dg.MetadataValue.text(f"{days[0]} .. {days[-1]}"),
                "queryable_as": dg.MetadataValue.text(registered),
            }
        )
        if rule:
            results = []
            for day, part in per_day.items():
                check = _completeness(table.name, day, part.num_rows, manifests, lake)
                present, active = _entities(rule, day, part, lake)
                results.append(
                    DayCompleteness(
                        check.day,
                        check.rows,
                        check.expected,
                        check.expected_from,
                        present,
                        active,
                        rule.min_share,
                    )
                )
            failed = [r.day for r in results if not r.passed]
            for r in results:  # aggregates in later runs read these markers
                marker = lake_paths.incomplete_marker(table.name, date.fromisoformat(r.day))
                if r.passed:
                    lake.delete(marker)
                else:
                    lake.write_bytes(marker, json.dumps(r.__dict__).encode())
            yield dg.AssetCheckResult(
                check_name="source_completeness",
                passed=not failed,
                metadata={
                    "failed_days": failed,
                    "days": [r.__dict__ for r in results][:31],
                },
            )

    return _parquet


def build_parquet_assets(day_partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One asset per table of the catalog (catalog.yaml), over the slice's days."""
    return [_parquet_asset(table, day_partitions) for table in CATALOG.values()]
