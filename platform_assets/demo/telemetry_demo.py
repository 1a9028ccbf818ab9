"""The telemetry slice in the demo (embedded default: the local inbox stands in for Kafka).

Appends sample batches for the last three complete hours (plus a few hostile messages and a
re-sent batch) to the inbox, runs ``telemetry_ingest``, then the hourly chain for every hour it
touched and the session summary and weekly active users of every day and week those hours are in,
and prints what went where.
"""

import time
from collections import Counter

import dagster as dg

from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry import landing
from platform_assets.telemetry.partitions import TelemetryPartitions, telemetry_partitions
from platform_assets.telemetry.settings import Inbox, TelemetryLayout, TelemetrySettings

HOUR_MS = 3_600_000
HOSTILE = [b"\xff\xfe not utf-8", b'{"params": {"msgid": "broken"}, "events": 7}', b"[" * 2000]
OUTPUTS = (
    "raw_events",
    "unique_events",
    "failed_events",
    "duplicate_events",
    "extractor_failed",
    "extractor_duplicates",
    "routed_events",
    "druid_log_events",
    "druid_error_events",
    "audit_events",
    "denorm_events",
)


def run(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: TelemetrySettings, quiet: dict
) -> bool:
    # ten minutes into the hour three hours ago: an event's own time (up to ten minutes before its
    # batch's sync time) then falls in the hour the batch is filed under, so every hour and day the
    # batches land in also holds events, at any time of day (midnight included)
    first_sync = (int(time.time() * 1000) // HOUR_MS - 3) * HOUR_MS + 600_000
    values = sample_data.batches(60, 50, first_sync, spread_ms=3 * HOUR_MS, seed=23)
    Inbox(settings.inbox_dir, settings.topic("ingest")).append(0, [*values, *HOSTILE, values[5]])
    ingest = defs.resolve_job_def("telemetry_ingest").execute_in_process(
        instance=instance, run_config=quiet
    )
    if not ingest.success:
        return False
    summary = ingest.output_for_node("ingest_telemetry")
    print(f"ingested {summary['messages']} messages into hours {', '.join(summary['hours'])}")
    hourly = defs.resolve_job_def("telemetry_hourly")
    for hour in summary["hours"]:
        if not hourly.execute_in_process(
            partition_key=hour, instance=instance, run_config=quiet
        ).success:
            return False
    for name, periods in period_partitions(summary["hours"]).items():
        asset = defs.get_assets_def(dg.AssetKey(["telemetry", name]))
        for period in periods:
            if not dg.materialize(
                [asset],
                partition_key=period,
                instance=instance,
                resources=defs.resources,
                run_config=quiet,
            ).success:
                return False
    return True


def _layout_partitions() -> TelemetryPartitions:
    layout = TelemetryLayout.from_env()
    return telemetry_partitions(layout.start_date, layout.backup_timezone)


def days_of(hours: list[str]) -> list[str]:
    """The daily partitions that hourly partitions fall in."""
    return _partitions_of(hours, _layout_partitions().days)


def weeks_of(hours: list[str]) -> list[str]:
    """The weekly partitions that hourly partitions fall in."""
    return _partitions_of(hours, _layout_partitions().weeks)


def period_partitions(hours: list[str]) -> dict[str, list[str]]:
    """The partitions of the daily and weekly aggregates that ``hours`` fall in, by asset name."""
    return {"workflow_summary": days_of(hours), "weekly_active_users": weeks_of(hours)}


def _partitions_of(hours: list[str], periods: dg.TimeWindowPartitionsDefinition) -> list[str]:
    return sorted(
        {
            periods.get_partition_key_for_timestamp(landing.hour_start_ms(hour) / 1000)
            for hour in hours
        }
    )


def print_summary(lake_root: str, hours: list[str]) -> None:
    from resources.storage import LakeResource

    lake = LakeResource(root=lake_root)
    counts: Counter[str] = Counter()
    for hour in hours:
        for name in OUTPUTS:
            key = landing.table_key(name, hour)
            if lake.exists(key):
                counts[name] += lake.read_table(key).num_rows
    print("telemetry rows per asset: " + ", ".join(f"{name} {counts[name]}" for name in OUTPUTS))
    for name, periods in period_partitions(hours).items():
        rows = sum(
            lake.read_table(k).num_rows
            for p in periods
            if lake.exists(k := landing.table_key(name, p))
        )
        print(f"telemetry {name}: {rows} rows over {', '.join(periods)}")


def landed_hours(lake_root: str) -> list[str]:
    from resources.storage import LakeResource

    return sorted({k.split("/")[2] for k in LakeResource(root=lake_root).list("telemetry/landing")})
