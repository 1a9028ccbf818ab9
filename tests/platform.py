"""Building Weir's real Definitions against test resources, and running partitions through them."""

from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from platform_assets.definitions import build_definitions
from platform_assets.argo.partitions import TENANTS, tenant_day_key
from resources.model.tenancy import load_registry
from resources.alerts import AlertsResource
from resources.argo_connectors import ArgoConnectorResource
from resources.compute import LocalEngine
from resources.kafka import KafkaResource
from resources.monitoring_conf import MonitoringConfResource
from resources.job_template_store import JobTemplateStore
from resources.spark_submit import SparkSubmitResource
from resources.streamsets import StreamSetsResource
from resources.results_store import LocalResultsResource
from resources.storage import LakeResource
from platform_assets.telemetry.settings import inbox_settings
from resources.table_catalog import DuckDbViews
from resources.telemetry_dimensions import DimensionsResource
from resources.tenant_registry import TenantRegistryResource
from resources.warehouse_db import DuckDbWarehouse


def local_resources(tmp_path: Path, registry: Path, **overrides: Any) -> dict[str, Any]:
    resources = {
        "registry": TenantRegistryResource(path=str(registry)),
        "lake": LakeResource(root=str(tmp_path / "lake")),
        "results": LocalResultsResource(root=str(tmp_path / "results")),
        "kafka": KafkaResource(bootstrap_servers="127.0.0.1:1"),
        "connectors": ArgoConnectorResource(),
        "engine": LocalEngine(),
        "unloads": LakeResource(root=str(tmp_path / "landing")),
        "warehouse_db": DuckDbWarehouse(path=str(tmp_path / "warehouse.duckdb")),
        "alerts": AlertsResource(),
        "table_catalog": DuckDbViews(path=str(tmp_path / "lake.duckdb")),
        "monitoring": MonitoringConfResource(path=str(tmp_path / "no-monitoring.cfg")),
        "spark_submit": SparkSubmitResource(),
        "job_template_store": JobTemplateStore(dsn=""),
        "streamsets": StreamSetsResource(),
        "telemetry": inbox_settings(str(tmp_path)),
        "telemetry_backups": LakeResource(root=str(tmp_path / "telemetry_backups")),
        "dimensions": DimensionsResource(root=str(tmp_path / "telemetry_dims")),
    }
    resources.update(overrides)
    return resources


def register_tenants(instance: dg.DagsterInstance, registry: Path) -> None:
    instance.add_dynamic_partitions(TENANTS.name, load_registry(registry).names())


def run_day(defs: dg.Definitions, instance: dg.DagsterInstance, day: date, tenant: str,
            job: str = "argo_daily", run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(job).execute_in_process(
        partition_key=str(tenant_day_key(day, tenant)), instance=instance, raise_on_error=False,
        run_config=run_config or {})


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
            for e in (ev.event_specific_data for ev in result.all_events if ev.event_type_value == "ASSET_CHECK_EVALUATION")}


def use_reference_results(registry: Path, folder: Path, tenant: int = 0) -> None:
    """Give the registry's ``tenant``-th tenant the old system's results in ``folder``
    (``reference_results``: ``<day>.json`` files the discrepancy check compares with)."""
    import yaml

    doc = yaml.safe_load(registry.read_text())
    doc["tenants"][tenant]["reference_results"] = str(folder)
    registry.write_text(yaml.safe_dump(doc))
