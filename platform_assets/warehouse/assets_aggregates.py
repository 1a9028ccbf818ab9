"""``warehouse/agg_hourly_space`` (UTC hours) and ``warehouse/week_people_count`` (ISO weeks).

Both read the fact Parquet of the days they need (the hourly one also the day before, for
sessions that started earlier), run on the configured engine, write one file per partition and
check themselves against the old warehouse's export when one is configured.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa

from platform_assets.partition_checks import per_partition
from platform_assets.warehouse import aggregates_duckdb, aggregates_spark, lake_paths
from platform_assets.warehouse.aggregates import HOUR_US, to_event_frame
from platform_assets.warehouse.assets_parquet import parquet_key
from platform_assets.warehouse.catalog import load_catalog
from platform_assets.warehouse.reference import Discrepancy, Tolerances, compare
from platform_assets.warehouse.settings import WarehouseSettings
from resources.compute import ComputeEngine, EngineKernel
from resources.placement import POOL_SPARK, SPARK_DRIVER
from resources.storage import LakeResource

FACT = "fact_space_event"  # what both aggregates are computed from
FACT_KEY = parquet_key(FACT)
# the aggregates as each engine runs them: DuckDB SQL locally, the pandas kernels on Spark
HOURLY_SPACE: EngineKernel[pd.DataFrame] = EngineKernel(
    "hourly_space", local=aggregates_duckdb.hourly_space, spark=aggregates_spark.hourly_space_spark
)
WEEKLY_PEOPLE: EngineKernel[pd.DataFrame] = EngineKernel(
    "weekly_people",
    local=aggregates_duckdb.weekly_people,
    spark=aggregates_spark.weekly_people_spark,
)
HOURLY_KEY = dg.AssetKey(["warehouse", "agg_hourly_space"])
WEEKLY_KEY = dg.AssetKey(["warehouse", "week_people_count"])


class AggregateConfig(dg.Config):
    reference_dir: str | None = None  # <dir>/<asset>.csv; default: WarehouseSettings.reference_dir
    # reference_discrepancy's tolerances (reference.Tolerances): row counts and values judged apart
    max_row_difference: int = 0
    value_tolerance_pct: float = 0.001
    max_mismatched_pct: float = 0.0


def _us(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp()) * 1_000_000


def read_facts(lake: LakeResource, first: date, last: date) -> pd.DataFrame:
    """Fact rows of [first, last]; refuses days that failed source_completeness."""
    tables, fact = [], load_catalog()[FACT]
    blocked = [
        d
        for d in (first + timedelta(days=i) for i in range((last - first).days + 1))
        if lake.exists(lake_paths.incomplete_marker(FACT, d))
    ]
    if blocked:
        raise dg.Failure(
            f"{FACT} failed source_completeness for {[d.isoformat() for d in blocked]}; "
            "aggregates wait until those days are reloaded complete",
            allow_retries=False,
        )
    day = first
    while day <= last:
        key = lake_paths.partition_file(FACT, day)
        if lake.exists(key):
            tables.append(lake.read_table(key))
        day += timedelta(days=1)
    table = pa.concat_tables(tables) if tables else fact.schema().empty_table()
    return to_event_frame(table)


def partition_windows(
    context: dg.AssetExecutionContext, partitions: dg.PartitionsDefinition
) -> list[tuple[str, datetime, datetime]]:
    """(partition key, start, end) in UTC of each of the run's partitions."""
    out = []
    for partition_key in context.partition_keys:
        window = partitions.time_window_for_partition_key(partition_key)  # type: ignore[attr-defined]
        out.append((partition_key, window.start.astimezone(UTC), window.end.astimezone(UTC)))
    return out


def _windows(
    context: dg.AssetExecutionContext, partitions: dg.PartitionsDefinition
) -> list[tuple[str, int, int]]:
    """(partition key, start us, end us) of each of the run's partitions."""
    return [
        (key, _us(start), _us(end)) for key, start, end in partition_windows(context, partitions)
    ]


