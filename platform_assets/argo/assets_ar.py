"""``argo/endpoint_ar``, ``argo/service_ar``, ``argo/endpoint_group_ar`` for a tenant-day.

Reads the day's metric data (plus the previous day's, for carried-over statuses) and the connector
snapshots, runs the A/R kernel on the configured engine, checks the results, and only writes them
to the results store when the blocking sanity checks pass.
"""

import json
import math
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.argo import ar_checks, lake_keys
from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_inputs import build_inputs, previous_day, read_records, read_snapshots
from platform_assets.argo.ar_kernel import ArResult, compute_ar, report_topology, silent_endpoints
from platform_assets.argo.ar_spark import compute_ar_spark
from platform_assets.argo.assets_connectors import connector_key
from platform_assets.argo.assets_history import latest_metadata
from platform_assets.argo.assets_metric_data import METRIC_DATA
from platform_assets.argo.carried import carried_candidates
from platform_assets.argo.connector_kinds import CONNECTOR_KINDS
from platform_assets.argo.connectors import candidate_days
from platform_assets.argo.day_writes import DayWrites
from platform_assets.argo.partitions import split_tenant_day, tenant_series
from platform_assets.argo.profiles import ProfileError
from platform_assets.argo.status_metrics import status_metric_table
from platform_assets.argo.status_results import (
    METRIC_LEVEL,
    STATUS_LEVELS,
    STATUS_SCHEMAS,
    document_table,
    status_table,
)
from platform_assets.partition_checks import per_partition
from resources.compute import ComputeEngine, EngineKernel
from resources.model.documents import DocumentTable, documents_of
from resources.placement import AR_COMPUTE, POOL_MONGO
from resources.results_store import ResultsResource
from resources.storage import LakeResource
from resources.tenant_registry import TenantRegistryResource

LEVELS = ("endpoint_ar", "service_ar", "endpoint_group_ar")
# the A/R kernel as each engine runs it (identical results: tests/argo/test_spark_engine.py)
AR_KERNEL: EngineKernel[ArResult] = EngineKernel("ar", local=compute_ar, spark=compute_ar_spark)
AR_KEYS = {level: dg.AssetKey(["argo", level]) for level in LEVELS}
# the status timelines, computed with A/R from the same timelines (status_results.py)
STATUS_KEYS = {level: dg.AssetKey(["argo", level]) for level in (METRIC_LEVEL, *STATUS_LEVELS)}

# The day's metric data. The day before is also read (statuses carry over midnight) but is not
# declared: a declared D-1 dependency makes a backfill of days D..E also target E+1, whose own
# metric data the backfill does not produce. A missing previous day is reported in metadata
# (previous_day_used) and late records on it re-run this day through the late_metric_data sensor.
_DEPS = [
    dg.AssetDep(METRIC_DATA),
    *(dg.AssetDep(connector_key(kind.name)) for kind in CONNECTOR_KINDS),
]


class ArConfig(dg.Config):
    discrepancy_threshold: float = ar_checks.DEFAULT_DISCREPANCY_POINTS
    write_method: str | None = None  # "upsert" or "insert"; default: the results resource's


def _specs(results_kind: str) -> list[dg.AssetSpec]:
    descriptions = {
        "endpoint_ar": "A/R per endpoint (hostname, service, endpoint group) and day.",
        "service_ar": "A/R per service within each endpoint group and day.",
        "endpoint_group_ar": "A/R per endpoint group (e.g. site) and day, with its weight.",
    }
    descriptions.update(
        {
            "status_metrics": "Every metric record of the day per endpoint group, with the status "
            "before it, threshold rule and exclusions applied, as ARGO's status_metrics.",
            "status_endpoints": "Status timeline per endpoint (endpoint group, service, host) and "
            "day: a document per change, as ARGO's status_endpoints.",
            "status_services": "Status timeline per service within each endpoint group and day, "
            "as ARGO's status_services.",
            "status_endpoint_groups": "Status timeline per endpoint group and day, as ARGO's "
            "status_endpoint_groups.",
        }
    )
    return [
        dg.AssetSpec(
            key,
            deps=_DEPS,
            description=descriptions[level],
            group_name="argo",
            kinds={"parquet", results_kind},
            automation_condition=dg.AutomationCondition.eager(),
        )
        for level, key in {**AR_KEYS, **STATUS_KEYS}.items()
    ]


