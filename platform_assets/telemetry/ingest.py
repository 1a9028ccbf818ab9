"""``telemetry_ingest``: drain the ingest topic in bounded micro-batches.

Per micro-batch: file every message under the hour of its batch's sync time (landing), write the
topic backups, and only then commit the offsets. A crash anywhere before the commit replays the
micro-batch on the next run; landing and backup readers take each offset once, so the outputs are
the same as without the crash. The hours and backup days touched are reported as materializations
of ``telemetry/landing`` and ``telemetry/topic_backups``; the hourly assets follow them
automatically, including an earlier hour that received a late batch.
"""

import time
from collections import defaultdict

import dagster as dg

from platform_assets.telemetry import backups, landing
from platform_assets.telemetry.extraction import SourceMessage, message_syncts
from platform_assets.telemetry.partitions import BACKUP_DAYS, HOURS, START_MS
from platform_assets.telemetry.settings import MessageSource, TelemetrySettings, source_messages
from resources.kafka import KafkaResource
from resources.storage import LakeResource

LANDING = dg.AssetKey(["telemetry", "landing"])
TOPIC_BACKUPS = dg.AssetKey(["telemetry", "topic_backups"])

landing_spec = dg.AssetSpec(LANDING, partitions_def=HOURS, group_name="telemetry", kinds={"kafka", "parquet"},
                            description="Consumed telemetry batches, byte for byte, by UTC hour of sync time "
                                        "(written by the telemetry_ingest job).")
backups_spec = dg.AssetSpec(TOPIC_BACKUPS, partitions_def=BACKUP_DAYS, group_name="telemetry", kinds={"s3"},
                            description="Every consumed topic's raw messages in object storage, by day of sync "
                                        "time in the backup timezone, rolled by size (telemetry_ingest writes them).")


def sync_times(messages: list[SourceMessage], now_ms: int) -> list[int]:
    """The sync time that files each message (the batch's own, else Kafka's, else now; never before
    the first hour partition nor after now)."""
    return [message_syncts(message, now_ms, START_MS) for message in messages]


class IngestConfig(dg.Config):
    max_micro_batches: int = 1000  # bound on one run; the backlog sensor starts another if needed


@dg.op(tags={"weir/system": "kafka"})
def ingest_telemetry(context: dg.OpExecutionContext, config: IngestConfig, telemetry: TelemetrySettings,
                     kafka: KafkaResource, lake: LakeResource, telemetry_backups: LakeResource) -> dict:
    source = MessageSource(telemetry, kafka)
    hours: dict[str, int] = defaultdict(int)
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "messages": 0, "bytes": 0})
    total = batches = 0
    started = time.monotonic()
    for _ in range(config.max_micro_batches):
        batch = source.drain()
        if not batch.messages:
            break
        messages = source_messages(batch)
        stamps = sync_times(messages, int(time.time() * 1000))
        by_hour: dict[str, list[tuple[SourceMessage, int]]] = defaultdict(list)
        for message, syncts in zip(messages, stamps):
            by_hour[landing.hour_key(syncts)].append((message, syncts))
        for hour, entries in by_hour.items():
            ranges = _ranges(entries)
            lake.write_table(landing.landing_file_key(hour, batch.topic, ranges), landing.landing_table(entries),
                             compression="lz4")  # read once by the hour's step; speed over size
            hours[hour] += len(entries)
        for file in backups.backup_files(zip(messages, stamps), telemetry.backup_timezone, telemetry.backup_roll_bytes):
            telemetry_backups.write_bytes(file.key, file.data)
            days[file.day]["files"] += 1
            days[file.day]["messages"] += file.messages
            days[file.day]["bytes"] += len(file.data)
        source.commit(batch)  # only now: landing files and backups are durable
        total += len(messages)
        batches += 1
        context.log.info(f"micro-batch {batches}: {len(messages)} messages {batch.offset_ranges()} -> "
                         f"hours {sorted(by_hour)}")
    for hour, count in sorted(hours.items()):
        context.log_event(dg.AssetMaterialization(LANDING, partition=hour, metadata={"messages": count}))
    for day, stats in sorted(days.items()):
        context.log_event(dg.AssetMaterialization(TOPIC_BACKUPS, partition=day, metadata={
            **stats, "location": telemetry_backups.describe(f"{backups.PREFIX}/{telemetry.topic('ingest')}/{day}")}))
    seconds = time.monotonic() - started
    context.log.info(f"ingested {total} messages in {batches} micro-batches ({seconds:.1f} s); hours {sorted(hours)}")
    return {"messages": total, "micro_batches": batches, "hours": sorted(hours), "backup_days": sorted(days)}


def _ranges(entries: list[tuple[SourceMessage, int]]) -> dict[int, tuple[int, int]]:
    ranges: dict[int, tuple[int, int]] = {}
    for message, _ in entries:
        first, last = ranges.get(message.partition, (message.offset, message.offset))
        ranges[message.partition] = (min(first, message.offset), max(last, message.offset))
    return ranges


@dg.job(description="Drain the telemetry ingest topic into the landing zone and the topic backups.",
        tags={"weir/domain": "telemetry"})
def telemetry_ingest() -> None:
    ingest_telemetry()
