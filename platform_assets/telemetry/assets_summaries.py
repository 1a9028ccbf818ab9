"""The original pipeline's summaries, per UTC day: ``telemetry/workflow_summaries`` (the workflow
summarizer's ME_WORKFLOW_SUMMARY events, ``workflow_summaries.py``, produced to
``{env}.telemetry.derived``) and ``telemetry/summary_denorm_events`` (those summaries enriched from
the dimension tables as the summary denormalization job did, produced to
``{env}.druid.events.summary``, what Druid's summary datasource reads).

A summary's mid is a hash of what it summarizes, so a day that runs again (late events) produces
only the summaries it did not produce before (``assets_produced``); a summary that changes (a
session that grew) gets a new mid, as in the original. Like the original, which summarized a day
once it was over, a day's summaries go to the topics only once the day has ended and
``SUMMARY_GRACE`` has passed: the hourly runs of the current day rewrite the lake table, but a
session still going on is not published half-way (and again, bigger, an hour later).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from platform_assets.telemetry import assets_produced as produced
from platform_assets.telemetry import landing, tables
from platform_assets.telemetry.assets import follow_upstream, key, unique_events_of_hours
from platform_assets.telemetry.denormalization import denormalize, summary_dimension_key
from platform_assets.telemetry.settings import TelemetrySettings
from platform_assets.telemetry.workflow_summaries import once_per_mid, summarize
from resources.kafka import KafkaResource
from resources.storage import LakeResource
from resources.telemetry_dimensions import DimensionsResource

SUMMARY_GRACE = timedelta(hours=1)  # after the day's end: its last hour is processed by then


def day_closed(day: str, now: datetime | None = None) -> bool:
    """Whether the UTC day is over, with the grace after it."""
    end = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
    return (now or datetime.now(UTC)) >= end + SUMMARY_GRACE


def _write_and_produce(
    name: str,
    day: str,
    events: list[dict[str, Any]],
    telemetry: TelemetrySettings,
    lake: LakeResource,
    kafka: KafkaResource,
) -> dict[str, Any]:
    table = tables.events_table(events)
    lake.write_table(landing.table_key(name, day), table, **tables.parquet_options(table.schema))
    if not telemetry.produce_routed:
        return {}
    if not day_closed(day):
        return {
            "produced_to_kafka": 0,
            "kafka_held_until": (
                datetime.fromisoformat(day) + timedelta(days=1) + SUMMARY_GRACE
            ).isoformat()
            + "Z",
        }
    topics = produced.produce_stream(
        kafka,
        lake,
        name,
        day,
        telemetry.env,
        telemetry.routes(name),
        table.select(["mid", "eid", "event"]),
    )
    return {"kafka_topics": topics, "produced_to_kafka": sum(topics.values())}


def build_summary_assets(days: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=key("workflow_summaries"),
        deps=[key("unique_events")],
        partitions_def=days,
        group_name="telemetry",
        kinds={"parquet", "kafka"},
        automation_condition=follow_upstream(),
        description="The original workflow summarizer's ME_WORKFLOW_SUMMARY events of the UTC day "
        "(sessions per device, channel and producer, nested by START/END), produced to "
        "{env}.telemetry.derived when production is on.",
    )
    def workflow_summaries(
        context: dg.AssetExecutionContext,
        telemetry: TelemetrySettings,
        lake: LakeResource,
        kafka: KafkaResource,
    ) -> dg.MaterializeResult:
        telemetry.check()
        day = context.partition_key
        first = datetime.fromisoformat(day).replace(tzinfo=UTC)
        events = tables.events_from_table(unique_events_of_hours(lake, first, 24))
        summaries = once_per_mid(summarize(events))
        sent = _write_and_produce("workflow_summaries", day, summaries, telemetry, lake, kafka)
        kinds: dict[str, int] = {}
        for summary in summaries:
            kind = summary["dimensions"]["type"]
            kinds[kind] = kinds.get(kind, 0) + 1
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(summaries),
                "events_read": len(events),
                "summaries_by_type": dg.MetadataValue.json(kinds),
                **sent,
            }
        )

    @dg.asset(
        key=key("summary_denorm_events"),
        deps=[key("workflow_summaries")],
        partitions_def=days,
        group_name="telemetry",
        kinds={"parquet", "kafka", "postgres"},
        automation_condition=follow_upstream(),
        description="The day's workflow summaries enriched from the device, user and content "
        "dimensions (the summary denormalization), produced to {env}.druid.events.summary when "
        "production is on.",
    )
    def summary_denorm_events(
        context: dg.AssetExecutionContext,
        telemetry: TelemetrySettings,
        lake: LakeResource,
        dimensions: DimensionsResource,
        kafka: KafkaResource,
    ) -> dg.MaterializeResult:
        telemetry.check()
        day = context.partition_key
        summaries = tables.events_from_table(
            lake.read_table(landing.table_key("workflow_summaries", day))
        )
        out = denormalize(
            summaries, dimensions.lookup, key_of=summary_dimension_key, time_rules=False
        )
        sent = _write_and_produce("summary_denorm_events", day, out.events, telemetry, lake, kafka)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(out.events),
                "hits": dg.MetadataValue.json(out.hits),
                "misses": dg.MetadataValue.json(out.misses),
                **sent,
            }
        )

    return [workflow_summaries, summary_denorm_events]
