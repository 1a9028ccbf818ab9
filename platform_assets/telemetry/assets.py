"""The telemetry assets, hour by hour of sync time: extract -> validate/dedup -> route (one step,
one parse per event) -> denormalize, and the aggregates over unique events (hourly counts, daily
sessions, weekly active users).

Every hourly asset follows its upstream automatically (``follow_upstream``): a landing file for any
hour, late ones included, re-runs that hour's chain. Each partition rewrites its own files, so a
re-run replaces and never appends.
"""

import time
from datetime import datetime, timedelta, timezone

import dagster as dg
import pandas as pd
import pyarrow as pa

from platform_assets.telemetry import aggregates, landing, tables
from platform_assets.telemetry.denormalization import denormalize
from platform_assets.telemetry.extraction import extract
from platform_assets.telemetry.gc_pause import cyclic_gc_paused
from platform_assets.telemetry.ingest import LANDING
from platform_assets.telemetry.partitions import DAYS, HOURS, WEEKS
from platform_assets.telemetry.routing import ROUTES, route
from platform_assets.telemetry.settings import TelemetrySettings
from platform_assets.telemetry.validation import EventValidator, validate_and_dedup
from resources.kafka import KafkaResource
from resources.storage import LakeResource
from resources.telemetry_dimensions import DimensionsResource


def key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["telemetry", name])


def follow_upstream() -> dg.AutomationCondition:
    """Run when an upstream partition was updated (any hour, not only the latest), once nothing
    upstream or here is in progress."""
    return (dg.AutomationCondition.any_deps_updated().since_last_handled()
            & ~dg.AutomationCondition.any_deps_in_progress()
            & ~dg.AutomationCondition.in_progress()).with_label("follow_upstream")


def _spec(name: str, description: str, deps: list[dg.AssetKey], partitions=HOURS) -> dg.AssetSpec:
    return dg.AssetSpec(key(name), deps=deps, description=description, group_name="telemetry",
                        partitions_def=partitions, kinds={"parquet"}, automation_condition=follow_upstream())


def _reasons(records: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        label = str(record.get("reason", "")).split(":")[0][:80]
        counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:20])


