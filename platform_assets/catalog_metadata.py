"""What the asset catalog shows beyond each slice's own definitions: the owning team of every
asset, the column schema and table name of every tabular one, taken from where the columns are
defined (the warehouse's catalog.yaml, the telemetry and ARGO Arrow schemas, the A/R kernel's
document columns), never restated by hand; freshness policies where a cadence is promised (daily
A/R, hourly telemetry); and each asset's code reference (the file and line of its function,
linked to the repository when ``WEIR_GIT_URL`` names it).

Applied once to the merged definitions (``platform_assets.definitions``), so a slice's new asset
gets its owner without an edit here; a new tabular asset gets its schema by a line in
``column_schemas``.
"""

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa

from platform_assets.argo.ar_kernel import ENDPOINT_COLUMNS, GROUP_COLUMNS, SERVICE_COLUMNS
from platform_assets.argo.records import METRIC_TABLE_SCHEMA, QUARANTINE_SCHEMA
from platform_assets.argo.status_results import STATUS_SCHEMAS
from platform_assets.telemetry.tables import EVENT_SCHEMA, REFUSED_SCHEMA
from platform_assets.warehouse.athena_ddl import aggregate_file_columns
from platform_assets.warehouse.catalog import load_aggregates, load_catalog

# the team that answers for a slice's assets (the first part of their keys)
OWNERS = {
    "argo": "team:monitoring",
    "streaming": "team:monitoring",
    "warehouse": "team:warehouse",
    "telemetry": "team:telemetry",
    "job_templates": "team:ingestion",
    "taskflows": "team:data-platform",
}
_TEXT_FIELDS = {"report", "name", "service", "supergroup", "info"}
_AR_TYPES = {"date": pa.int32(), **{f: pa.string() for f in _TEXT_FIELDS}}


def _ar_schema(columns: list[str]) -> pa.Schema:
    """An A/R document's fields (``date`` as ARGO's yyyymmdd integer, figures as doubles)."""
    return pa.schema([(c, _AR_TYPES.get(c, pa.float64())) for c in columns])


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=f.name, type=str(f.type)) for f in schema])


def column_schemas() -> dict[str, tuple[pa.Schema, str]]:
    """Asset key (as a string) -> (its columns, the table or location it is stored as)."""
    out: dict[str, tuple[pa.Schema, str]] = {}
    for name, table in load_catalog().items():
        out[f"warehouse/{name}_parquet"] = (table.schema(), f"lake: warehouse/{name}/")
        out[f"warehouse/{name}_postgres"] = (table.schema(), f"warehouse.{name}")
    for name, table in load_aggregates().items():
        files = pa.schema(
            [
                (
                    n,
                    pa.int64()
                    if kind == "bigint"
                    else pa.float64()
                    if kind == "double"
                    else pa.string(),
                )
                for n, kind in aggregate_file_columns(table)
            ]
        )
        out[f"warehouse/{name}"] = (files, f"lake: warehouse/{name}/")
        out[f"warehouse/{name}_postgres"] = (table.schema(), f"warehouse.{name}")
    for name in (
        "raw_events",
        "unique_events",
        "routed_events",
        "druid_log_events",
        "druid_error_events",
        "audit_events",
        "denorm_events",
        "workflow_summaries",
        "summary_denorm_events",
    ):
        out[f"telemetry/{name}"] = (EVENT_SCHEMA, f"lake: telemetry/{name}/")
    for name in ("extractor_failed", "extractor_duplicates", "failed_events", "duplicate_events"):
        out[f"telemetry/{name}"] = (REFUSED_SCHEMA, f"lake: telemetry/{name}/")
    out["argo/metric_data"] = (METRIC_TABLE_SCHEMA, "lake: argo/metric_data/")
    out["argo/metric_data_quarantine"] = (QUARANTINE_SCHEMA, "lake: argo/metric_data_quarantine/")
    # database.collection of the results store: ARGO's MongoDB in prod, the same names as folders of
    # JSON files locally (the asset's kinds say which)
    for name, columns in (
        ("endpoint_ar", ENDPOINT_COLUMNS),
        ("service_ar", SERVICE_COLUMNS),
        ("endpoint_group_ar", GROUP_COLUMNS),
    ):
        out[f"argo/{name}"] = (_ar_schema(columns), f"argo_<tenant>.{name}")
    for name, schema in STATUS_SCHEMAS.items():
        out[f"argo/{name}"] = (schema, f"argo_<tenant>.{name}")
    return out


# what a deployment promises: yesterday's A/R by 01:30 UTC plus its run; each hour's telemetry
# within the hour after it (warn first, fail later)
DAILY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=28), warn_window=timedelta(hours=26)
)
HOURLY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=3), warn_window=timedelta(hours=2)
)
FRESHNESS = {
    "argo/endpoint_ar": DAILY,
    "argo/service_ar": DAILY,
    "argo/endpoint_group_ar": DAILY,
    **{f"argo/{name}": DAILY for name in STATUS_SCHEMAS},
    **{
        f"telemetry/{name}": HOURLY
        for name in ("raw_events", "unique_events", "routed_events", "denorm_events")
    },
}


def catalogued(schemas: Mapping[str, tuple[pa.Schema, str]]):  # noqa: ANN201 - an AssetSpec map
    """The function ``Definitions.map_asset_specs`` applies: owner, column schema, table name,
    freshness."""

    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        key = spec.key.to_user_string()
        owners = list(spec.owners) or [OWNERS.get(spec.key.path[0], "team:data-platform")]
        metadata = dict(spec.metadata)
        if key in schemas and "dagster/column_schema" not in metadata:
            schema, table = schemas[key]
            metadata["dagster/column_schema"] = table_schema(schema)
            metadata["dagster/table_name"] = table
        freshness = FRESHNESS.get(key, spec.freshness_policy)
        return spec.replace_attributes(owners=owners, metadata=metadata, freshness_policy=freshness)

    return apply


REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


def with_code_references(
    defs: dg.Definitions, env: Mapping[str, str] = os.environ
) -> dg.Definitions:
    """``defs`` with each asset's code reference (``WEIR_GIT_URL`` / ``WEIR_GIT_BRANCH``, default
    main: linked to the repository's file at that line; else the local file)."""
    assets = dg.with_source_code_references(list(defs.assets or []))
    if env.get("WEIR_GIT_URL"):
        assets = dg.link_code_references_to_git(
            assets_defs=assets,
            git_url=env["WEIR_GIT_URL"],
            git_branch=env.get("WEIR_GIT_BRANCH", "main"),
            file_path_mapping=dg.AnchorBasedFilePathMapping(
                local_file_anchor=REPOSITORY_ROOT / "pyproject.toml",
                file_anchor_path_in_repository="pyproject.toml",
            ),
        )
    return dg.Definitions(
        assets=assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources=defs.resources,
        executor=defs.executor,
        loggers=defs.loggers,
        metadata=defs.metadata,
    )
