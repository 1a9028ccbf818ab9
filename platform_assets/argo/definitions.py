"""The ARGO monitoring slice: metric data, connector snapshots and A/R per tenant-day, its jobs
and daily schedule. Built from ``ArgoSettings`` when the code location loads."""

from datetime import date

import dagster as dg

from platform_assets.argo.assets_ar import build_argo_ar
from platform_assets.argo.assets_connectors import build_connector_assets
from platform_assets.argo.assets_metric_data import build_metric_data
from platform_assets.argo.jobs import argo_daily_job, argo_daily_schedule, argo_recompute_job
from platform_assets.argo.partitions import backfill_policy, tenant_days
from platform_assets.argo.settings import ArgoSettings


def build_defs(settings: ArgoSettings | None = None) -> dg.Definitions:
    settings = settings or ArgoSettings.from_env()
    partitions = tenant_days(settings.start_date)
    policy = backfill_policy(settings.backfill_policy)
    return dg.Definitions(
        assets=[
            build_metric_data(
                partitions, policy, date.fromisoformat(settings.start_date), settings.future_hours
            ),
            *build_connector_assets(partitions, policy),
            build_argo_ar(partitions, policy, settings.results_kind),
        ],
        jobs=[argo_daily_job, argo_recompute_job],
        schedules=[argo_daily_schedule],
    )
