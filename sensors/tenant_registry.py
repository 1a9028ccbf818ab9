"""Keeps the ``tenants`` dynamic partitions in step with the tenant registry."""

import dagster as dg

from platform_assets.argo.partitions import TENANTS, TENANTS_PARTITION
from resources.model.tenancy import RegistryError
from resources.tenant_registry import TenantRegistryResource


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition for every tenant in the registry.",
)
def tenant_registry_sensor(
    context: dg.SensorEvaluationContext, registry: TenantRegistryResource
) -> dg.SensorResult:
    try:
        wanted = set(registry.load().names())
    except RegistryError as exc:
        return dg.SensorResult(skip_reason=f"tenant registry refused: {exc}")
    have = set(context.instance.get_dynamic_partitions(TENANTS_PARTITION))
    new = sorted(wanted - have)
    gone = sorted(have - wanted)
    if gone:
        context.log.warning(
            f"tenants no longer in the registry (partitions kept, runs refused): {gone}"
        )
    if not new:
        return dg.SensorResult(skip_reason="registry and partitions agree")
    return dg.SensorResult(dynamic_partitions_requests=[TENANTS.build_add_request(new)])
