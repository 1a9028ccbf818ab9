"""``warehouse/<table>_parquet``: unload parts -> Parquet partitioned by created_date (hive layout).

A run covers one day or, in a backfill, a whole range at once (``BackfillPolicy.single_run``): the
snapshot is read once for the days before the first increment, increments per day, the newest row
per primary key wins, and each day's file is replaced atomically. Bad lines go to a quarantine file;
more than ``max_bad_share`` of them fails the run with the figure.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.partition_checks import per_partition
from platform_assets.warehouse import lake_paths
from platform_assets.warehouse.catalog import (
    CompletenessRule,
    load_catalog,
    load_completeness_rules,
)
from platform_assets.warehouse.completeness import DayCompleteness, expected_rows
from platform_assets.warehouse.loading import (
    NoSource,
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
    # a run day without unload files: "fail" (the default) or "skip" (leave the day as it is)
    missing_days: Literal["fail", "skip"] = "fail"


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


@dataclass
class Sources:
    """What a run writes: the days to (re)write and the newest version of every row."""

    rows: pa.Table  # newest version per primary key across the snapshot and every increment
    days: list[date]  # run days with a source, then earlier or later days rewritten by them
    skipped: list[date]  # run days without a source, skipped by explicit config
    quarantine: list[dict]
    manifests: dict[date, int]
    files: list[str]


def read_sources(
    table: Table,
    days: list[date],
    unloads: LakeResource,
    max_bad_share: float,
    missing_days: str = "fail",
) -> Sources:
    """Every version of the table, and the days the run writes.

    A row lands in the partition of its own partition column, as its newest known version: the
    snapshot and every landed increment are read, a later increment's version winning over an
    earlier one's and over the snapshot's. So a re-run of any day is idempotent and never brings an
    old version back. An increment carrying rows of other days rewrites those days too (their
    database load follows). A run day without unload files fails with the day and the folder
    tried, unless ``missing_days="skip"``; it never becomes an empty day."""
    increments = _incremental_days(unloads, table.name)
    snapshot = [k for k in unloads.list(lake_paths.unload_snapshot(table.name)) if "_part_" in k]
    first_increment = min(increments) if increments else None

    def has_source(day: date) -> bool:
        if any("_part_" in k for k in increments.get(day, [])):
            return True
        return bool(snapshot) and (first_increment is None or day < first_increment)

    missing = [d for d in days if not has_source(d)]
    if missing and missing_days != "skip":
        raise NoSource(
            f"{table.name}: no unload files for {missing[0]}"
            + (f" (and {len(missing) - 1} more days)" if len(missing) > 1 else "")
            + f" under {unloads.describe(lake_paths.unload_incremental(table.name))}/"
            f"{missing[0]}/ (nor a snapshot covering it); set missing_days: skip to skip such days"
        )
    loaded: list[pa.Table] = []
    quarantine: list[dict] = []
    files: list[str] = []
    manifests: dict[date, int] = {}
    run_rows: list[pa.Table] = []
    if snapshot:
        snap = load_parts(
            table, ((k, unloads.read_bytes(k)) for k in snapshot), max_bad_share, "snapshot"
        )
        loaded.append(snap.table)
        quarantine += snap.quarantine
        files += snap.files
    for day in sorted(increments):
        keys = increments[day]
        parts = [k for k in keys if "_part_" in k]
        inc = load_parts(
            table, ((k, unloads.read_bytes(k)) for k in parts), max_bad_share, f"increment {day}"
        )
        loaded.append(inc.table)
        if day in days:
            run_rows.append(inc.table)
            quarantine += inc.quarantine
            files += inc.files
        manifest = [k for k in keys if k.endswith("/manifest")]
        if manifest:
            manifests[day] = int(
                json.loads(unloads.read_bytes(manifest[0]))["meta"]["record_count"]
            )
    every_version = pa.concat_tables(loaded) if loaded else table.schema().empty_table()
    run_days = [d for d in days if d not in missing]
    touched = _days_touched(table, every_version, run_rows)
    return Sources(
        rows=latest_by_key(every_version, list(table.primary_key)),
        # a day skipped for want of its own files is still rewritten when others' increments
        # carry rows of it
        days=run_days + sorted(touched - set(run_days)),
        skipped=missing,
        quarantine=quarantine,
        manifests=manifests,
        files=files,
    )


def _days_touched(table: Table, every_version: pa.Table, run_rows: list[pa.Table]) -> set[date]:
    """Days holding any version of a row that the run's increments carry."""
    if not run_rows:
        return set()
    key = list(table.primary_key)
    carried = pa.concat_tables(run_rows).select(key).group_by(key, use_threads=False).aggregate([])
    versions = every_version.select([*key, table.partition_column])
    touched = versions.join(carried, keys=key, join_type="left semi")
    return {d for d in touched.column(table.partition_column).to_pylist() if d is not None}


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
                "present (judged per day)",
                partitions_def=day_partitions,
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
            sources = read_sources(table, days, unloads, config.max_bad_share, config.missing_days)
        except (TooManyBadLines, NoSource) as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None
        quarantine, manifests, files = sources.quarantine, sources.manifests, sources.files
        written = split_by_day(sources.rows, table.partition_column, sources.days)
        per_day = {d: t for d, t in written.items() if d in days}
        rewritten = sorted(d for d in written if d not in days)
        if quarantine:
            lake.write_table(
                lake_paths.quarantine_file(table.name, days[0], days[-1]),
                pa.Table.from_pylist(quarantine, schema=QUARANTINE_SCHEMA),
            )
            context.log.warning(
                f"{len(quarantine)} bad lines in {table.name}; first: {quarantine[0]}"
            )
        for day, part in written.items():
            lake.write_table(lake_paths.partition_file(table.name, day), part)
        if rewritten:  # the database load of these run days upserts those days too
            lake.write_bytes(
                lake_paths.rewrites_file(table.name, days[-1]),
                json.dumps([d.isoformat() for d in rewritten]).encode(),
            )
            known = set(day_partitions.get_partition_keys())
            for day in rewritten:
                if day.isoformat() in known:
                    context.log_event(
                        dg.AssetMaterialization(
                            asset_key=parquet_key(table.name),
                            partition=day.isoformat(),
                            description=f"rewritten: increments up to {days[-1]} carry newer "
                            "versions of its rows",
                            metadata={"rows": dg.MetadataValue.int(written[day].num_rows)},
                        )
                    )
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
                "rewritten_days": dg.MetadataValue.json([d.isoformat() for d in rewritten]),
                "skipped_days_without_source": dg.MetadataValue.json(
                    [d.isoformat() for d in sources.skipped]
                ),
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
            if failed:
                context.log.warning(f"{table.name}: source incomplete on {', '.join(failed)}")
            yield from per_partition(
                context,
                [
                    (
                        r.day,
                        dg.AssetCheckResult(
                            asset_key=parquet_key(table.name),
                            check_name="source_completeness",
                            passed=r.passed,
                            metadata={k: v for k, v in r.__dict__.items() if v is not None},
                        ),
                    )
                    for r in results
                ],
            )

    return _parquet


def build_parquet_assets(day_partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One asset per table of the catalog (catalog.yaml), over the slice's days."""
    return [_parquet_asset(table, day_partitions) for table in CATALOG.values()]