def _reference_checks(
    key: dg.AssetKey,
    result: pd.DataFrame,
    config: AggregateConfig,
    keys: list[str],
    values: list[str],
    windows: list[tuple[str, int, int]],
    time_column: str,
    blocking: bool,
) -> list[tuple[str, dg.AssetCheckResult]]:
    """The run's result against the reference export, judged per partition (each window's rows
    against the reference's rows of that window); the export is read once."""
    name = key.path[-1]
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN
    reference_dir = (
        config.reference_dir or WarehouseSettings.from_env().reference_dir
    )  # read as the run starts
    path = Path(reference_dir) / f"{name}.csv" if reference_dir else None
    if path is None or not path.exists():
        return [
            (
                partition_key,
                dg.AssetCheckResult(
                    asset_key=key,
                    check_name="reference_discrepancy",
                    passed=True,
                    severity=severity,
                    metadata={"note": "no reference export configured"},
                ),
            )
            for partition_key, _, _ in windows
        ]
    moment = f"{time_column}_us"
    reference = pd.read_csv(path)
    reference[moment] = pd.to_datetime(reference[time_column], utc=True).dt.as_unit("us")
    reference[moment] = reference[moment].astype("int64")
    tolerances = Tolerances(
        config.max_row_difference, config.value_tolerance_pct, config.max_mismatched_pct
    )
    judged = []
    for partition_key, first, last in windows:
        ours = result[(result[moment] >= first) & (result[moment] < last)]
        theirs = reference[(reference[moment] >= first) & (reference[moment] < last)]
        found = compare(ours, theirs, [moment, *keys], values, tolerances)
        verdict = dg.AssetCheckResult(
            asset_key=key,
            check_name="reference_discrepancy",
            passed=found.passed,
            severity=severity,
            description=_verdict(found),
            metadata={
                "reference": str(path),
                "rows": found.rows,
                "reference_rows": found.reference_rows,
                "row_difference_pct": found.row_difference_pct,
                "rows_passed": found.rows_passed,
                "mismatched": found.mismatched,
                "only_ours": found.only_ours,
                "only_reference": found.only_reference,
                "mismatched_pct": found.mismatched_pct,
                "values_passed": found.values_passed,
                "tolerances": dict(tolerances.__dict__),
                "mismatched_keys": found.mismatched_keys,
            },
        )
        judged.append((partition_key, verdict))
    return judged


def _verdict(found: Discrepancy) -> str:
    rows = f"{found.rows} rows against the reference's {found.reference_rows}"
    values = f"{found.mismatched} mismatched keys ({found.mismatched_pct}%)"
    return f"{rows} ({'ok' if found.rows_passed else 'FAILED'}); {values} " + (
        "(ok)" if found.values_passed else "(FAILED)"
    )


_REFERENCE_CHECK = (
    "compare with the old warehouse's export (CSV) when configured: row counts and per-key "
    "values judged apart (defaults: exact rows, values equal within float noise); blocking "
    "unless WEIR_WAREHOUSE_DISCREPANCY_SEVERITY=warn; a failure is alerted by discrepancy_alerts"
)