def _check_specs(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    """The A/R checks, each judged per tenant-day (partition_checks.py)."""
    specs = [
        dg.AssetCheckSpec(
            "sanity",
            asset=AR_KEYS[level],
            blocking=True,
            description="rates in [0,100] or -1; up+unknown+down <= 1",
            partitions_def=partitions_def,
        )
        for level in LEVELS
    ]
    specs.append(
        dg.AssetCheckSpec(
            "completeness",
            asset=AR_KEYS["endpoint_ar"],
            description="every topology endpoint has an endpoint_ar row",
            partitions_def=partitions_def,
        )
    )
    specs.append(
        dg.AssetCheckSpec(
            "discrepancy",
            asset=AR_KEYS["endpoint_group_ar"],
            description="group availability against a reference or the previous run",
            partitions_def=partitions_def,
        )
    )
    return specs


def _reference(
    tenant_reference: str | None, store, tenant: str, reports, day
) -> tuple[pd.DataFrame | None, str]:
    if tenant_reference:
        path = Path(tenant_reference) / f"{day.isoformat()}.json"
        if path.exists():
            return pd.DataFrame(json.loads(path.read_text())), f"reference file {path.name}"
    previous = [d for r in reports for d in store.read_day(tenant, "endpoint_group_ar", r.id, day)]
    if previous:
        return pd.DataFrame(previous), "previous computation"
    return None, "none"


FIGURE_FIELDS = ("availability", "reliability", "up", "unknown", "down", "weight")


def ar_documents(table: pa.Table) -> list[dict]:
    """A/R rows as ARGO stores them: ``info`` a sub-document (left out where there is none), a
    missing text null. A figure that is not a number stays NaN (Arrow reads pandas' NaN as
    null)."""
    docs = documents_of(table, {"info": True})
    unset = [f for f in FIGURE_FIELDS if f in table.column_names and table[f].null_count]
    for doc in docs if unset else ():
        for field in unset:
            if doc[field] is None:
                doc[field] = math.nan
    return docs


GROUP_TABLE_ROWS = 200


GROUP_COLUMNS_SHOWN = ("report", "supergroup", "name", "availability", "reliability")
_GROUP_TABLE_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn(name=c, type="float" if c in ("availability", "reliability") else "string")
        for c in GROUP_COLUMNS_SHOWN
    ]
)


def _records(frame: pd.DataFrame) -> dg.TableMetadataValue:
    """Rows as a table the UI renders (sortable columns), not as Markdown text."""
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    c: float(row[c]) if c in ("availability", "reliability") else str(row[c])
                    for c in GROUP_COLUMNS_SHOWN
                }
            )
            for row in frame.to_dict("records")
        ],
        schema=_GROUP_TABLE_SCHEMA,
    )


def _group_table(groups: pd.DataFrame) -> dg.TableMetadataValue:
    """A/R of every endpoint group (by supergroup and name; the first ``GROUP_TABLE_ROWS``)."""
    return _records(groups.sort_values(["supergroup", "name"]).head(GROUP_TABLE_ROWS))


def _preview(groups: pd.DataFrame) -> dg.TableMetadataValue:
    """The ten endpoint groups of lowest availability."""
    return _records(groups.sort_values("availability").head(10))


@dataclass
class ArDay:
    """What one tenant-day's computation produced: tables, check inputs and the UI metadata."""

    partition_key: str
    tables: dict[str, pd.DataFrame]
    violations: dict[str, pd.DataFrame]
    missing: pd.DataFrame
    reference: pd.DataFrame | None
    reference_kind: str
    metadata: dict[str, dict]


