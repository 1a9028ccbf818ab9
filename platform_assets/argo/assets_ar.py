"""``argo/endpoint_ar``, ``argo/service_ar``, ``argo/endpoint_group_ar`` for a tenant-day.

Reads the day's metric data (plus the previous day's, for carried-over statuses) and the connector
snapshots, runs the A/R kernel on the configured engine, checks the results, and only writes them
to the results store when the blocking sanity checks pass.
"""


import json
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa

from platform_assets.argo import ar_checks, lake_keys
from platform_assets.argo.ar_inputs import build_inputs, previous_day, read_records, read_snapshots
from platform_assets.argo.assets_connectors import connector_key
from platform_assets.argo.assets_metric_data import METRIC_DATA
from platform_assets.argo.history import latest_metadata
from platform_assets.deployment import AR_COMPUTE, POOL_MONGO
from platform_assets.argo.profiles import CONNECTOR_KINDS
from platform_assets.partitions import TENANT_DAYS, split_tenant_day
from resources.compute import ComputeEngine
from resources.results_store import ResultsResource
from resources.storage import LakeResource
from resources.tenant_registry import TenantRegistryResource

LEVELS = ("endpoint_ar", "service_ar", "endpoint_group_ar")
AR_KEYS = {level: dg.AssetKey(["argo", level]) for level in LEVELS}

# The day's metric data. The day before is also read (statuses carry over midnight) but is not
# declared: a declared D-1 dependency makes a backfill of days D..E also target E+1, whose own
# metric data the backfill does not produce. A missing previous day is reported in metadata
# (previous_day_used) and late records on it re-run this day through the late_metric_data sensor.
_DEPS = [dg.AssetDep(METRIC_DATA),
         *(dg.AssetDep(connector_key(kind)) for kind in CONNECTOR_KINDS)]


class ArConfig(dg.Config):
    discrepancy_threshold: float = ar_checks.DEFAULT_DISCREPANCY_POINTS
    write_method: str | None = None  # "upsert" or "insert"; default: the results resource's


def _specs() -> list[dg.AssetSpec]:
    descriptions = {
        "endpoint_ar": "A/R per endpoint (hostname, service, endpoint group) and day.",
        "service_ar": "A/R per service within each endpoint group and day.",
        "endpoint_group_ar": "A/R per endpoint group (e.g. site) and day, with its weight.",
    }
    return [dg.AssetSpec(AR_KEYS[level], deps=_DEPS, description=descriptions[level], group_name="argo",
                         kinds={"parquet", "mongodb"}, automation_condition=dg.AutomationCondition.eager())
            for level in LEVELS]


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = [dg.AssetCheckSpec("sanity", asset=AR_KEYS[level], blocking=True,
                               description="rates in [0,100] or -1; up+unknown+down <= 1") for level in LEVELS]
    specs.append(dg.AssetCheckSpec("completeness", asset=AR_KEYS["endpoint_ar"],
                                   description="every topology endpoint has an endpoint_ar row"))
    specs.append(dg.AssetCheckSpec("discrepancy", asset=AR_KEYS["endpoint_group_ar"],
                                   description="group availability against a reference or the previous run"))
    return specs


def _reference(tenant_reference: str | None, store, tenant: str, reports, day) -> tuple[pd.DataFrame | None, str]:
    if tenant_reference:
        path = Path(tenant_reference) / f"{day.isoformat()}.json"
        if path.exists():
            return pd.DataFrame(json.loads(path.read_text())), f"reference file {path.name}"
    previous = [d for r in reports for d in store.read_day(tenant, "endpoint_group_ar", r.id, day)]
    if previous:
        return pd.DataFrame(previous), "previous computation"
    return None, "none"


def _as_document(row: dict) -> dict:
    """A result row as ARGO stores it: ``info`` is a sub-document, absent fields are left out."""
    doc = {k: v for k, v in row.items() if k != "info"}
    if row.get("info"):
        doc["info"] = json.loads(row["info"])
    return doc


GROUP_TABLE_ROWS = 200


def _group_table(groups: pd.DataFrame) -> str:
    """A/R of every endpoint group (by name; the first 200 when there are more), for the UI."""
    if groups.empty:
        return "(no groups)"
    table = groups.sort_values(["supergroup", "name"])[["report", "supergroup", "name", "availability", "reliability"]]
    note = f"\n\n(first {GROUP_TABLE_ROWS} of {len(table)} groups)" if len(table) > GROUP_TABLE_ROWS else ""
    return table.head(GROUP_TABLE_ROWS).to_markdown(index=False) + note


def _preview(groups: pd.DataFrame) -> str:
    worst = groups.sort_values("availability").head(10)
    return worst[["report", "name", "supergroup", "availability", "reliability"]].to_markdown(index=False) \
        if not worst.empty else "(no groups)"


@dg.multi_asset(specs=_specs(), check_specs=_check_specs(), partitions_def=TENANT_DAYS, can_subset=False,
                pool=POOL_MONGO, op_tags=AR_COMPUTE)
