"""ARGO's partitions: UTC days x tenants (tenants are dynamic, fed by the registry sensor).

The day dimension starts at ``ArgoSettings.start_date``, so the definitions are built from the
settings (``tenant_days``) when the code location loads, never at import.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from resources.model.tenancy import validate_name

TENANTS_PARTITION = "tenants"  # the name of the dynamic partitions, TENANTS.name
TENANTS = dg.DynamicPartitionsDefinition(name=TENANTS_PARTITION)


def tenant_days(start_date: str) -> dg.MultiPartitionsDefinition:
    """Days from ``start_date`` (UTC) x the registered tenants."""
    days = dg.DailyPartitionsDefinition(start_date=start_date, timezone="UTC")
    return dg.MultiPartitionsDefinition({"date": days, "tenant": TENANTS})


def tenant_day_key(day: date | str, tenant: str) -> dg.MultiPartitionKey:
    day_text = day if isinstance(day, str) else day.isoformat()
    return dg.MultiPartitionKey({"date": day_text, "tenant": validate_name(tenant, "tenant")})


def split_tenant_day(partition_key: str | dg.MultiPartitionKey) -> tuple[date, str]:
    """(day, tenant) of a ``date|tenant`` key; the tenant is validated before anything uses it."""
    if isinstance(partition_key, dg.MultiPartitionKey):
        keys = partition_key.keys_by_dimension
    else:
        day_text, _, tenant = str(partition_key).partition("|")
        keys = {"date": day_text, "tenant": tenant}
    return date.fromisoformat(keys["date"]), validate_name(keys["tenant"], "tenant")


def backfill_policy(name: str) -> dg.BackfillPolicy | None:
    """How a backfill of the ARGO connector and A/R assets is cut into runs (``backfill_policy``).

    ``single_run`` (default): a tenant's whole date range in one run, which saves a run process
    per day (benchmarks/backfill.py); ``per_partition``: one run per day. Daily and sensor runs
    are single days either way. The policy is the same for every asset of ``argo_daily``."""
    if name == "single_run":
        return dg.BackfillPolicy.single_run()
    if name == "per_partition":
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
    raise ValueError(f"WEIR_ARGO_BACKFILL_POLICY must be single_run or per_partition, not {name!r}")


def tenant_series(tenant: str, **figures: float) -> dict[str, dg.MetadataValue]:
    """Figures under tenant-named keys (``mean_availability/<tenant>``). The UI plots a metadata
    key across an asset's partitions, where date|tenant keys interleave the tenants; a key per
    tenant gives each tenant its own line."""
    return {
        f"{key}/{tenant}": dg.MetadataValue.float(float(value)) for key, value in figures.items()
    }
