"""``late_connector_data``: recompute A/R when a connector snapshot appears or changes late.

For every tenant and each of the last ``LOOKBACK_DAYS`` days whose A/R was already computed, the
sensor asks the source which snapshot (date used + content hash) is valid for the day now, and
compares it with what the last connector materialization used. A difference (a snapshot that
arrived after a fallback, or a corrected one) requests ``argo_recompute`` for that partition once
per change: the run key and the cursor both carry the content signature, never a clock time.
"""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from platform_assets.argo.assets_ar import AR_KEYS
from platform_assets.argo.assets_connectors import connector_key, day_fetcher
from platform_assets.argo.assets_history import latest_metadata
from platform_assets.argo.connector_kinds import CONNECTOR_KINDS
from platform_assets.argo.connectors import MissingSnapshotError, select_snapshot
from platform_assets.argo.jobs import argo_recompute_job
from platform_assets.argo.partitions import tenant_day_key
from resources.argo_connectors import ArgoConnectorResource
from resources.model.tenancy import RegistryError, Tenant
from resources.tenant_registry import TenantRegistryResource

LOOKBACK_DAYS = 3


def changed_snapshots(
    instance: dg.DagsterInstance, tenant: Tenant, day: date, connectors: ArgoConnectorResource
) -> list[str]:
    """``kind/report@date_used:hash`` for every snapshot that differs from the one last used."""
    changes = []
    for kind in CONNECTOR_KINDS:
        used = latest_metadata(instance, connector_key(kind.name), day, tenant.name) or {}
        used_hash, used_date = used.get("content_hashes") or {}, used.get("date_used") or {}
        for report in tenant.reports:
            try:
                now = select_snapshot(
                    day_fetcher(connectors, tenant.connector_source, tenant.name, report, kind),
                    tenant.name,
                    report.name,
                    kind.name,
                    day,
                )
            except MissingSnapshotError:
                continue  # nothing valid yet: the A/R run would fail the same way
            if (now.content_hash, now.date_used.isoformat()) != (
                used_hash.get(report.name),
                used_date.get(report.name),
            ):
                changes.append(
                    f"{kind.name}/{report.name}@{now.date_used.isoformat()}:{now.content_hash}"
                )
    return changes


@dg.sensor(
    job=argo_recompute_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Recomputes a tenant's A/R days (3-day look-back) whose connector snapshots "
    "(topology, profiles, downtimes, weights, recomputations) changed since they were used.",
)
def late_connector_data(
    context: dg.SensorEvaluationContext,
    registry: TenantRegistryResource,
    connectors: ArgoConnectorResource,
) -> dg.SensorResult:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    today = datetime.now(UTC).date()
    requests = []
    try:
        tenants = registry.load().tenants.values()
    except RegistryError as exc:
        return dg.SensorResult(skip_reason=f"tenant registry refused: {exc}", cursor=context.cursor)
    for tenant in tenants:
        for back in range(1, LOOKBACK_DAYS + 1):
            day = today - timedelta(days=back)
            if (
                latest_metadata(context.instance, AR_KEYS["endpoint_group_ar"], day, tenant.name)
                is None
            ):
                continue  # A/R not computed yet: the normal run will use whatever is there
            changes = changed_snapshots(context.instance, tenant, day, connectors)
            if not changes:
                continue
            pk = str(tenant_day_key(day, tenant.name))
            signature = hashlib.sha256("\n".join(sorted(changes)).encode()).hexdigest()[:16]
            if seen.get(pk) == signature:
                continue
            seen[pk] = signature
            context.log.info(f"late connector data for {pk}: {changes}")
            requests.append(
                dg.RunRequest(
                    partition_key=pk,
                    run_key=f"late-connector:{pk}:{signature}",
                    tags={"weir/reason": "late_connector_data"},
                )
            )
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))
