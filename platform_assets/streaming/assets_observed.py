"""The streaming Flink jobs as observed assets: ``streaming/metric_stream`` and
``streaming/sync_stream``. Nothing in Dagster materializes them (Flink runs them); the
``flink_job_health`` sensor records each tenant's job state on them as observations, so the state
history lives in the catalog beside the data, plotted per tenant, not only in Flink's UI."""

import dagster as dg

STREAM_ASSETS = {
    "ingest-metric": dg.AssetKey(["streaming", "metric_stream"]),
    "ingest-sync": dg.AssetKey(["streaming", "sync_stream"]),
}
_WHAT = {
    "ingest-metric": "metric data from the messaging service into the lake",
    "ingest-sync": "connector (sync) data into the lake",
}


def stream_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key,
            group_name="streaming",
            kinds={"flink"},
            description=f"Each tenant's streaming Flink job ({kind}): {_WHAT[kind]}. Observed by "
            "flink_job_health: state/{tenant} is the job's Flink state, running/{tenant} 1 while "
            "it runs (plotted).",
        )
        for kind, key in STREAM_ASSETS.items()
    ]
