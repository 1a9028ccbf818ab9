"""Weir's one code location: each slice's Definitions and the sensors, merged with the resources of
the environment (``PLATFORM_ENV``, see ``environments``). Nothing else lives here: a slice
assembles itself in ``<slice>/definitions.py``."""

import warnings
from typing import Any

import dagster as dg

from platform_assets import environments
from platform_assets.argo import definitions as argo
from platform_assets.catalog_metadata import catalogued, column_schemas, with_code_references
from platform_assets.job_templates import definitions as job_templates
from platform_assets.streaming import definitions as streaming
from platform_assets.taskflows import definitions as taskflows
from platform_assets.taskflows.settings import TaskflowsSettings
from platform_assets.telemetry import definitions as telemetry
from platform_assets.warehouse import definitions as warehouse
from sensors import definitions as sensors

# Beta and preview APIs Weir uses on purpose (single-run backfills; checks judged per partition;
# the owners field Dagster's own automation sensor passes; the catalog's spec mapping and code
# references). Only these warnings, and only while the definitions are built, are silenced.
BETA_APIS_USED = (
    "Parameter `backfill_policy` of function `asset`",
    "Parameter `owners` of initializer",
    "Function `Definitions.map_asset_specs`",
    "Function `with_source_code_references`",
    "Function `link_code_references_to_git`",
    "Class `LocalFileCodeReference`",
    "Class `UrlCodeReference`",
    "Class `CodeReferencesMetadataValue`",
    "Class `AnchorBasedFilePathMapping`",
    "Specifying a partitions_def on an AssetCheckSpec",
)


def build_definitions(
    resources: dict[str, Any] | None = None, taskflows_dir: str | None = None
) -> dg.Definitions:
    """Every slice's definitions with ``resources`` (default: the environment's). Each slice reads
    its own settings here, when the code location loads; ``taskflows_dir`` overrides one (tests)."""
    if resources is None:
        resources = environments.resources_for(environments.PlatformSettings.from_env().env)
    taskflow_settings = TaskflowsSettings(directory=taskflows_dir) if taskflows_dir else None
    with warnings.catch_warnings():
        for beta in BETA_APIS_USED:
            warnings.filterwarnings("ignore", message=beta, category=dg.BetaWarning)
            warnings.filterwarnings("ignore", message=beta, category=dg.PreviewWarning)
        merged = dg.Definitions.merge(
            argo.build_defs(),
            warehouse.build_defs(),
            telemetry.build_defs(),
            streaming.build_defs(),
            job_templates.build_defs(),
            taskflows.build_defs(taskflow_settings),
            sensors.build_defs(),
            dg.Definitions(executor=environments.executor(), resources=resources),
        )
        return with_code_references(merged.map_asset_specs(func=catalogued(column_schemas())))


defs = build_definitions()