def _earlier_hours(hour: str, window_s: int) -> list[str]:
    """Hour partitions before ``hour`` that the dedup window reaches into."""
    start = datetime.strptime(hour, "%Y-%m-%d-%H:%M").replace(tzinfo=timezone.utc)
    count = max(1, -(-window_s // 3600))
    return [(start - timedelta(hours=n)).strftime(landing.HOUR_FORMAT) for n in range(count, 0, -1)]


def _column_if_exists(lake: LakeResource, lake_key: str, column: str) -> list:
    return lake.read_table(lake_key).column(column).to_pylist() if lake.exists(lake_key) else []


_EXTRACT = [
    ("raw_events", "Events of the hour's batches with syncts and @timestamp, plus one LOG audit event per batch."),
    ("extractor_duplicates", "Batches whose params.msgid was already seen within the dedup window."),
    ("extractor_failed", "Batches (or events) that could not be used, with the reason and the original bytes."),
]
_VALIDATE = [
    ("unique_events", "Valid events (JSON Schema per eid) whose mid was not seen within the dedup window."),
    ("failed_events", "Events of unknown eid or failing their schema, with the validation error."),
    ("duplicate_events", "Valid events whose mid was already seen within the dedup window."),
]
_ROUTE = [
    ("routed_events", "The main stream: every unique event but LOG and ERROR, AUDIT too, SHARE items flattened."),
    ("druid_log_events", "LOG events, for Druid."),
    ("druid_error_events", "ERROR events, for Druid."),
    ("audit_events", "AUDIT events."),
]


def _process_hour(hour: str, telemetry: TelemetrySettings, lake: LakeResource, kafka: KafkaResource):
    """Read the hour's landing files, extract, validate + dedup, route, write every output."""
    files = lake.list(landing.landing_dir(hour))
    messages = landing.messages_of([lake.read_table(f) for f in files])
    earlier = _earlier_hours(hour, telemetry.dedup_window_s)
    seen_msgids = {m for h in earlier for m in _column_if_exists(lake, landing.msgids_key(h), "msgid")}
    extracted = extract(messages, seen_msgids, now_ms=landing.hour_start_ms(hour), env=telemetry.env)
    seen_mids = {m for h in earlier for m in _column_if_exists(lake, landing.table_key("unique_events", h), "mid")}
    validated = validate_and_dedup(extracted.events, EventValidator(), seen_mids)
    routed = route(validated.unique)
    raw = tables.events_table(extracted.events)  # serialized once; the other tables take its rows
    position = {id(event): row for row, event in enumerate(extracted.events)}
    outputs = {
        "raw_events": raw,
        "extractor_duplicates": tables.refused_table(
            [{**d, "reason": "msgid already seen in the dedup window", "mid": d["msgid"]} for d in extracted.duplicates]),
        "extractor_failed": tables.refused_table(extracted.failed),
        "unique_events": tables.subset_table(raw, position, validated.unique),
        "failed_events": tables.refused_table(validated.failed),
        "duplicate_events": tables.refused_table(validated.duplicates),
        **{name: tables.subset_table(raw, position, getattr(routed, name)) for name in ROUTES},
    }
    for name, table in outputs.items():
        lake.write_table(landing.table_key(name, hour), table, level=1)  # zstd level 1: 3x faster, same size here
    lake.write_table(landing.msgids_key(hour), pa.table({"msgid": pa.array(extracted.msgids, pa.string())}))
    if telemetry.produce_routed:
        for name in ROUTES:
            if getattr(routed, name):
                _produce(kafka, telemetry.topic(name), getattr(routed, name))
    return extracted, validated, routed, outputs, messages, files


@dg.multi_asset(
    specs=[*(_spec(n, d, [LANDING]) for n, d in _EXTRACT),
           *(_spec(n, d, [key("raw_events")]) for n, d in _VALIDATE),
           *(_spec(n, d, [key("unique_events")]) for n, d in _ROUTE)],
    check_specs=[dg.AssetCheckSpec("failed_share", asset=key("unique_events"),
                                   description="share of events failing validation (warns over 5 %)")],
    partitions_def=HOURS, can_subset=False)
def process_telemetry_hour(context: dg.AssetExecutionContext, telemetry: TelemetrySettings, lake: LakeResource,
                           kafka: KafkaResource):
    """Extraction, validation + dedup and routing of one hour in one pass: each event is parsed
    once, and each stage's output is still its own asset (own file, metadata and lineage)."""
    hour = context.partition_key
    started = time.monotonic()
    with cyclic_gc_paused():
        extracted, validated, routed, outputs, messages, files = _process_hour(hour, telemetry, lake, kafka)
    seconds = time.monotonic() - started
    for refused, what in ((extracted.failed, "at extraction"), (validated.failed, "at validation")):
        if refused:
            context.log.warning(f"{len(refused)} refused {what}: {_reasons(refused)}")
    context.log.info(f"{len(messages)} messages, {len(extracted.events)} events in {seconds:.1f} s")
    extra = {
        "raw_events": {"messages": len(messages), "batches": len(extracted.msgids), "landing_files": len(files),
                       "events_per_second": round(len(extracted.events) / seconds) if seconds else 0},
        "extractor_failed": {"reasons": dg.MetadataValue.json(_reasons(extracted.failed))},
        "failed_events": {"reasons": dg.MetadataValue.json(_reasons(validated.failed))},
        "unique_events": {"events_by_eid": dg.MetadataValue.json(
            pd.Series([e["eid"] for e in validated.unique], dtype="object").value_counts().to_dict())},
        "routed_events": {"share_items_flattened": routed.share_items},
    }
    for name, table in outputs.items():
        meta = {"dagster/row_count": table.num_rows, **extra.get(name, {})}
        if telemetry.produce_routed and name in ROUTES:
            meta["kafka_topic"] = telemetry.topic(name)
        yield dg.MaterializeResult(asset_key=key(name), metadata=meta)
    share = len(validated.failed) / len(extracted.events) if extracted.events else 0.0
    yield dg.AssetCheckResult(asset_key=key("unique_events"), check_name="failed_share", passed=share <= 0.05,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"failed": len(validated.failed), "events": len(extracted.events),
                                        "share": round(share, 4)})


def _produce(kafka: KafkaResource, topic: str, events: list[dict]) -> None:
    import orjson

    kafka.produce_all(topic, [orjson.dumps(e) for e in events], keys=[str(e.get("mid", "")).encode() for e in events])


@dg.asset(key=key("denorm_events"), deps=[key("routed_events")], partitions_def=HOURS, group_name="telemetry",
          kinds={"parquet", "postgres"}, automation_condition=follow_upstream(),
          description="Routed events enriched from the device, user, content and dialcode dimensions; "
                      "a miss sets flags.<kind>_denorm=false.")
def denorm_events(context: dg.AssetExecutionContext, telemetry: TelemetrySettings, lake: LakeResource,
                  dimensions: DimensionsResource, kafka: KafkaResource) -> dg.MaterializeResult:
    hour = context.partition_key
    with cyclic_gc_paused():
        events = tables.events_from_table(lake.read_table(landing.table_key("routed_events", hour)))
        out = denormalize(events, dimensions.lookup, telemetry.max_age_days)
        lake.write_table(landing.table_key("denorm_events", hour), tables.events_table(out.events))
    if telemetry.produce_routed and out.events:
        _produce(kafka, telemetry.topic("denorm_events"), out.events)
    if out.dropped_too_old:
        context.log.warning(f"{out.dropped_too_old} events older than {telemetry.max_age_days} days dropped")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(out.events), "dropped_too_old": out.dropped_too_old,
        "future_ets_capped": out.capped_future, "hits": dg.MetadataValue.json(out.hits),
        "misses": dg.MetadataValue.json(out.misses)})


