"""The streaming slice: the monitoring deployment's Flink jobs (streaming ingestion kept running,
the Java A/R batch job submitted), configured by the monitoring INI config."""

import dagster as dg

from platform_assets.streaming.assets_observed import stream_specs
from platform_assets.streaming.jobs import ar_batch_flink, ingest_metric_stream, ingest_sync_stream


def build_defs() -> dg.Definitions:
    return dg.Definitions(
        assets=stream_specs(), jobs=[ingest_metric_stream, ingest_sync_stream, ar_batch_flink]
    )
