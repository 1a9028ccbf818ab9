"""``argo/metric_data``: a tenant-day of metric records, from Kafka or from files, as Parquet.

Kafka: the topic is drained from the committed offsets, every record lands in the landing folder
of its own UTC day, the day's Parquet is written, and only then are offsets committed. A record
for a day that was already materialized changes that day's input fingerprint, and
``late_metric_data`` re-runs it.
"""

import statistics
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa

from platform_assets.argo import ingest, lake_keys
from platform_assets.argo.partitions import split_tenant_day, tenant_day_key, tenant_series
from platform_assets.argo.records import IngestWindow, RecordSorter, dedup_and_sort
from platform_assets.partition_checks import CheckEvent, per_partition
from resources.kafka import Batch, KafkaResource
from resources.model.tenancy import Tenant
from resources.placement import POOL_KAFKA
from resources.storage import LakeResource
from resources.tenant_registry import TenantRegistryResource

METRIC_DATA = dg.AssetKey(["argo", "metric_data"])
METRIC_QUARANTINE = dg.AssetKey(["argo", "metric_data_quarantine"])
VOLUME_WARN_RATIO = 0.95
METRIC_FILE_SUFFIXES = (".jsonl", ".json", ".avro")


def file_inputs(tenant: Tenant, day: date) -> list[Path]:
    folder = Path(tenant.metric_source.root or "") / tenant.name / "mdata" / day.isoformat()
    return (
        sorted(p for p in folder.glob("*") if p.is_file() and p.name.endswith(METRIC_FILE_SUFFIXES))
        if folder.is_dir()
        else []
    )


def input_fingerprint(tenant: Tenant, day: date, lake: LakeResource) -> str:
    """What the day's inputs look like now; compared by the late_metric_data sensor."""
    if tenant.metric_source.kind == "kafka":
        return ingest.fingerprint(
            (k, "") for k in lake.list(lake_keys.landing_dir(tenant.name, day))
        )
    return ingest.fingerprint(
        (p.name, f"{p.stat().st_size}:{p.stat().st_mtime_ns}") for p in file_inputs(tenant, day)
    )


def drain_kafka(
    context: dg.AssetExecutionContext,
    tenant: Tenant,
    day: date,
    kafka: KafkaResource,
    lake: LakeResource,
    window: IngestWindow,
) -> tuple[Batch, dict[str, dg.MetadataValue]]:
    """Land everything new on the tenant's topic in the landing folder of each record's day.

    A record that cannot be landed (undecodable, dated outside ``window``, not text) goes to the
    quarantine of ``day`` with its topic, partition and offset: no record can hold the offsets
    back. Offsets are not committed here: the caller commits once the day's Parquet is written.
    """
    topic = tenant.metric_source.topic or ""
    batch = kafka.drain(topic, group=f"weir-argo-{tenant.name}")
    buckets = ingest.bucket_messages(
        ((f"{topic}/p{m.partition}@{m.offset}", m.value) for m in batch.messages),
        tenant.metric_source.encoding,
        window,
    )
    name = ingest.landing_name(batch.offset_ranges())
    for record_day, records in sorted(buckets.records.items()):
        lake.write_bytes(
            f"{lake_keys.landing_dir(tenant.name, record_day)}/{name}",
            ingest.to_json_lines(records),
        )
    if buckets.rejected:
        lake.write_bytes(
            f"{lake_keys.landing_dir(tenant.name, day)}/rejected-{name}",
            ingest.to_json_lines(buckets.rejected),
        )
    other_days = sorted(d.isoformat() for d in buckets.records if d != day)
    context.log.info(
        f"drained {len(batch.messages)} messages from {topic}: {batch.offset_ranges()}; "
        f"records for other days: {other_days or 'none'}"
    )
    return batch, {
        "kafka_topic": dg.MetadataValue.text(topic),
        "kafka_messages": dg.MetadataValue.int(len(batch.messages)),
        "kafka_offsets": dg.MetadataValue.json(batch.offset_ranges()),
        "kafka_other_days": dg.MetadataValue.json(other_days),
    }