def argo_ar(context: dg.AssetExecutionContext, config: ArConfig, registry: TenantRegistryResource,
            lake: LakeResource, engine: ComputeEngine, results: ResultsResource):
    day, name = split_tenant_day(context.partition_key)
    tenant = registry.tenant(name)
    records = read_records(lake, name, day)
    if records is None:
        raise dg.Failure(f"argo/metric_data for {name} {day} is not materialized; run it first")
    previous = read_records(lake, name, previous_day(day))
    previous_built = latest_metadata(context.instance, METRIC_DATA, previous_day(day), name) or {}
    started = time.monotonic()
    frames: dict[str, list[pd.DataFrame]] = {level: [] for level in LEVELS}
    expected, stats, dates_used = [], {}, {}
    for report in tenant.reports:
        snapshots = read_snapshots(lake, name, day, report.name)
        dates_used[report.name] = {k: s["date_used"] for k, s in snapshots.items() if s["date_used"] != day.isoformat()}
        inputs = build_inputs(report, day, records, previous, snapshots)
        result = engine.compute_ar(inputs)
        for level, frame in zip(LEVELS, (result.endpoint_ar, result.service_ar, result.endpoint_group_ar)):
            frames[level].append(frame)
        topo = inputs.endpoints[inputs.endpoints["service"].isin(list(inputs.metric_profile))]
        expected.append(topo)
        stats[report.name] = result.stats
    tables = {level: pd.concat(parts, ignore_index=True) for level, parts in frames.items()}
    seconds = time.monotonic() - started

    violations = {level: ar_checks.sanity_violations(tables[level]) for level in LEVELS}
    sane = all(v.empty for v in violations.values())
    store = results.store()
    reference, reference_kind = _reference(tenant.reference_results, store, name, tenant.reports, day)
    method = config.write_method or results.write_method
    written = 0
    for level in LEVELS:
        lake.write_table(lake_keys.ar_table(level, name, day), pa.Table.from_pandas(tables[level], preserve_index=False))
    if sane:
        for level in LEVELS:
            for report in tenant.reports:
                docs = [_as_document(d) for d in tables[level][tables[level]["report"] == report.id].to_dict("records")]
                written += store.write_day(name, level, report.id, day, docs, method)
    else:
        context.log.error(f"A/R for {name} {day} failed sanity; results store left unchanged")

    groups = tables["endpoint_group_ar"]
    valid = groups[groups["availability"] >= 0]
    for level in LEVELS:
        table = tables[level]
        meta = {
            "rows": dg.MetadataValue.int(len(table)),
            "dagster/row_count": dg.MetadataValue.int(len(table)),
            "engine": dg.MetadataValue.text(engine.name()),
            "compute_seconds": dg.MetadataValue.float(round(seconds, 3)),
            "results_written": dg.MetadataValue.bool(sane),
            "write_method": dg.MetadataValue.text(method),
            "path": dg.MetadataValue.path(lake.describe(lake_keys.ar_table(level, name, day))),
        }
        if level == "endpoint_group_ar":
            meta.update({
                "mean_availability": dg.MetadataValue.float(float(valid["availability"].mean()) if len(valid) else -1.0),
                "min_availability": dg.MetadataValue.float(float(valid["availability"].min()) if len(valid) else -1.0),
                "worst_groups": dg.MetadataValue.md(_preview(groups)),
                "availability_by_group": dg.MetadataValue.md(_group_table(groups)),
                "kernel_stats": dg.MetadataValue.json(stats),
                "fallback_snapshots": dg.MetadataValue.json(dates_used),
                "previous_day_used": dg.MetadataValue.bool(previous is not None),
                # which version of the day before this A/R carried statuses from (late_metric_data)
                "previous_day_fingerprint": str(previous_built.get("input_fingerprint", "none")),
                "docs_written": dg.MetadataValue.int(written),
            })
        yield dg.MaterializeResult(asset_key=AR_KEYS[level], metadata=meta)
    for level in LEVELS:
        bad = violations[level]
        yield dg.AssetCheckResult(asset_key=AR_KEYS[level], check_name="sanity", passed=bad.empty,
                                  metadata={"violations": len(bad),
                                            "examples": dg.MetadataValue.md(bad.head(5).to_markdown(index=False))
                                            if not bad.empty else "none"})
    missing = ar_checks.missing_endpoints(pd.concat(expected).drop_duplicates(), tables["endpoint_ar"])
    yield dg.AssetCheckResult(asset_key=AR_KEYS["endpoint_ar"], check_name="completeness", passed=missing.empty,
                              metadata={"missing_endpoints": len(missing),
                                        "examples": missing.head(10).to_dict("records")})
    yield _discrepancy(groups, reference, reference_kind, config.discrepancy_threshold)


def _discrepancy(groups: pd.DataFrame, reference: pd.DataFrame | None, kind: str, threshold: float) -> dg.AssetCheckResult:
    key = AR_KEYS["endpoint_group_ar"]
    if reference is None:
        return dg.AssetCheckResult(asset_key=key, check_name="discrepancy", passed=True,
                                   metadata={"reference": kind, "note": "nothing to compare with yet"})
    off = ar_checks.group_discrepancies(groups, reference, threshold)
    return dg.AssetCheckResult(
        asset_key=key, check_name="discrepancy", passed=off.empty,
        metadata={"reference": kind, "threshold_points": threshold, "groups_over_threshold": len(off),
                  "max_difference": float(off["difference"].max()) if len(off) and off["difference"].notna().any() else 0.0,
                  "offending_groups": off.head(20).fillna(-999).to_dict("records")})