class RunInputs:
    """What the days of one run share: tenants resolved once, each day's records read once (day D's
    records are also day D+1's previous day)."""

    def __init__(self, registry: TenantRegistryResource, lake: LakeResource):
        self.registry, self.lake = registry, lake
        self._tenants: dict[str, Any] = {}
        self._records: dict[tuple[str, date], Any] = {}
        self._reading: dict[tuple[str, date], Future] = {}
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weir-read")

    def tenant(self, name: str):
        if name not in self._tenants:
            self._tenants[name] = self.registry.tenant(name)
        return self._tenants[name]

    def prefetch(self, name: str, day: date) -> None:
        """Start reading ``day``'s records beside the caller's work (Arrow decodes Parquet outside
        the GIL): the day before, while the day itself is read."""
        if (name, day) not in self._records and (name, day) not in self._reading:
            self._reading[(name, day)] = self._reader.submit(read_records, self.lake, name, day)

    def records(self, name: str, day: date):
        if (name, day) in self._reading:
            self._records[(name, day)] = self._reading.pop((name, day)).result()
        if (name, day) not in self._records:
            self._records[(name, day)] = read_records(self.lake, name, day)
            self._records.pop(
                (name, day - timedelta(days=2)), None
            )  # a range run walks days in order
        return self._records[(name, day)]

    def carried(
        self, name: str, day: date, exclusions: list[pr.MonitoringExclusion]
    ) -> pd.DataFrame | None:
        """Day D-1's records any of the tenant's reports may carry into ``day``
        (``carried.carried_candidates``); the whole of D-1 is not kept."""
        whole = self.records(name, previous_day(day))
        self._records.pop((name, previous_day(day)), None)
        return carried_candidates(whole, exclusions, day)


def _filtered_columns(table: pa.Table) -> list[str]:
    """The columns of a status table worth min/max statistics: the numbers (date, second,
    flags). A text column of a day's status rows spans every value in each row group, and its
    statistics cost more than half of the write."""
    return [
        f.name for f in table.schema if pa.types.is_integer(f.type) or pa.types.is_boolean(f.type)
    ]