def read_day_sorted(
    tenant: Tenant, day: date, lake: LakeResource
) -> tuple[pa.Table, pa.Table, int, RecordSorter]:
    """(records, quarantine, input files, the sorter with its unreadable-block counts)."""
    sorter = RecordSorter(day=day)
    if tenant.metric_source.kind == "kafka":
        keys = lake.list(lake_keys.landing_dir(tenant.name, day))
        for key in keys:
            name = key.rsplit("/", 1)[-1]
            reader = ingest.sort_rejected if name.startswith("rejected-") else ingest.sort_file
            reader(sorter, name, lake.read_bytes(key))
        count = len(keys)
    else:
        files = file_inputs(tenant, day)
        for path in files:
            ingest.sort_file(sorter, path.name, path.read_bytes())
        count = len(files)
    good, bad = sorter.take_tables()
    return dedup_and_sort(good), bad, count, sorter


def build_metric_data(
    partitions_def: dg.PartitionsDefinition,
    backfill_policy: dg.BackfillPolicy | None,
    first_day: date = date(2024, 1, 1),
    future_hours: int = 24,
) -> dg.AssetsDefinition:
    """``argo/metric_data`` and its quarantine over the slice's tenant-days, with the same backfill
    policy as the rest of ``argo_daily`` (a range run drains each tenant's topic once). Kafka
    records dated before ``first_day`` or more than ``future_hours`` past now are quarantined."""
    earliest = datetime.combine(first_day, time(0), tzinfo=UTC)

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                METRIC_DATA,
                description="Metric records of a tenant-day (ARGO metric_data fields), Parquet.",
                group_name="argo",
                kinds={"parquet"},
            ),
            dg.AssetSpec(
                METRIC_QUARANTINE,
                description="Records refused at ingest, one reason each.",
                group_name="argo",
                kinds={"parquet"},
            ),
        ],
        check_specs=[
            dg.AssetCheckSpec(
                "volume",
                asset=METRIC_DATA,
                description="Record count against the trailing 7 days (warns under 95%); a "
                "day without records warns with the reason.",
                partitions_def=partitions_def,
            )
        ],
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        pool=POOL_KAFKA,
    )
    def metric_data(
        context: dg.AssetExecutionContext,
        registry: TenantRegistryResource,
        lake: LakeResource,
        kafka: KafkaResource,
    ) -> Iterator[dg.MaterializeResult | CheckEvent]:
        """Every tenant-day of the run: one for daily and sensor runs, a date range for a single-run
        backfill. A tenant's topic is drained once (records land in their own day's folder) and its
        offsets are committed only after all of the run's days of that tenant are written."""
        checks: list[tuple[str, dg.AssetCheckResult]] = []
        for name, days in _days_by_tenant(context.partition_keys).items():
            tenant = registry.tenant(name)
            batch: Batch | None = None
            kafka_meta: dict[str, dg.MetadataValue] = {}
            if tenant.metric_source.kind == "kafka":
                window = IngestWindow(earliest, datetime.now(UTC) + timedelta(hours=future_hours))
                batch, kafka_meta = drain_kafka(context, tenant, days[-1], kafka, lake, window)
            for day in days:
                partition_key = str(tenant_day_key(day, name))
                data_meta, quarantine_meta, check = _write_day(context, tenant, day, lake)
                context.add_asset_metadata(
                    {**kafka_meta, **data_meta}, asset_key=METRIC_DATA, partition_key=partition_key
                )
                context.add_asset_metadata(
                    quarantine_meta, asset_key=METRIC_QUARANTINE, partition_key=partition_key
                )
                checks.append((partition_key, check))
            if batch is not None:
                # only now: every consumed message is in a durable landing file and the days'
                # Parquet is written; a crash before this line replays the same messages, which
                # collapse as duplicates
                kafka.commit(batch)
        yield dg.MaterializeResult(asset_key=METRIC_DATA)
        yield dg.MaterializeResult(asset_key=METRIC_QUARANTINE)
        yield from per_partition(context, checks)

    return metric_data


def _days_by_tenant(partition_keys: list[str]) -> dict[str, list[date]]:
    out: dict[str, list[date]] = {}
    for partition_key in sorted(partition_keys):
        day, name = split_tenant_day(partition_key)
        out.setdefault(name, []).append(day)
    return out


