"""The telemetry assets, hour by hour of sync time: extract -> validate/dedup -> route (one step,
one parse per event) -> denormalize, and the aggregates over unique events (hourly counts, daily
sessions, weekly active users).

Every hourly asset follows its upstream automatically (``follow_upstream``): a landing file for any
hour, late ones included, re-runs that hour's chain. Each partition rewrites its own files, so a
re-run replaces and never appends.
"""

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa

from platform_assets.telemetry import aggregates, dedup_window, landing, parallel_parse, tables
from platform_assets.telemetry import assets_produced as produced
from platform_assets.telemetry.assets_landing import LANDING
from platform_assets.telemetry.denormalization import denormalize
from platform_assets.telemetry.gc_pause import cyclic_gc_paused
from platform_assets.telemetry.hour_processing import OUTPUT_SCHEMAS, HourProcessor, HourTotals
from platform_assets.telemetry.partitions import TelemetryPartitions
from platform_assets.telemetry.process_memory import retain_freed_memory
from platform_assets.telemetry.routing import ROUTES
from platform_assets.telemetry.settings import TelemetryLayout, TelemetrySettings
from platform_assets.telemetry.validation import shipped_validator
from resources.kafka import KafkaResource
from resources.storage import LakeResource
from resources.telemetry_dimensions import DimensionsResource

# the hour step's streams produced to Kafka when production is on (to the topics of topics.py)
PRODUCED_STREAMS = ("raw_events", *ROUTES)


def key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["telemetry", name])


