"""``telemetry_ingest``: drain the ingest topic in bounded micro-batches.

Per micro-batch: file every message under the hour of its batch's sync time (landing), write the
topic backups, and only then commit the offsets. A crash anywhere before the commit replays the
micro-batch on the next run; landing and backup readers take each offset once, so the outputs are
the same as without the crash. Each micro-batch's hours and backup days are reported as
materializations of ``telemetry/landing`` and ``telemetry/topic_backups`` as soon as its files are
durable and before its commit, so that no committed hour goes unreported when a run fails or is
killed later (a kill between the report and the commit only reports that micro-batch twice). The
hourly assets follow them automatically, including an earlier hour that received a late batch.
"""

import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import dagster as dg

from platform_assets.telemetry import backups, landing
from platform_assets.telemetry.assets_landing import LANDING, TOPIC_BACKUPS
from platform_assets.telemetry.extraction import SourceMessage, message_syncts
from platform_assets.telemetry.process_memory import retain_freed_memory
from platform_assets.telemetry.settings import (
    MessageReader,
    TelemetryLayout,
    TelemetrySettings,
    message_reader,
    source_messages,
)
from resources.kafka import Batch, KafkaResource
from resources.storage import LakeResource

PROGRESS_EVERY_S = 5.0


def sync_times(messages: list[SourceMessage], now_ms: int, start_ms: int) -> list[int]:
    """The sync time that files each message (the batch's own, else Kafka's, else now; never before
    the first hour partition, ``start_ms``, nor after now)."""
    return [message_syncts(message, now_ms, start_ms) for message in messages]


class IngestConfig(dg.Config):
    max_micro_batches: int = 1000  # bound on one run; the backlog sensor starts another if needed


@dataclass
class IngestTotals:
    """What a run filed: messages per landing hour, backup files/messages/bytes per backup day."""

    hours: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    days: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: {"files": 0, "messages": 0, "bytes": 0})
    )

    def add_backups(self, files: list[backups.BackupFile]) -> None:
        for file in files:
            self.days[file.day]["files"] += 1
            self.days[file.day]["messages"] += file.messages
            self.days[file.day]["bytes"] += len(file.data)


def _write_backups(
    store: LakeResource,
    messages: list[SourceMessage],
    stamps: list[int],
    telemetry: TelemetrySettings,
) -> list[backups.BackupFile]:
    files = backups.backup_files(
        zip(messages, stamps, strict=True), telemetry.backup_timezone, telemetry.backup_roll_bytes
    )
    for file in files:
        store.write_bytes(file.key, file.data)
    return files


@dataclass
class Filing:
    """A micro-batch whose landing files and backups are being written."""

    batch: Batch
    hours: dict[str, int]
    backups: Future
    landing: list[Future]


def _start_filing(
    batch: Batch,
    lake: LakeResource,
    telemetry_backups: LakeResource,
    telemetry: TelemetrySettings,
    writers: ThreadPoolExecutor,
    start_ms: int,
) -> Filing:
    """Submit the landing files (one per hour touched) and the topic backups of ``batch`` to the
    writer threads (Parquet compression, fsync and uploads release the GIL)."""
    messages = source_messages(batch)
    stamps = sync_times(messages, int(time.time() * 1000), start_ms)
    by_hour: dict[str, list[tuple[SourceMessage, int]]] = defaultdict(list)
    for message, syncts in zip(messages, stamps, strict=True):
        by_hour[landing.hour_key(syncts)].append((message, syncts))
    backup_write = writers.submit(_write_backups, telemetry_backups, messages, stamps, telemetry)
    landing_writes = [
        writers.submit(_write_landing, lake, hour, batch.topic, entries)
        for hour, entries in by_hour.items()
    ]
    return Filing(
        batch,
        {hour: len(entries) for hour, entries in by_hour.items()},
        backup_write,
        landing_writes,
    )


def _write_landing(
    lake: LakeResource, hour: str, topic: str, entries: list[tuple[SourceMessage, int]]
) -> None:
    # lz4 without dictionaries: read once by the hour's step, so speed over size
    with lake.staged_writes() as staged:
        writer = staged.table(
            landing.landing_file_key(hour, topic, _ranges(entries)),
            landing.LANDING_SCHEMA,
            compression="lz4",
            use_dictionary=False,
        )
        landing.write_landing_file(writer, entries)


