"""The telemetry slice: ingest -> landing zone and topic backups -> extract, validate, dedup, route,
denormalize per hour -> hourly, daily and weekly aggregates, and the original's daily workflow
summaries. Built from ``TelemetryLayout`` when
the code location loads."""

import dagster as dg

from platform_assets.telemetry.assets import build_telemetry_assets
from platform_assets.telemetry.assets_landing import build_ingest_specs
from platform_assets.telemetry.assets_secor import (
    SECOR_BACKUPS,
    build_secor_backups,
    build_secor_schedule,
)
from platform_assets.telemetry.assets_summaries import build_summary_assets
from platform_assets.telemetry.jobs import telemetry_hourly_job, telemetry_ingest
from platform_assets.telemetry.partitions import telemetry_partitions
from platform_assets.telemetry.settings import TelemetryLayout


def build_defs(layout: TelemetryLayout | None = None) -> dg.Definitions:
    layout = layout or TelemetryLayout.from_env()
    partitions = telemetry_partitions(layout.start_date, layout.backup_timezone)
    secor_job = dg.define_asset_job(
        "telemetry_secor_backups",
        selection=dg.AssetSelection.assets(SECOR_BACKUPS),
        description="Secor-compatible backups of a day's topics (for the original's readers).",
    )
    return dg.Definitions(
        assets=[
            *build_ingest_specs(partitions),
            *build_telemetry_assets(partitions, layout.dedup_window_s),
            *build_summary_assets(partitions.days),
            build_secor_backups(partitions),
        ],
        jobs=[telemetry_ingest, telemetry_hourly_job, secor_job],
        schedules=[build_secor_schedule(partitions, secor_job)],
    )
