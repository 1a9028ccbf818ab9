"""Connector snapshots, one asset per kind (``argo/metric_profile``, ``argo/downtimes``, ...), all
fetched by one step.

Each stores, per report, the snapshot valid for the day together with the date it came from and
its content hash; the hash is what ``late_connector_data`` compares against the source.
"""

import json
from collections.abc import Callable, Iterator
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
from resources.argo_connectors import ArgoConnectorResource, ConnectorFetchError
from resources.model.tenancy import Report, Source, Tenant
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
    day: date,
    tenant: Tenant,
    config: ConnectorConfig,
    connectors: ArgoConnectorResource,
    lake: LakeResource,
) -> dict[str, dg.MetadataValue]:
    name = tenant.name
    used, hashes, fallbacks = {}, {}, 0
    for report in tenant.reports:
        snap = select_snapshot(
            day_fetcher(connectors, tenant.connector_source, name, report, kind),
            name,
            report.name,
            kind.name,
            day,
            config.rollback_days,
        )
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


def _spec(kind: ConnectorKind) -> dg.AssetSpec:
    return dg.AssetSpec(
        connector_key(kind.name),
        group_name="argo",
        kinds={"json"},
        description=f"ARGO {kind.name} snapshot valid for the day, per report (rollback to earlier "
        f"days {'not allowed' if kind.exact_day else 'allowed'}).",
    )


def build_connector_assets(
    partitions_def: dg.PartitionsDefinition, backfill_policy: dg.BackfillPolicy | None
) -> list[dg.AssetsDefinition]:
    """The snapshot of every connector kind (``connector_kinds.CONNECTOR_KINDS``): an asset per
    kind, all fetched by one step. Eleven small fetches are milliseconds each; as eleven steps,
    Dagster's per-step bookkeeping cost more than the fetching. Subsettable: a run (such as
    ``late_connector_data``'s) can select any of the kinds."""

    @dg.multi_asset(
        name="argo_connector_snapshots",
        specs=[_spec(kind) for kind in CONNECTOR_KINDS],
        partitions_def=partitions_def,
        can_subset=True,
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
        backfill_policy=backfill_policy,
    )
    def argo_connector_snapshots(
        context: dg.AssetExecutionContext,
        config: ConnectorConfig,
        registry: TenantRegistryResource,
        connectors: ArgoConnectorResource,
        lake: LakeResource,
    ) -> Iterator[dg.MaterializeResult]:
        """Every selected kind for every tenant-day of the run (one, or a backfill's range), each
        with its own metadata. A kind that cannot be fetched does not stop the others: they are
        materialized, then the step fails naming every kind that could not be, and is retried
        only when some failure may pass (a source error, not a missing snapshot). Any other
        error is raised as it is, after the other kinds, their failures in the step's log."""
        days = {pk: split_tenant_day(pk) for pk in sorted(context.partition_keys)}
        tenants = {name: registry.tenant(name) for _, name in days.values()}
        failed: list[str] = []
        unexpected: list[Exception] = []
        retryable = False
        for kind in CONNECTOR_KINDS:
            key = connector_key(kind.name)
            if key not in context.selected_asset_keys:
                continue
            try:
                metadata = {
                    pk: _fetch_day(context, kind, day, tenants[name], config, connectors, lake)
                    for pk, (day, name) in days.items()
                }
            except MissingSnapshotError as exc:
                failed.append(str(exc))
                continue
            except ConnectorFetchError as exc:
                failed.append(f"{kind.name}: {exc}")
                retryable = True
                continue
            except Exception as exc:  # a fault of Weir's or of the lake: raised once all are tried
                failed.append(f"{kind.name}: {type(exc).__name__}: {exc}")
                unexpected.append(exc)
                continue
            if len(metadata) == 1:  # a run of one tenant-day: the metadata goes with the result
                yield dg.MaterializeResult(asset_key=key, metadata=next(iter(metadata.values())))
                continue
            for pk, meta in metadata.items():
                context.add_asset_metadata(meta, asset_key=key, partition_key=pk)
            yield dg.MaterializeResult(asset_key=key)
        if unexpected:  # raised as it is (its traceback), the other kinds' failures logged
            context.log.error("connector snapshots not fetched: " + "; ".join(failed))
            raise unexpected[0]
        if failed:
            raise dg.Failure("; ".join(failed), allow_retries=retryable)

    return [argo_connector_snapshots]
