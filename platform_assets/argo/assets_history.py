"""Reading what earlier materializations recorded (used by checks and sensors)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dagster as dg

from platform_assets.argo.partitions import tenant_day_key


def latest_metadata(
    instance: dg.DagsterInstance, key: dg.AssetKey, day: date, tenant: str
) -> dict[str, Any] | None:
    """Metadata values of the newest materialization of (key, day|tenant), or None if never."""
    pk = str(tenant_day_key(day, tenant))
    result = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[pk]), limit=1
    )
    if not result.records:
        return None
    materialization = result.records[0].asset_materialization
    if materialization is None:
        return None
    return {k: v.value for k, v in materialization.metadata.items()}


def trailing_values(
    instance: dg.DagsterInstance,
    key: dg.AssetKey,
    day: date,
    tenant: str,
    field: str,
    days: int = 7,
) -> list[float]:
    """``field`` from the latest materialization of each of the ``days`` days before ``day``."""
    values = []
    for back in range(1, days + 1):
        meta = latest_metadata(instance, key, day - timedelta(days=back), tenant)
        if meta is not None and isinstance(meta.get(field), (int, float)):
            values.append(float(meta[field]))
    return values
