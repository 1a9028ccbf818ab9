"""What runs when: the ARGO jobs and the daily schedule."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from platform_assets.argo.assets_ar import AR_KEYS, STATUS_KEYS
from platform_assets.argo.assets_connectors import connector_key
from platform_assets.argo.connector_kinds import CONNECTOR_KINDS
from platform_assets.argo.partitions import tenant_day_key
from resources.tenant_registry import TenantRegistryResource

argo_daily_job = dg.define_asset_job(
    "argo_daily",
    selection=dg.AssetSelection.groups("argo"),
    description="Ingest metric data, fetch connector snapshots and compute A/R for a tenant-day.",
)
argo_recompute_job = dg.define_asset_job(
    "argo_recompute",
    selection=dg.AssetSelection.assets(
        *(connector_key(k.name) for k in CONNECTOR_KINDS), *AR_KEYS.values(), *STATUS_KEYS.values()
    ),
    description="Re-fetch connector snapshots and recompute A/R (metric data untouched).",
)


@dg.schedule(
    cron_schedule="30 1 * * *",
    job=argo_daily_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Yesterday's A/R for every registered tenant, at 01:30 UTC (late data is the "
    "sensors' job).",
)
def argo_daily_schedule(context: dg.ScheduleEvaluationContext, registry: TenantRegistryResource):
    """Yesterday's A/R for every registered tenant, at 01:30 UTC (late data is the sensors' job)."""
    scheduled = context.scheduled_execution_time or datetime.now(UTC)
    day = (scheduled.astimezone(UTC) - timedelta(days=1)).date()
    known = set(context.instance.get_dynamic_partitions("tenants"))
    for tenant in registry.load().names():
        if tenant in known:
            pk = tenant_day_key(day, tenant)
            yield dg.RunRequest(partition_key=str(pk), run_key=f"argo-daily:{pk}")