def follow_upstream() -> dg.AutomationCondition:
    """Run when an upstream partition was updated (any hour, not only the latest), once nothing
    upstream or here is in progress."""
    return (
        dg.AutomationCondition.any_deps_updated().since_last_handled()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("follow_upstream")


def _spec(
    name: str,
    description: str,
    deps: list[dg.AssetKey | dg.AssetDep],
    partitions: dg.PartitionsDefinition,
) -> dg.AssetSpec:
    return dg.AssetSpec(
        key(name),
        deps=deps,
        description=description,
        group_name="telemetry",
        partitions_def=partitions,
        kinds={"parquet"},
        automation_condition=follow_upstream(),
    )


def _window_hours(window_s: int) -> int:
    """The hours before an hour that a dedup window reaches into from the hour's start: the
    window is kept in whole hours, rounded up (an id is remembered for at least ``window_s``, and
    at most an hour more); 0 deduplicates within each hour only."""
    if window_s < 0:
        raise dg.Failure(f"telemetry dedup_window_s must be 0 or more seconds, not {window_s}")
    return -(-window_s // 3600)


def _earlier_hours(hour: str, window_s: int) -> list[str]:
    """Hour partitions before ``hour`` that the dedup window reaches into."""
    start = datetime.strptime(hour, "%Y-%m-%d-%H:%M").replace(tzinfo=UTC)
    return [
        (start - timedelta(hours=n)).strftime(landing.HOUR_FORMAT)
        for n in range(_window_hours(window_s), 0, -1)
    ]


def landing_in_window(dedup_window_s: int) -> dg.AssetDep:
    """An hour's dedup state is what the hours of its window landed, so a late batch landing in any
    of them re-runs it too: an id the late batch brings is then a duplicate in the later hour, not
    unique in both (the facts come from the landing files, whichever hour runs first)."""
    return dg.AssetDep(
        LANDING,
        partition_mapping=dg.TimeWindowPartitionMapping(
            start_offset=-_window_hours(dedup_window_s), end_offset=0
        ),
    )


_EXTRACT = [
    (
        "raw_events",
        "Events of the hour's batches with syncts and @timestamp, plus one LOG audit event per "
        "batch.",
    ),
    (
        "extractor_duplicates",
        "Batches whose params.msgid was already seen within the dedup window.",
    ),
    (
        "extractor_failed",
        "Batches (or events) that could not be used, with the reason and the original bytes.",
    ),
]
_VALIDATE = [
    (
        "unique_events",
        "Valid events (JSON Schema per eid) whose mid was not seen within the dedup window.",
    ),
    ("failed_events", "Events of unknown eid or failing their schema, with the validation error."),
    ("duplicate_events", "Valid events whose mid was already seen within the dedup window."),
]
_ROUTE = [
    (
        "routed_events",
        "The main stream: every unique event but LOG and ERROR, AUDIT too, SHARE items flattened.",
    ),
    ("druid_log_events", "LOG events, for Druid."),
    ("druid_error_events", "ERROR events, for Druid."),
    ("audit_events", "AUDIT events."),
]


def _process_hour(
    hour: str,
    telemetry: TelemetrySettings,
    lake: LakeResource,
    kafka: KafkaResource,
    log: Callable[[str], None],
) -> HourTotals:
    """Read what the dedup window's earlier hours saw (``dedup_window``), then the hour's landing
    files chunk by chunk (parsed by ``hour_workers`` processes; each chunk's rows appended to every
    output file as a row group), and publish every output with the hour's own dedup facts."""
    validator = shipped_validator()
    layout_window_s = (
        TelemetryLayout.from_env().dedup_window_s
    )  # what the definitions were built from
    if _window_hours(telemetry.dedup_window_s) > _window_hours(layout_window_s):
        log(
            f"dedup_window_s {telemetry.dedup_window_s} reaches further back than "
            f"WEIR_TELEMETRY_DEDUP_WINDOW_S ({layout_window_s}): a late batch re-runs later hours "
            "only within the latter; set both alike"
        )
    window = dedup_window.window_before(
        lake, _earlier_hours(hour, telemetry.dedup_window_s), validator, telemetry.env
    )
    if window.scanned:
        log(
            f"dedup window: {', '.join(s.hour for s in window.scanned)} not processed (or not all "
            "of it) yet: read from its landing files"
        )
    files = lake.list(landing.landing_dir(hour))
    landed = [lake.parquet_file(f) for f in files]
    processor = HourProcessor(
        validator,
        window.msgids,
        window.mids,
        now_ms=landing.hour_start_ms(hour),
        env=telemetry.env,
        earlier=window if window.scanned else None,
    )  # else: sets only
    workers = telemetry.hour_workers if telemetry.hour_workers >= 0 else (os.cpu_count() or 1) - 1
    with lake.staged_writes() as staged:
        writers = {
            name: staged.table(
                landing.table_key(name, hour), schema, **tables.parquet_options(schema)
            )
            for name, schema in OUTPUT_SCHEMAS.items()
        }
        for chunk in parallel_parse.chunk_tables(
            processor, landing.message_chunks(landed), workers
        ):
            for name, table in chunk.items():
                if table.num_rows:
                    writers[name].write_table(table)
        facts = dedup_window.facts_table(
            processor.totals.fact_msgids, processor.totals.fact_mids, files
        )
        staged.table(dedup_window.facts_key(hour), facts.schema).write_table(facts)
    if (
        telemetry.produce_routed
    ):  # once the files are published: what consumers read is also in the lake
        for name in PRODUCED_STREAMS:
            table = lake.read_table(landing.table_key(name, hour), columns=["mid", "eid", "event"])
            processor.totals.produced.update(
                produced.produce_stream(
                    kafka, lake, name, hour, telemetry.env, telemetry.routes(name), table
                )
            )
    return processor.totals


def build_process_telemetry_hour(
    hours: dg.PartitionsDefinition, dedup_window_s: int
) -> dg.AssetsDefinition:
    """The hour's extract/validate/route assets, computed together in one pass."""

    @dg.multi_asset(
        specs=[
            *(_spec(n, d, [landing_in_window(dedup_window_s)], hours) for n, d in _EXTRACT),
            *(_spec(n, d, [key("raw_events")], hours) for n, d in _VALIDATE),
            *(_spec(n, d, [key("unique_events")], hours) for n, d in _ROUTE),
        ],
        check_specs=[
            dg.AssetCheckSpec(
                "failed_share",
                asset=key("unique_events"),
                description="share of events failing validation (warns over 5 %)",
                partitions_def=hours,
            )
        ],
        partitions_def=hours,
        can_subset=False,
    )
    def process_telemetry_hour(
        context: dg.AssetExecutionContext,
        telemetry: TelemetrySettings,
        lake: LakeResource,
        kafka: KafkaResource,
    ):
        """Extraction, validation + dedup and routing of one hour in one pass: each event is read
        once, and each stage's output is still its own asset (own file, metadata and lineage)."""
        telemetry.check()
        hour = context.partition_key
        started = time.monotonic()
        retain_freed_memory()
        with cyclic_gc_paused():
            out = _process_hour(hour, telemetry, lake, kafka, context.log.info)
        seconds = time.monotonic() - started
        for reasons, what in (
            (out.extractor_reasons, "at extraction"),
            (out.validation_reasons, "at validation"),
        ):
            if reasons:
                context.log.warning(f"{sum(reasons.values())} refused {what}: {reasons}")
        context.log.info(f"{out.messages} messages, {out.events} events in {seconds:.1f} s")
        valid = out.rows["unique_events"] + out.rows["duplicate_events"]
        if valid and out.valid_read_exactly > 0.05 * valid:
            context.log.warning(
                f"{out.valid_read_exactly} of {valid} valid events were accepted neither by the "
                "native reader nor by their compiled schema type and took the slower exact path: "
                "escapes in member names or ids, eid not the first member, or an eid without a "
                "compiled type (EventValidator.uncompiled)"
            )
        extra: dict[str, dict[str, Any]] = {
            "raw_events": {
                "messages": out.messages,
                "batches": len(out.msgids),
                "events_per_second": round(out.events / seconds) if seconds else 0,
            },
            "extractor_failed": {"reasons": dg.MetadataValue.json(out.extractor_reasons)},
            "failed_events": {"reasons": dg.MetadataValue.json(out.validation_reasons)},
            "unique_events": {
                "events_by_eid": dg.MetadataValue.json(out.events_by_eid),
                "valid_events_read_exactly": out.valid_read_exactly,
            },
            "routed_events": {"share_items_flattened": out.share_items},
        }
        for name in OUTPUT_SCHEMAS:
            meta: dict[str, Any] = {"dagster/row_count": out.rows[name], **extra.get(name, {})}
            if telemetry.produce_routed and name in PRODUCED_STREAMS:
                topics = {r.name(telemetry.env): 0 for r in telemetry.routes(name)}
                sent = {topic: out.produced[topic] for topic in topics}
                meta.update(kafka_topics=sent, produced_to_kafka=sum(sent.values()))
            yield dg.MaterializeResult(asset_key=key(name), metadata=meta)
        share = out.failed_events / out.events if out.events else 0.0
        yield dg.AssetCheckResult(
            asset_key=key("unique_events"),
            check_name="failed_share",
            passed=share <= 0.05,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"failed": out.failed_events, "events": out.events, "share": round(share, 4)},
        )

    return process_telemetry_hour


def build_denorm_events(hours: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """``telemetry/denorm_events`` per hour."""

    @dg.asset(
        key=key("denorm_events"),
        deps=[key("routed_events")],
        partitions_def=hours,
        group_name="telemetry",
        kinds={"parquet", "postgres"},
        automation_condition=follow_upstream(),
        description="Routed events enriched from the device, user, content and dialcode "
        "dimensions, and the location derived from them; a miss sets flags.<kind>_denorm=false.",
    )
    def denorm_events(
        context: dg.AssetExecutionContext,
        telemetry: TelemetrySettings,
        lake: LakeResource,
        dimensions: DimensionsResource,
        kafka: KafkaResource,
    ) -> dg.MaterializeResult:
        telemetry.check()
        hour = context.partition_key
        with cyclic_gc_paused():
            events = tables.events_from_table(
                lake.read_table(landing.table_key("routed_events", hour))
            )
            out = denormalize(events, dimensions.lookup, telemetry.max_age_days)
            table = tables.events_table(out.events)
            lake.write_table(
                landing.table_key("denorm_events", hour),
                table,
                **tables.parquet_options(table.schema),
            )
        sent: dict[str, Any] = {}
        if telemetry.produce_routed:
            topics = produced.produce_stream(
                kafka,
                lake,
                "denorm_events",
                hour,
                telemetry.env,
                telemetry.routes("denorm_events"),
                table.select(["mid", "eid", "event"]),
            )
            sent = {"kafka_topics": topics, "produced_to_kafka": sum(topics.values())}
        if out.dropped_too_old:
            context.log.warning(
                f"{out.dropped_too_old} events older than {telemetry.max_age_days} days dropped"
            )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(out.events),
                "dropped_too_old": out.dropped_too_old,
                "future_ets_capped": out.capped_future,
                "hits": dg.MetadataValue.json(out.hits),
                "misses": dg.MetadataValue.json(out.misses),
                **sent,
            }
        )

    return denorm_events


