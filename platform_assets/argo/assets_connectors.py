"""Connector snapshots, one asset per kind (``argo/metric_profile``, ``argo/downtimes``, ...).

Each stores, per report, the snapshot valid for the day together with the date it came from and
its content hash; the hash is what ``late_connector_data`` compares against the source.
"""

import json
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import dagster as dg

from platform_assets.argo import lake_keys
from platform_assets.argo.connector_kinds import CONNECTOR_KINDS, ConnectorKind
from platform_assets.argo.connectors import (
    DEFAULT_ROLLBACK_DAYS,
    MissingSnapshotError,
    select_snapshot,
)
from platform_assets.argo.partitions import split_tenant_day
from resources.argo_connectors import ArgoConnectorResource
from resources.model.tenancy import Report, Source
from resources.storage import LakeResource
from resources.tenant_registry import TenantRegistryResource


class ConnectorConfig(dg.Config):
    rollback_days: int = DEFAULT_ROLLBACK_DAYS


def connector_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["argo", kind])


def day_fetcher(
    connectors: ArgoConnectorResource,
    source: Source,
    tenant: str,
    report: Report,
    kind: ConnectorKind,
) -> Callable[[date], Any | None]:
    """The source's snapshot of ``kind`` for a given day (what ``select_snapshot`` tries)."""
    return partial(connectors.fetch, source, tenant, report.name, kind, report_id=report.id)


def _fetch_day(
    context: dg.AssetExecutionContext,
    kind: ConnectorKind,
    partition_key: str,
    config: ConnectorConfig,
    registry: TenantRegistryResource,
    connectors: ArgoConnectorResource,
    lake: LakeResource,
) -> dict[str, dg.MetadataValue]:
    day, name = split_tenant_day(partition_key)
    tenant = registry.tenant(name)
    used, hashes, fallbacks = {}, {}, 0
    for report in tenant.reports:
        try:
            snap = select_snapshot(
                day_fetcher(connectors, tenant.connector_source, name, report, kind),
                name,
                report.name,
                kind.name,
                day,
                config.rollback_days,
            )
        except MissingSnapshotError as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None
        if snap.fallback:
            fallbacks += 1
            context.log.warning(
                f"{kind.name} for {name}/{report.name} {day}: none for its day, "
                f"using the snapshot of {snap.date_used}"
            )
        doc = {
            "valid_for": day.isoformat(),
            "date_used": snap.date_used.isoformat(),
            "content_hash": snap.content_hash,
            "data": snap.data,
        }
        lake.write_bytes(
            lake_keys.connector(kind.name, name, day, report.name),
            json.dumps(doc, ensure_ascii=False).encode(),
        )
        used[report.name] = snap.date_used.isoformat()
        hashes[report.name] = snap.content_hash
    return {
        "date_used": dg.MetadataValue.json(used),
        "fallback_reports": dg.MetadataValue.int(fallbacks),
        "content_hashes": dg.MetadataValue.json(hashes),
    }


def _connector_asset(
    kind: ConnectorKind,
    partitions_def: dg.PartitionsDefinition,
    backfill_policy: dg.BackfillPolicy | None,
) -> dg.AssetsDefinition:
    @dg.asset(
        key=connector_key(kind.name),
        partitions_def=partitions_def,
        group_name="argo",
        kinds={"json"},
        description=f"ARGO {kind.name} snapshot valid for the day, per report (rollback to earlier "
        f"days {'not allowed' if kind.exact_day else 'allowed'}).",
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
        backfill_policy=backfill_policy,
    )
    def _snapshot(
        context: dg.AssetExecutionContext,
        config: ConnectorConfig,
        registry: TenantRegistryResource,
        connectors: ArgoConnectorResource,
        lake: LakeResource,
    ) -> dg.MaterializeResult:
        """Every tenant-day of the run (one, or a backfill's range), each with its own metadata."""
        for partition_key in sorted(context.partition_keys):
            metadata = _fetch_day(context, kind, partition_key, config, registry, connectors, lake)
            context.add_asset_metadata(metadata, partition_key=partition_key)
        return dg.MaterializeResult()

    return _snapshot


def build_connector_assets(
    partitions_def: dg.PartitionsDefinition, backfill_policy: dg.BackfillPolicy | None
) -> list[dg.AssetsDefinition]:
    """One snapshot asset per connector kind (``connector_kinds.CONNECTOR_KINDS``)."""
    return [_connector_asset(kind, partitions_def, backfill_policy) for kind in CONNECTOR_KINDS]