def _write_day(
    context: dg.AssetExecutionContext, tenant: Tenant, day: date, lake: LakeResource
) -> tuple[dict[str, Any], dict[str, Any], dg.AssetCheckResult]:
    """Write one tenant-day's records and quarantine; (data metadata, quarantine metadata,
    volume)."""
    name = tenant.name
    good, bad, n_inputs, sorter = read_day_sorted(tenant, day, lake)
    lake.write_table(lake_keys.metric_data(name, day), good)
    lake.write_table(lake_keys.metric_quarantine(name, day), bad)
    # the day's buffers go back to the system: a range run reads the next day's file into
    # memory Python allocates, which cannot reuse what Arrow's pool keeps
    pa.default_memory_pool().release_unused()
    reasons: dict[str, int] = {}
    for reason in bad.column("reason").to_pylist():
        label = reason.split(":")[0][:60]
        reasons[label] = reasons.get(label, 0) + 1
    if bad.num_rows:
        context.log.warning(f"{bad.num_rows} records quarantined for {name} {day}: {reasons}")
    data: dict[str, Any] = {
        "records": dg.MetadataValue.int(good.num_rows),
        "quarantined": dg.MetadataValue.int(bad.num_rows),
        "input_files": dg.MetadataValue.int(n_inputs),
        # records of damaged Avro blocks (their declared count), never silently half-read
        "records_unreadable": dg.MetadataValue.int(sorter.records_unreadable),
        "unreadable_blocks_of_unknown_size": dg.MetadataValue.int(sorter.blocks_of_unknown_size),
        "input_fingerprint": dg.MetadataValue.text(input_fingerprint(tenant, day, lake)),
        "path": dg.MetadataValue.path(lake.describe(lake_keys.metric_data(name, day))),
        "dagster/row_count": dg.MetadataValue.int(good.num_rows),
    }
    quarantine = {
        "records": dg.MetadataValue.int(bad.num_rows),
        "reasons": dg.MetadataValue.json(reasons),
        "path": dg.MetadataValue.path(lake.describe(lake_keys.metric_quarantine(name, day))),
    }
    data.update(tenant_series(name, records=good.num_rows))
    volume = volume_check(
        good.num_rows, _trailing_counts(context, day, name), n_inputs, bad.num_rows
    )
    return data, quarantine, volume


def _trailing_counts(context: dg.AssetExecutionContext, day: date, tenant: str) -> list[float]:
    from platform_assets.argo.assets_history import trailing_values

    return trailing_values(context.instance, METRIC_DATA, day, tenant, "records")


def volume_check(
    count: int, history: list[float], inputs: int | None = None, refused: int = 0
) -> dg.AssetCheckResult:
    """The day's record count against the trailing days' median. A day without a single good
    record is never "normal", whatever the history: it warns and says why (no input at all, or
    inputs holding no good record)."""
    if count == 0:
        if inputs == 0:
            reason = "no input for the day: no metric data file or message arrived"
        else:
            what = f"the day's {inputs} input(s)" if inputs is not None else "the day's inputs"
            reason = f"no good record in {what}" + (
                f"; {refused} refused (see argo/metric_data_quarantine)" if refused else ""
            )
        return dg.AssetCheckResult(
            check_name="volume",
            asset_key=METRIC_DATA,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=reason,
            metadata={"records": 0, "refused": refused, "reason": reason},
        )
    history = [h for h in history if h > 0]  # an empty day is an outage, never the norm
    if not history:
        return dg.AssetCheckResult(
            check_name="volume",
            asset_key=METRIC_DATA,
            passed=True,
            metadata={"records": count, "note": "no earlier days to compare with"},
        )
    median = statistics.median(history)
    ratio = count / median if median else 1.0
    return dg.AssetCheckResult(
        check_name="volume",
        asset_key=METRIC_DATA,
        passed=ratio >= VOLUME_WARN_RATIO,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "records": count,
            "trailing_median": median,
            "ratio": round(ratio, 4),
            "days_compared": len(history),
        },
    )