def build_hourly_event_counts(hours: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """``telemetry/hourly_event_counts`` per hour."""

    @dg.asset(
        key=key("hourly_event_counts"),
        deps=[key("unique_events")],
        partitions_def=hours,
        group_name="telemetry",
        kinds={"parquet"},
        automation_condition=follow_upstream(),
        description="Unique events per eid x channel x producer (pdata.id) in the hour.",
    )
    def hourly_event_counts(
        context: dg.AssetExecutionContext, lake: LakeResource
    ) -> dg.MaterializeResult:
        hour = context.partition_key
        counts = aggregates.hourly_event_counts(
            lake.read_table(landing.table_key("unique_events", hour)), hour
        )
        lake.write_table(
            landing.table_key("hourly_event_counts", hour),
            pa.Table.from_pandas(counts, preserve_index=False),
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(counts),
                "events": int(counts["events"].sum()),
                "top": dg.MetadataValue.md(
                    counts.nlargest(10, "events").to_markdown(index=False)
                    if len(counts)
                    else "(none)"
                ),
            }
        )

    return hourly_event_counts


def unique_events_of_hours(lake: LakeResource, first: datetime, hours: int) -> pa.Table:
    """The unique events of the ``hours`` hours from ``first`` (hours not processed are absent)."""
    parts = [
        lake.read_table(k)
        for n in range(hours)
        if lake.exists(
            k := landing.table_key(
                "unique_events", (first + timedelta(hours=n)).strftime(landing.HOUR_FORMAT)
            )
        )
    ]
    return pa.concat_tables(parts) if parts else tables.empty(tables.EVENT_SCHEMA)


