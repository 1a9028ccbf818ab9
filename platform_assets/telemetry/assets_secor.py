"""``telemetry/secor_backups``: per backup day, the Secor-compatible copies of every topic the
original pipeline backed up (``secor.py``), for the Spark jobs and scripts that read them.

The ingest topic's files are cut from the day's exact backups (``telemetry/topic_backups``); the
topics Weir produces (raw, unique, denorm, failed, duplicate, extractor failed and duplicate) are
written from the hour tables that feed them, taking the rows whose ``syncts`` falls on the day in
the backup timezone. A run rewrites the day's folders and removes files it did not write, so a
re-run after late data leaves exactly one copy of each message. The ``secor_backups_daily``
schedule backs up the day before, after midnight in the backup timezone; a day that gets late data
afterwards is backed up again by materializing its partition.
"""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import dagster as dg

from platform_assets.telemetry import backups, landing, secor
from platform_assets.telemetry.assets_landing import TOPIC_BACKUPS
from platform_assets.telemetry.partitions import TelemetryPartitions
from platform_assets.telemetry.settings import TelemetrySettings
from platform_assets.telemetry.topics import TopicRoute
from resources.storage import LakeResource

if TYPE_CHECKING:  # what dg.define_asset_job returns (not exported by dagster)
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

SECOR_BACKUPS = dg.AssetKey(["telemetry", "secor_backups"])
# event streams backed up as the topic of their first route (topics.py): raw, unique, denorm
EVENT_STREAMS = ("raw_events", "routed_events", "denorm_events")
# refused streams and the topics the original sent them to (their payload as it arrived)
REFUSED_TOPICS = {
    "failed_events": "{env}.telemetry.failed",
    "duplicate_events": "{env}.telemetry.duplicate",
    "extractor_failed": "{env}.telemetry.extractor.failed",
    "extractor_duplicates": "{env}.telemetry.extractor.duplicate",
}


def _hours(day_start: datetime, day_end: datetime) -> list[datetime]:
    """The UTC hours that hold some of the local day's sync times."""
    first = day_start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    out = []
    while first < day_end:
        out.append(first)
        first += timedelta(hours=1)
    return out


def _sources(telemetry: TelemetrySettings) -> list[tuple[str, str, str, TopicRoute | None]]:
    """(stream, topic, value column, route filtering its rows) of every topic this asset writes:
    the event streams' first routes, then the refused streams' topics."""
    events = [
        (stream, routes[0].name(telemetry.env), "event", routes[0])
        for stream in EVENT_STREAMS
        if (routes := telemetry.routes(stream))
    ]
    refused = [
        (stream, topic.replace("{env}", telemetry.env), "payload", None)
        for stream, topic in REFUSED_TOPICS.items()
    ]
    return [*events, *refused]


def _backed_up_topics(telemetry: TelemetrySettings) -> list[str]:
    """Every topic this asset writes (so that a topic with nothing left for a day loses its stale
    files too)."""
    return [topic for _, topic, _, _ in _sources(telemetry)]


def _stream_files(
    lake: LakeResource, telemetry: TelemetrySettings, day: str, hours: list[datetime]
) -> list[secor.SecorFile]:
    zone = telemetry.backup_timezone
    sources = _sources(telemetry)
    files = []
    for hour in hours:
        key = hour.strftime("%Y-%m-%d-%H:00")
        hour_ms = int(hour.timestamp() * 1000)
        for stream, topic, column, route in sources:
            path = landing.table_key(stream, key)
            if not lake.exists(path):
                continue
            table = lake.read_table(path, columns=["eid", "syncts", column])
            values = []
            for eid, syncts, value in zip(
                table.column("eid").to_pylist(),
                table.column("syncts").to_pylist(),
                table.column(column).to_pylist(),
                strict=True,
            ):
                stamp = syncts if isinstance(syncts, int) else hour_ms
                if backups.local_day(stamp, zone) != day or (route and not route.takes(eid)):
                    continue
                values.append(value.encode() if isinstance(value, str) else (value or b""))
            if values:
                files.append(secor.secor_file(secor.secor_key(topic, day, 0, hour_ms), values))
    return files