@dg.asset(key=key("hourly_event_counts"), deps=[key("unique_events")], partitions_def=HOURS, group_name="telemetry",
          kinds={"parquet"}, automation_condition=follow_upstream(),
          description="Unique events per eid x channel x producer (pdata.id) in the hour.")
def hourly_event_counts(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    hour = context.partition_key
    counts = aggregates.hourly_event_counts(lake.read_table(landing.table_key("unique_events", hour)), hour)
    lake.write_table(landing.table_key("hourly_event_counts", hour), pa.Table.from_pandas(counts, preserve_index=False))
    return dg.MaterializeResult(metadata={"dagster/row_count": len(counts), "events": int(counts["events"].sum()),
                                          "top": dg.MetadataValue.md(counts.nlargest(10, "events").to_markdown(index=False)
                                                                     if len(counts) else "(none)")})


def _hours_of(lake: LakeResource, first: datetime, hours: int) -> pa.Table:
    parts = [lake.read_table(k) for n in range(hours)
             if lake.exists(k := landing.table_key("unique_events", (first + timedelta(hours=n)).strftime(landing.HOUR_FORMAT)))]
    return pa.concat_tables(parts) if parts else tables.empty(tables.EVENT_SCHEMA)


@dg.asset(key=key("workflow_summary"), deps=[key("unique_events")], partitions_def=DAYS, group_name="telemetry",
          kinds={"parquet"}, automation_condition=follow_upstream(),
          description="Per session (context.sid) and UTC day: start, end, time spent, interactions, impressions.")
def workflow_summary(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    day = context.partition_key
    first = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
    summary = aggregates.workflow_summary(_hours_of(lake, first, 24), day)
    lake.write_table(landing.table_key("workflow_summary", day), pa.Table.from_pandas(summary, preserve_index=False))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(summary), "sessions": len(summary),
        "mean_time_spent_s": float(summary["time_spent_s"].mean()) if len(summary) else 0.0})


@dg.asset(key=key("weekly_active_users"), deps=[key("unique_events")], partitions_def=WEEKS, group_name="telemetry",
          kinds={"parquet"}, automation_condition=follow_upstream(),
          description="Distinct users (actor.type User) per channel and ISO week (Monday, UTC).")
def weekly_active_users(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    week = context.partition_key
    first = datetime.fromisoformat(week).replace(tzinfo=timezone.utc)
    users = aggregates.weekly_active_users(_hours_of(lake, first, 7 * 24), week)
    lake.write_table(landing.table_key("weekly_active_users", week), pa.Table.from_pandas(users, preserve_index=False))
    return dg.MaterializeResult(metadata={"dagster/row_count": len(users),
                                          "active_users": int(users["active_users"].sum()) if len(users) else 0})


telemetry_assets = [process_telemetry_hour, denorm_events, hourly_event_counts, workflow_summary, weekly_active_users]
HOURLY_KEYS = [key(n) for n in ("raw_events", "extractor_duplicates", "extractor_failed", "unique_events",
                                "failed_events", "duplicate_events", *ROUTES, "denorm_events", "hourly_event_counts")]
telemetry_hourly_job = dg.define_asset_job(
    "telemetry_hourly", selection=dg.AssetSelection.assets(*HOURLY_KEYS), partitions_def=HOURS,
    description="Extract, validate, dedup, route, denormalize and count one hour of telemetry.")

# Dagster's default automation sensor starts stopped; telemetry must follow its landing zone without
# anyone turning a switch, so the group gets its own sensor, running from the start.
telemetry_automation = dg.AutomationConditionSensorDefinition(
    "telemetry_automation", target=dg.AssetSelection.groups("telemetry"), default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Runs the telemetry assets whose upstream changed: the hour a (late) batch landed in, then "
                "its day and week.")