def _finish_filing(
    filing: Filing,
    reader: MessageReader,
    totals: IngestTotals,
    report: Callable[[dg.AssetMaterialization], None],
    backups_at: Callable[[str], str],
) -> None:
    """Wait until the micro-batch's files are durable, report them, then (only then) commit its
    offsets. A failed write raises here, before the report and the commit: the micro-batch is read
    again by the next run."""
    files = filing.backups.result()
    for write in filing.landing:
        write.result()
    for materialization in filed_materializations(filing, files, backups_at):
        report(materialization)
    reader.commit(filing.batch)
    totals.add_backups(files)
    for hour, count in filing.hours.items():
        totals.hours[hour] += count


def filed_materializations(
    filing: Filing, files: list[backups.BackupFile], backups_at: Callable[[str], str]
) -> list[dg.AssetMaterialization]:
    """What one durable micro-batch adds: its messages per landing hour, its backup files per day
    (``backups_at``: where a day's backups are)."""
    offsets = dg.MetadataValue.json(filing.batch.offset_ranges())
    per_day = IngestTotals()
    per_day.add_backups(files)
    return [
        *(
            dg.AssetMaterialization(
                LANDING,
                partition=hour,
                metadata={"messages": count, "micro_batch_offsets": offsets},
            )
            for hour, count in sorted(filing.hours.items())
        ),
        *(
            dg.AssetMaterialization(
                TOPIC_BACKUPS, partition=day, metadata={**stats, "location": backups_at(day)}
            )
            for day, stats in sorted(per_day.days.items())
        ),
    ]


@dg.op(tags={"weir/system": "kafka"})
def ingest_telemetry(
    context: dg.OpExecutionContext,
    config: IngestConfig,
    telemetry: TelemetrySettings,
    kafka: KafkaResource,
    lake: LakeResource,
    telemetry_backups: LakeResource,
) -> dict:
    """Micro-batch k+1 is read and submitted while k's files are still being written; k is
    committed before k+1, so commits stay in offset order."""
    telemetry.check()
    start_ms = (
        TelemetryLayout.from_env().start_ms
    )  # the first hour partition, as the definitions were built
    retain_freed_memory()
    totals = IngestTotals()
    total = batches = 0
    topic = telemetry.topic("ingest")

    def backups_at(day: str) -> str:
        return telemetry_backups.describe(f"{backups.PREFIX}/{topic}/{day}")

    started = logged = time.monotonic()
    with (
        message_reader(telemetry, kafka) as reader,
        ThreadPoolExecutor(4, thread_name_prefix="ingest-write") as writers,
    ):
        pending: Filing | None = None
        for _ in range(config.max_micro_batches):
            batch = reader.next_batch(telemetry.micro_batch_messages)
            if not batch.messages:
                break
            filing = _start_filing(batch, lake, telemetry_backups, telemetry, writers, start_ms)
            if pending is not None:
                _finish_filing(pending, reader, totals, context.log_event, backups_at)
            pending = filing
            total += len(batch.messages)
            batches += 1
            if (
                batches == 1 or time.monotonic() - logged >= PROGRESS_EVERY_S
            ):  # each log line is an event-log write
                logged = time.monotonic()
                context.log.info(
                    f"micro-batch {batches}: {len(batch.messages)} messages "
                    f"{batch.offset_ranges()} -> hours {sorted(filing.hours)}; {total} messages so "
                    "far"
                )
        if pending is not None:
            _finish_filing(pending, reader, totals, context.log_event, backups_at)
    seconds = time.monotonic() - started
    context.log.info(
        f"ingested {total} messages in {batches} micro-batches ({seconds:.1f} s, "
        f"{total / seconds if seconds else 0:,.0f} messages/s); hours {sorted(totals.hours)}"
    )
    return {
        "messages": total,
        "micro_batches": batches,
        "hours": sorted(totals.hours),
        "backup_days": sorted(totals.days),
    }


def _ranges(entries: list[tuple[SourceMessage, int]]) -> dict[int, tuple[int, int]]:
    ranges: dict[int, tuple[int, int]] = {}
    for message, _ in entries:
        first, last = ranges.get(message.partition, (message.offset, message.offset))
        ranges[message.partition] = (min(first, message.offset), max(last, message.offset))
    return ranges