def build_secor_backups(partitions: TelemetryPartitions) -> dg.AssetsDefinition:
    @dg.asset(
        key=SECOR_BACKUPS,
        partitions_def=partitions.backup_days,
        deps=[TOPIC_BACKUPS],
        group_name="telemetry",
        kinds={"s3"},
        description="Secor-compatible backups (gzip JSON lines, secor/<topic>/dt=<day>/"
        "1_<partition>_<offset>.gz) of every topic the original pipeline backed up.",
    )
    def secor_backups(
        context: dg.AssetExecutionContext,
        lake: LakeResource,
        telemetry_backups: LakeResource,
        telemetry: TelemetrySettings,
    ) -> dg.MaterializeResult:
        telemetry.check()
        day = context.partition_key
        window = context.partition_time_window
        ingest = telemetry.topic("ingest")
        keys = telemetry_backups.list(f"{backups.PREFIX}/{ingest}/{day}/")
        records = backups.replay_order(telemetry_backups.read_bytes(k) for k in keys)
        files = secor.ingest_files(records, ingest, day, telemetry.backup_roll_bytes)
        hours = _hours(window.start, window.end)
        files += _stream_files(lake, telemetry, day, hours)
        # hours that landed data but whose tables are not written yet: their events are missing
        # from this backup until the day is backed up again
        unprocessed = [
            h.strftime("%Y-%m-%d-%H:00")
            for h in hours
            if lake.list(landing.landing_dir(h.strftime("%Y-%m-%d-%H:00")))
            and not lake.exists(landing.table_key("raw_events", h.strftime("%Y-%m-%d-%H:00")))
        ]
        if unprocessed:
            context.log.warning(
                f"hours {', '.join(unprocessed)} have landed data but no tables yet: their "
                "events are not in this backup; back the day up again once they are processed"
            )
        written = {f.key for f in files}
        topics = sorted(
            {f.key.split("/")[1] for f in files} | {ingest} | set(_backed_up_topics(telemetry))
        )
        for file in files:
            telemetry_backups.write_bytes(file.key, file.data)
        stale = [
            k
            for topic in topics
            for k in telemetry_backups.list(secor.day_folder(topic, day))
            if k not in written
        ]
        for key in stale:
            telemetry_backups.delete(key)
        per_topic: dict[str, int] = {}
        for file in files:
            topic = file.key.split("/")[1]
            per_topic[topic] = per_topic.get(topic, 0) + file.messages
        newline = sum(f.values_with_newline for f in files)
        if newline:
            context.log.warning(
                f"{newline} values hold a raw newline: Secor's line format splits them (the "
                "Parquet backups keep them exact)"
            )
        return dg.MaterializeResult(
            metadata={
                "files": len(files),
                "messages_per_topic": per_topic,
                "bytes": sum(len(f.data) for f in files),
                "stale_files_removed": len(stale),
                "values_with_newline": newline,
                "hours_not_processed": dg.MetadataValue.json(unprocessed),
                "root": telemetry_backups.describe(secor.PREFIX),
            }
        )

    return secor_backups


def build_secor_schedule(
    partitions: TelemetryPartitions, job: "UnresolvedAssetJobDefinition"
) -> dg.ScheduleDefinition:
    """The day before, at 01:30 in the backup timezone."""
    zone = partitions.backup_days.timezone or "UTC"

    @dg.schedule(
        name="secor_backups_daily",
        job=job,
        cron_schedule="30 1 * * *",
        execution_timezone=zone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Secor-compatible backups of the day before (backup timezone).",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        moment = context.scheduled_execution_time.astimezone(ZoneInfo(zone))
        day = (moment - timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=f"secor-{day}", partition_key=day)

    return _schedule
