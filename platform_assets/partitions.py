"""Shared partition definitions: UTC days x tenants (tenants are dynamic, fed by the registry)."""

from __future__ import annotations

import os
from datetime import date

import dagster as dg

from platform_assets.tenancy import validate_name

TENANTS = dg.DynamicPartitionsDefinition(name="tenants")
# First day the platform keeps; override for older backfills (YYYY-MM-DD).
START_DATE = os.environ.get("WEIR_START_DATE", "2024-01-01")
DAYS = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone="UTC")
TENANT_DAYS = dg.MultiPartitionsDefinition({"date": DAYS, "tenant": TENANTS})


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
    """How a backfill of the ARGO connector and A/R assets is cut into runs (WEIR_ARGO_BACKFILL_POLICY).

    ``single_run`` (default): a tenant's whole date range in one run, which saves a run process
    per day (benchmarks/backfill.py); ``per_partition``: one run per day. Daily and sensor runs
    are single days either way. Metric data stays one run per day: it drains Kafka per day."""
    if name == "single_run":
        return dg.BackfillPolicy.single_run()
    if name == "per_partition":
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
    raise ValueError(f"WEIR_ARGO_BACKFILL_POLICY must be single_run or per_partition, not {name!r}")


ARGO_BACKFILL_POLICY = backfill_policy(os.environ.get("WEIR_ARGO_BACKFILL_POLICY", "single_run"))


# Warehouse: days of created_date, UTC hours and ISO weeks (Monday 00:00 UTC).
WAREHOUSE_START = os.environ.get("WEIR_WAREHOUSE_START_DATE", "2024-01-01")
WAREHOUSE_DAYS = dg.DailyPartitionsDefinition(start_date=WAREHOUSE_START, timezone="UTC")
WAREHOUSE_HOURS = dg.HourlyPartitionsDefinition(start_date=f"{WAREHOUSE_START}-00:00", timezone="UTC")
WAREHOUSE_WEEKS = dg.WeeklyPartitionsDefinition(start_date=WAREHOUSE_START, timezone="UTC", day_offset=1)