def _period_aggregate(
    lake: LakeResource,
    asset: str,
    period: str,
    hours: int,
    compute: Callable[[pa.Table, str], pd.DataFrame],
) -> pd.DataFrame:
    """``compute`` over the unique events of the ``hours`` hours from ``period``'s start, written as
    the partition ``period`` of ``asset``."""
    first = datetime.fromisoformat(period).replace(tzinfo=UTC)
    frame = compute(unique_events_of_hours(lake, first, hours), period)
    lake.write_table(
        landing.table_key(asset, period), pa.Table.from_pandas(frame, preserve_index=False)
    )
    return frame


def build_workflow_summary(days: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """``telemetry/workflow_summary`` per UTC day."""

    @dg.asset(
        key=key("workflow_summary"),
        deps=[key("unique_events")],
        partitions_def=days,
        group_name="telemetry",
        kinds={"parquet"},
        automation_condition=follow_upstream(),
        description="Per session (context.sid) and UTC day: start, end, time spent, interactions, "
        "impressions.",
    )
    def workflow_summary(
        context: dg.AssetExecutionContext, lake: LakeResource
    ) -> dg.MaterializeResult:
        summary = _period_aggregate(
            lake, "workflow_summary", context.partition_key, 24, aggregates.workflow_summary
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(summary),
                "sessions": len(summary),
                "mean_time_spent_s": float(summary["time_spent_s"].mean()) if len(summary) else 0.0,
            }
        )

    return workflow_summary


def build_weekly_active_users(weeks: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """``telemetry/weekly_active_users`` per ISO week."""

    @dg.asset(
        key=key("weekly_active_users"),
        deps=[key("unique_events")],
        partitions_def=weeks,
        group_name="telemetry",
        kinds={"parquet"},
        automation_condition=follow_upstream(),
        description="Distinct users (actor.type User) per channel and ISO week (Monday, UTC).",
    )
    def weekly_active_users(
        context: dg.AssetExecutionContext, lake: LakeResource
    ) -> dg.MaterializeResult:
        users = _period_aggregate(
            lake,
            "weekly_active_users",
            context.partition_key,
            7 * 24,
            aggregates.weekly_active_users,
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(users),
                "active_users": int(users["active_users"].sum()) if len(users) else 0,
            }
        )

    return weekly_active_users


def build_telemetry_assets(
    partitions: TelemetryPartitions, dedup_window_s: int
) -> list[dg.AssetsDefinition]:
    """Every telemetry asset after the landing zone, over the slice's partitions."""
    return [
        build_process_telemetry_hour(partitions.hours, dedup_window_s),
        build_denorm_events(partitions.hours),
        build_hourly_event_counts(partitions.hours),
        build_workflow_summary(partitions.days),
        build_weekly_active_users(partitions.weeks),
    ]
