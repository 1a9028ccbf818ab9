"""The monitoring deployment's Flink jobs as Dagster jobs (launchable from the UI, and by the
``flink_job_health`` sensor): keep each tenant's streaming ingestion running, and submit the Java
A/R batch job for a tenant, report and day."""

import dagster as dg

from platform_assets.streaming.ops import ensure_metric_stream, ensure_sync_stream, submit_ar_batch


@dg.job(description="Make sure a tenant's metric ingestion streaming job runs on Flink.")
def ingest_metric_stream() -> None:
    ensure_metric_stream()


@dg.job(description="Make sure a tenant's connector/sync ingestion streaming job runs on Flink.")
def ingest_sync_stream() -> None:
    ensure_sync_stream()


@dg.job(
    description="Submit the Java A/R batch job for a tenant, report and day (dry_run shows the "
    "submission)."
)
def ar_batch_flink() -> None:
    submit_ar_batch()


STREAM_JOBS = {"ingest-metric": ingest_metric_stream, "ingest-sync": ingest_sync_stream}
