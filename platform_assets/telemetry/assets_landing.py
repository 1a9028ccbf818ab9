"""``telemetry/landing`` and ``telemetry/topic_backups``: what the ``telemetry_ingest`` job writes
(``ops``), declared as assets so that the hourly chain depends on the landing zone and the UI shows
both; the job reports their partitions as it files them."""

import dagster as dg

from platform_assets.telemetry.partitions import TelemetryPartitions

LANDING = dg.AssetKey(["telemetry", "landing"])
# the ingest topic itself: observed (its consumer lag) by the telemetry_backlog sensor
INGEST_TOPIC = dg.AssetKey(["telemetry", "ingest_topic"])
TOPIC_BACKUPS = dg.AssetKey(["telemetry", "topic_backups"])


def build_ingest_specs(partitions: TelemetryPartitions) -> list[dg.AssetSpec]:
    """The landing zone and the topic backups: written by the ``telemetry_ingest`` job, which
    reports their partitions as it files them."""
    topic = dg.AssetSpec(
        INGEST_TOPIC,
        group_name="telemetry",
        kinds={"kafka"},
        description="The telemetry ingest topic (Kafka). Observed by telemetry_backlog: "
        "lag/{topic} is the consumer group's uncommitted messages (plotted), lag_by_partition "
        "the same per partition.",
    )
    landing = dg.AssetSpec(
        LANDING,
        deps=[INGEST_TOPIC],
        partitions_def=partitions.hours,
        group_name="telemetry",
        kinds={"kafka", "parquet"},
        description="Consumed telemetry batches, byte for byte, by UTC hour of sync time "
        "(written by the telemetry_ingest job).",
    )
    topic_backups = dg.AssetSpec(
        TOPIC_BACKUPS,
        partitions_def=partitions.backup_days,
        group_name="telemetry",
        kinds={"s3"},
        description="Every consumed topic's raw messages in object storage, by day of sync "
        "time in the backup timezone, rolled by size (telemetry_ingest writes "
        "them).",
    )
    return [topic, landing, topic_backups]