def _arrow(table: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    return pa.Table.from_pandas(table, preserve_index=False)


def _report_rows(table: pa.Table, report_id: str, reports: int) -> pa.Table:
    """The rows of one report (all of them when the tenant has one: no copy of millions)."""
    return table if reports == 1 else table.filter(pc.equal(table["report"], report_id))


def _unusable(tenant: str, report: str, day: date, exc: ProfileError) -> dg.Failure:
    """An input Weir cannot use, said with where it came from; a retry would not help."""
    return dg.Failure(f"tenant {tenant!r}, report {report!r}, {day}: {exc}", allow_retries=False)


def _compute_day(
    context: dg.AssetExecutionContext,
    partition_key: str,
    config: ArConfig,
    shared: RunInputs,
    lake: LakeResource,
    engine: ComputeEngine,
    store,
    method: str,
    selected: set[str],
) -> ArDay:
    """One tenant-day: compute every level, write the ``selected`` ones (lake, then the results
    store when sane). With none selected (a check-only run) nothing is written: the checks judge a
    fresh computation against what is stored."""
    day, name = split_tenant_day(partition_key)
    tenant = shared.tenant(name)
    shared.prefetch(name, previous_day(day))
    records = shared.records(name, day)
    if records is None:
        raise dg.Failure(f"argo/metric_data for {name} {day} is not materialized; run it first")
    previous_built = latest_metadata(context.instance, METRIC_DATA, previous_day(day), name) or {}
    started = time.monotonic()
    frames: dict[str, list[Any]] = {level: [] for level in (*LEVELS, *STATUS_LEVELS)}
    expected, stats, dates_used = [], {}, {}
    prepared = []
    for report in tenant.reports:
        snapshots = read_snapshots(lake, name, day, report.name)
        dates_used[report.name] = {
            k: s["date_used"]
            for k, s in snapshots.items()
            if s["date_used"] != candidate_days(k, day, 0)[0].isoformat()
        }
        try:
            prepared.append(
                (report, build_inputs(report, day, records, None, snapshots, tenant.semantics))
            )
        except ProfileError as exc:
            raise _unusable(name, report.name, day, exc) from None
    # of D-1, only what some report carries into D: each series' last records
    previous = shared.carried(name, day, [e for _, i in prepared for e in i.exclusions])
    prepared = [(report, replace(inputs, previous=previous)) for report, inputs in prepared]
    for report, inputs in prepared:
        try:
            result = engine.run(AR_KERNEL, inputs)
        except ProfileError as exc:
            raise _unusable(name, report.name, day, exc) from None
        for level, frame in zip(
            LEVELS, (result.endpoint_ar, result.service_ar, result.endpoint_group_ar), strict=True
        ):
            frames[level].append(frame)
        for level, rows in zip(
            STATUS_LEVELS,
            (result.status_endpoints, result.status_services, result.status_endpoint_groups),
            strict=True,
        ):
            if rows is not None:
                frames[level].append(
                    status_table(
                        level, rows, report.id, day, inputs.operations.states, inputs.endpoints
                    )
                )
        topo = report_topology(inputs)
        silent = (
            result.silent_endpoints
            if result.silent_endpoints is not None
            else silent_endpoints(inputs)
        )
        # an endpoint that reported only the day before has no A/R in ARGO either
        expected.append(ar_checks.without(topo[["group", "service", "hostname"]], silent))
        stats[report.name] = result.stats
        if inputs.new_metrics:  # UNKNOWN from midnight, as the original starts them
            stats[report.name] = {
                **result.stats,
                "new_metric_profile_entries": len(inputs.new_metrics),
            }
        if inputs.status_changes:  # applied_status_changes of the day's recomputations
            stats[report.name] = {
                **stats[report.name],
                "recomputation_status_changes": len(inputs.status_changes),
            }
    tables: dict[str, Any] = {
        level: pd.concat(frames[level], ignore_index=True) for level in LEVELS
    }
    for level in STATUS_LEVELS:  # Arrow tables, as status_table builds them
        tables[level] = pa.concat_tables(frames[level] or [STATUS_SCHEMAS[level].empty_table()])
    seconds = time.monotonic() - started  # computing (status_metrics added below)

    violations = {level: ar_checks.sanity_violations(tables[level]) for level in LEVELS}
    sane = all(v.empty for v in violations.values())
    # read before this run writes: the discrepancy check compares with the previous computation
    reference, reference_kind = _reference(
        tenant.reference_results, store, name, tenant.reports, day
    )
    chosen = [level for level in (*LEVELS, *STATUS_KEYS) if level in selected]
    arrow: dict[str, pa.Table] = {}  # each level as written, filled as the levels are ready

    def to_lake(level: str) -> None:
        # status_metrics is two million rows a day: lz4 writes it several times faster than zstd;
        # its text columns are dictionary-encoded in memory, plain text in the file (as every
        # other day's file has them, so that days read together as one dataset)
        big = level == METRIC_LEVEL
        lake.write_table(
            lake_keys.ar_table(level, name, day),
            arrow[level],
            compression="lz4" if big else "zstd",
            store_schema=not big,
            write_statistics=_filtered_columns(arrow[level]) if level in STATUS_KEYS else True,
        )

    def to_store(level: str) -> int:
        count = 0
        for report in tenant.reports:
            rows = _report_rows(arrow[level], report.id, len(tenant.reports))
            docs: list[dict] | DocumentTable
            # status levels are millions of documents a day: streamed, never all dicts at once
            docs = document_table(rows) if level in STATUS_KEYS else ar_documents(rows)
            count += store.write_day(name, level, report.id, day, docs, method)
        return count

    # A/R and the endpoint, service and group timelines go to the lake while status_metrics is
    # computed; then status_metrics, and every level to the results store when the day is sane
    with DayWrites(to_lake, to_store if sane else None) as writes:
        ready = [level for level in chosen if level != METRIC_LEVEL]
        arrow.update({level: _arrow(tables[level]) for level in ready})
        writes.submit(ready)
        # computed in Arrow on either engine: a walk over the day's records in series order
        started = time.monotonic()
        metric_rows = [status_metric_table(i, r.id, i.endpoints) for r, i in prepared]
        tables[METRIC_LEVEL] = pa.concat_tables(
            metric_rows or [STATUS_SCHEMAS[METRIC_LEVEL].empty_table()]
        )
        seconds += time.monotonic() - started
        if METRIC_LEVEL in chosen:
            arrow[METRIC_LEVEL] = tables[METRIC_LEVEL]
            writes.submit([METRIC_LEVEL])
        written = writes.finish()
    if chosen and not sane:
        context.log.error(f"A/R for {name} {day} failed sanity; results store left unchanged")

    groups = tables["endpoint_group_ar"]
    valid = groups[groups["availability"] >= 0]
    metadata = {}
    for level in chosen:
        table = tables[level]
        meta: dict[str, Any] = {
            "rows": dg.MetadataValue.int(len(table)),
            "dagster/row_count": dg.MetadataValue.int(len(table)),
            "engine": dg.MetadataValue.text(engine.name()),
            "compute_seconds": dg.MetadataValue.float(round(seconds, 3)),
            "results_written": dg.MetadataValue.bool(sane),
            "tenant": dg.MetadataValue.text(name),
            "write_method": dg.MetadataValue.text(method),
            "path": dg.MetadataValue.path(lake.describe(lake_keys.ar_table(level, name, day))),
        }
        if level == "endpoint_group_ar":
            mean = round(float(valid["availability"].mean()), 4) if len(valid) else -1.0
            least = float(valid["availability"].min()) if len(valid) else -1.0
            meta.update(
                {
                    "mean_availability": dg.MetadataValue.float(mean),
                    "min_availability": dg.MetadataValue.float(least),
                    # one plot line per tenant: the UI plots a key across partitions, and the
                    # tenants' days interleave under the shared keys above
                    **tenant_series(name, mean_availability=mean, min_availability=least),
                    "worst_groups": _preview(groups),
                    "availability_by_group": _group_table(groups),
                    "groups": dg.MetadataValue.int(len(groups)),
                    "kernel_stats": dg.MetadataValue.json(stats),
                    "fallback_snapshots": dg.MetadataValue.json(dates_used),
                    "previous_day_used": dg.MetadataValue.bool(previous is not None),
                    # which version of the day before this A/R
                    # carried statuses from (late_metric_data)
                    "previous_day_fingerprint": str(
                        previous_built.get("input_fingerprint", "none")
                    ),
                    "docs_written": dg.MetadataValue.int(written),
                }
            )
        metadata[level] = meta
    missing = ar_checks.missing_endpoints(
        pd.concat(expected).drop_duplicates(), tables["endpoint_ar"]
    )
    return ArDay(partition_key, tables, violations, missing, reference, reference_kind, metadata)


def build_argo_ar(
    partitions_def: dg.PartitionsDefinition,
    backfill_policy: dg.BackfillPolicy | None,
    results_kind: str = "mongodb",
) -> dg.AssetsDefinition:
    """The A/R and status assets of a tenant-day, computed together, over the slice's tenant-days.

    Subsettable: the kernel computes every level at once, so selecting one asset (``dagster asset
    materialize --select argo/endpoint_group_ar``) computes all and writes only the selected ones;
    selecting only checks writes nothing and judges a fresh computation."""

    @dg.multi_asset(
        specs=_specs(results_kind),
        check_specs=_check_specs(partitions_def),
        partitions_def=partitions_def,
        can_subset=True,
        pool=POOL_MONGO,
        op_tags=AR_COMPUTE,
        backfill_policy=backfill_policy,
    )
    def argo_ar(
        context: dg.AssetExecutionContext,
        config: ArConfig,
        registry: TenantRegistryResource,
        lake: LakeResource,
        engine: ComputeEngine,
        results: ResultsResource,
    ):
        """Every tenant-day of the run: one for a daily or sensor run, a whole date range for a
        single-run backfill. Each day keeps its own metadata (the late-data sensors read it per
        partition) and its own check results."""
        store = results.store()
        method = config.write_method or results.write_method
        levels = {**AR_KEYS, **STATUS_KEYS}
        selected = {level for level, key in levels.items() if key in context.selected_asset_keys}
        keys = sorted(context.partition_keys)
        computed, shared = [], RunInputs(registry, lake)
        for number, partition_key in enumerate(keys, 1):
            computed.append(
                _compute_day(
                    context, partition_key, config, shared, lake, engine, store, method, selected
                )
            )
            if len(keys) > 1:
                context.log.info(f"A/R {number}/{len(keys)}: {partition_key}")
        _fail_on_unreported_sanity(context, computed)
        for level, key in levels.items():
            if level not in selected:
                continue
            if len(computed) == 1:  # a run of one tenant-day: the metadata goes with the result
                yield dg.MaterializeResult(asset_key=key, metadata=computed[0].metadata[level])
                continue
            for day in computed:
                context.add_asset_metadata(
                    day.metadata[level], asset_key=key, partition_key=day.partition_key
                )
            yield dg.MaterializeResult(asset_key=key)
        yield from per_partition(context, _check_results(computed, config.discrepancy_threshold))

    return argo_ar


def _fail_on_unreported_sanity(context: dg.AssetExecutionContext, days: list[ArDay]) -> None:
    """A level that failed sanity leaves the results store unchanged for every level of the day;
    when that level's own sanity check is not in the run (a subset run), the run fails saying so,
    rather than report the selected assets written when they were not."""
    unreported = [
        f"{level} of {day.partition_key} ({len(day.violations[level])} rows)"
        for day in days
        for level in LEVELS
        if not day.violations[level].empty
        and dg.AssetCheckKey(AR_KEYS[level], "sanity") not in context.selected_asset_check_keys
    ]
    if unreported:
        raise dg.Failure(
            "A/R failed sanity on levels this run does not select: "
            + "; ".join(unreported)
            + ". Nothing was written to the results store; run the whole A/R multi-asset to see "
            "the checks' details."
        )


def _check_results(
    days: list[ArDay], threshold: float
) -> Iterator[tuple[str, dg.AssetCheckResult]]:
    """Every check's result for each of the run's tenant-days."""
    for day in days:
        for level in LEVELS:
            bad = day.violations[level]
            yield (
                day.partition_key,
                dg.AssetCheckResult(
                    asset_key=AR_KEYS[level],
                    check_name="sanity",
                    passed=bad.empty,
                    metadata={
                        "violations": len(bad),
                        "examples": dg.MetadataValue.md(bad.head(5).to_markdown(index=False))
                        if not bad.empty
                        else "none",
                    },
                ),
            )
        yield (
            day.partition_key,
            dg.AssetCheckResult(
                asset_key=AR_KEYS["endpoint_ar"],
                check_name="completeness",
                passed=day.missing.empty,
                metadata={
                    "missing_endpoints": len(day.missing),
                    "examples": day.missing.head(10).to_dict("records"),
                },
            ),
        )
        yield day.partition_key, _discrepancy(day, threshold)


def _discrepancy(day: ArDay, threshold: float) -> dg.AssetCheckResult:
    key = AR_KEYS["endpoint_group_ar"]
    if day.reference is None:
        return dg.AssetCheckResult(
            asset_key=key,
            check_name="discrepancy",
            passed=True,
            metadata={"reference": day.reference_kind, "note": "nothing to compare with yet"},
        )
    off = ar_checks.group_discrepancies(day.tables["endpoint_group_ar"], day.reference, threshold)
    return dg.AssetCheckResult(
        asset_key=key,
        check_name="discrepancy",
        passed=off.empty,
        metadata={
            "reference": day.reference_kind,
            "threshold_points": threshold,
            "groups_over_threshold": len(off),
            "max_difference": float(off["difference"].max())
            if len(off) and off["difference"].notna().any()
            else 0.0,
            "offending_groups": off.head(20).fillna(-999).to_dict("records"),
        },
    )
