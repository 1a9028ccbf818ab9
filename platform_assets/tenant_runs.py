"""One run per tenant at a time, for range runs too.

Dagster tags a single tenant-day run ``dagster/partition/tenant``, but a range run (a single-run
backfill of days ``D..E`` of one tenant) carries only ``dagster/asset_partition_range_start`` /
``_end``, so a limit on Dagster's tag would let two backfills of one tenant, or a backfill and the
daily run, overlap. Dagster's own tag cannot be added to a range run either: a
``dagster/partition/`` tag makes Dagster read the run as a single partition. So
``TenantRunCoordinator``, the queued coordinator Weir's instance uses, gives every run of tenant-day
partitions Weir's own ``weir/partition_tenant`` tag (from the partition, or from the range when
both ends name one tenant), and the instance limits runs per value of that tag (dagster.yaml). A
range spanning tenants (Dagster's backfills never launch one: they cut ranges per tenant) is left
untagged.
"""

from collections.abc import Mapping

import dagster as dg

TENANT_TAG = "weir/partition_tenant"
DAGSTER_TENANT_TAG = "dagster/partition/tenant"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _tenant_of(multi_key: str) -> str | None:
    """The tenant of a ``date|tenant`` key (dimensions in name order), else None."""
    parts = multi_key.split("|")
    return parts[1] if len(parts) == 2 and parts[1] else None


def tenant_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tenant tag a run lacks: its partition's tenant, or its range's when both ends name the
    same tenant; nothing for runs of other partitions or none."""
    if TENANT_TAG in tags:
        return {}
    if tags.get(DAGSTER_TENANT_TAG):
        return {TENANT_TAG: tags[DAGSTER_TENANT_TAG]}
    if RANGE_START_TAG not in tags or RANGE_END_TAG not in tags:
        return {}
    first, last = _tenant_of(tags[RANGE_START_TAG]), _tenant_of(tags[RANGE_END_TAG])
    return {TENANT_TAG: first} if first is not None and first == last else {}


class TenantRunCoordinator(dg.QueuedRunCoordinator):
    """``QueuedRunCoordinator`` that tags a run of one tenant's partitions with its tenant before
    queuing it, so the per-tenant run limit applies to it (``run_coordinator`` in dagster.yaml)."""

    def submit_run(self, context: dg.SubmitRunContext) -> dg.DagsterRun:
        missing = tenant_tags(context.dagster_run.tags)
        if missing:
            self._instance.add_run_tags(context.dagster_run.run_id, missing)
            tagged = self._instance.get_run_by_id(context.dagster_run.run_id)
            if tagged is not None:
                context = dg.SubmitRunContext(tagged, context.workspace)
        return super().submit_run(context)