def build_agg_hourly_space(
    hours: dg.PartitionsDefinition, blocking: bool = True
) -> dg.AssetsDefinition:
    """``warehouse/agg_hourly_space`` over the slice's UTC hours."""

    @dg.asset(
        key=HOURLY_KEY,
        partitions_def=hours,
        group_name="warehouse",
        kinds={"parquet"},
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=POOL_SPARK,
        op_tags=SPARK_DRIVER,
        deps=[
            dg.AssetDep(FACT_KEY, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1))
        ],
        check_specs=[
            dg.AssetCheckSpec(
                "reference_discrepancy",
                asset=HOURLY_KEY,
                description=_REFERENCE_CHECK,
                blocking=blocking,
                partitions_def=hours,
            )
        ],
        description="Per space and UTC hour: events, distinct people, occupied minutes, peak "
        "people count.",
    )
    def agg_hourly_space(
        context: dg.AssetExecutionContext,
        config: AggregateConfig,
        lake: LakeResource,
        engine: ComputeEngine,
    ):
        window = context.partition_time_window
        start, end = _us(window.start), _us(window.end)
        events = read_facts(
            lake,
            window.start.date() - timedelta(days=1),
            (window.end - timedelta(microseconds=1)).date(),
        )
        result = engine.run(HOURLY_SPACE, events, start, end)
        hour_starts = result["hour_start_us"].to_numpy()
        for hour_us in range(start, end, HOUR_US):
            part = result[hour_starts == hour_us]
            key = datetime.fromtimestamp(hour_us / 1_000_000, tz=UTC).strftime("%Y-%m-%d-%H:%M")
            lake.write_table(
                lake_paths.aggregate_file("agg_hourly_space", key),
                pa.Table.from_pandas(part.reset_index(drop=True), preserve_index=False),
            )
        yield dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.int(len(result)),
                "dagster/row_count": dg.MetadataValue.int(len(result)),
                "hours": dg.MetadataValue.int((end - start) // HOUR_US),
                "engine": dg.MetadataValue.text(engine.name()),
                "occupied_minutes": dg.MetadataValue.float(float(result["occupied_minutes"].sum())),
                "fact_rows_read": dg.MetadataValue.int(len(events)),
            }
        )
        yield from per_partition(
            context,
            _reference_checks(
                HOURLY_KEY,
                result,
                config,
                ["space_id"],
                ["events", "distinct_people", "occupied_minutes", "peak_people_count"],
                _windows(context, hours),
                "hour_start",
                blocking,
            ),
        )

    return agg_hourly_space


def build_week_people_count(
    weeks: dg.PartitionsDefinition, blocking: bool = True
) -> dg.AssetsDefinition:
    """``warehouse/week_people_count`` over the slice's ISO weeks."""

    @dg.asset(
        key=WEEKLY_KEY,
        partitions_def=weeks,
        group_name="warehouse",
        kinds={"parquet"},
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[FACT_KEY],
        pool=POOL_SPARK,
        op_tags=SPARK_DRIVER,
        check_specs=[
            dg.AssetCheckSpec(
                "reference_discrepancy",
                asset=WEEKLY_KEY,
                description=_REFERENCE_CHECK,
                blocking=blocking,
                partitions_def=weeks,
            )
        ],
        description="Per company and ISO week (Monday 00:00 UTC): distinct people and events.",
    )
    def week_people_count(
        context: dg.AssetExecutionContext,
        config: AggregateConfig,
        lake: LakeResource,
        engine: ComputeEngine,
    ):
        window = context.partition_time_window
        start, end = _us(window.start), _us(window.end)
        events = read_facts(
            lake, window.start.date(), (window.end - timedelta(microseconds=1)).date()
        )
        result = engine.run(WEEKLY_PEOPLE, events, start, end)
        for week_start in pd.date_range(window.start, window.end, freq="7D", inclusive="left"):
            week_us = _us(week_start.to_pydatetime())
            part = result[result["week_start_us"] == week_us]
            lake.write_table(
                lake_paths.aggregate_file("week_people_count", week_start.strftime("%Y-%m-%d")),
                pa.Table.from_pandas(part.reset_index(drop=True), preserve_index=False),
            )
        yield dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.int(len(result)),
                "dagster/row_count": dg.MetadataValue.int(len(result)),
                "distinct_people": dg.MetadataValue.int(int(result["distinct_people"].sum())),
                "engine": dg.MetadataValue.text(engine.name()),
            }
        )
        yield from per_partition(
            context,
            _reference_checks(
                WEEKLY_KEY,
                result,
                config,
                ["company_id"],
                ["distinct_people", "events"],
                _windows(context, weeks),
                "week_start",
                blocking,
            ),
        )

    return week_people_count
