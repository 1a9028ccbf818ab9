"""What runs when in the telemetry slice: the ingest job (drains the topic into the landing zone
and the backups) and the hourly job (one hour's chain, for manual runs and backfills). The hourly
assets otherwise follow their upstream through ``sensors/telemetry_automation``."""

import dagster as dg

from platform_assets.telemetry.assets import key
from platform_assets.telemetry.ops import ingest_telemetry
from platform_assets.telemetry.routing import ROUTES

HOURLY_KEYS = [
    key(n)
    for n in (
        "raw_events",
        "extractor_duplicates",
        "extractor_failed",
        "unique_events",
        "failed_events",
        "duplicate_events",
        *ROUTES,
        "denorm_events",
        "hourly_event_counts",
    )
]
telemetry_hourly_job = dg.define_asset_job(
    "telemetry_hourly",
    selection=dg.AssetSelection.assets(*HOURLY_KEYS),
    description="Extract, validate, dedup, route, denormalize and count one hour of telemetry.",
)


@dg.job(
    description="Drain the telemetry ingest topic into the landing zone and the topic backups.",
    tags={"weir/domain": "telemetry"},
)
def telemetry_ingest() -> None:
    ingest_telemetry()
