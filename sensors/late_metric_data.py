"""``late_metric_data``: re-run a tenant-day whose metric inputs changed after it was built.

The metric_data asset records a fingerprint of the files it read (names, sizes, mtimes; for Kafka
tenants the landing files, whose names carry offsets). A late record lands as a new or changed
file, so the fingerprint differs and the day is re-run (metric data, then A/R) once per change.

A/R of a day also reads the day before (statuses carry over midnight) and records which version
(fingerprint) of it it used; when the day before now holds a different version, the day is re-run
too, once per version.
"""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from platform_assets.argo.assets_ar import AR_KEYS
from platform_assets.argo.assets_history import latest_metadata
from platform_assets.argo.assets_metric_data import METRIC_DATA, input_fingerprint
from platform_assets.argo.jobs import argo_daily_job
from platform_assets.argo.partitions import tenant_day_key
from resources.model.tenancy import RegistryError
from resources.storage import LakeResource
from resources.tenant_registry import TenantRegistryResource

LOOKBACK_DAYS = 7


@dg.sensor(
    job=argo_daily_job,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-runs a tenant's A/R days whose metric data changed after they were computed "
    "(late files, within the look-back), and the days that carried its statuses over.",
)
def late_metric_data(
    context: dg.SensorEvaluationContext, registry: TenantRegistryResource, lake: LakeResource
) -> dg.SensorResult:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    today = datetime.now(UTC).date()
    requests = []
    try:
        tenants = registry.load().tenants.values()
    except RegistryError as exc:
        return dg.SensorResult(skip_reason=f"tenant registry refused: {exc}", cursor=context.cursor)
    for tenant in tenants:
        built_by_day = {}
        for back in range(1, LOOKBACK_DAYS + 1):
            day = today - timedelta(days=back)
            built = built_by_day[day] = latest_metadata(
                context.instance, METRIC_DATA, day, tenant.name
            )
            if built is None:
                continue
            current = input_fingerprint(tenant, day, lake)
            pk = str(tenant_day_key(day, tenant.name))
            if current == built.get("input_fingerprint") or seen.get(pk) == current:
                continue
            seen[pk] = current
            requests.append(
                dg.RunRequest(
                    partition_key=pk,
                    run_key=f"late-metric:{pk}:{current}",
                    tags={"weir/reason": "late_metric_data"},
                )
            )
        requests += _carry_over_reruns(
            context.instance,
            tenant.name,
            today,
            built_by_day,
            seen,
            {r.partition_key for r in requests if r.partition_key is not None},
        )
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))


def _carry_over_reruns(
    instance: dg.DagsterInstance,
    tenant: str,
    today,
    built_by_day: dict,
    seen: dict[str, str],
    already: set[str],
) -> list[dg.RunRequest]:
    """Days whose A/R carried statuses from an older version of the day before than the current one
    (``built_by_day``: the metric-data metadata the caller already read for the lookback window)."""
    requests = []
    for back in range(1, LOOKBACK_DAYS):
        day = today - timedelta(days=back)
        before = built_by_day.get(day - timedelta(days=1))
        computed = latest_metadata(instance, AR_KEYS["endpoint_group_ar"], day, tenant)
        pk = str(tenant_day_key(day, tenant))
        if before is None or computed is None or pk in already:
            continue
        version = str(before.get("input_fingerprint"))
        if (
            version == computed.get("previous_day_fingerprint")
            or seen.get(f"carry:{pk}") == version
        ):
            continue
        seen[f"carry:{pk}"] = version
        requests.append(
            dg.RunRequest(
                partition_key=pk,
                run_key=f"carry-over:{pk}:{version}",
                tags={"weir/reason": "late_metric_data"},
            )
        )
    return requests
