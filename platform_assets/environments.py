"""Which resources each environment (``PLATFORM_ENV``) gets: one table, read when the code location
loads. ``local`` (the default: files under ``WEIR_DATA_DIR``, in-process compute, no servers) or
``prod`` (S3, MongoDB, a Kafka cluster, Spark). Asset code never knows which one it runs on.

Every secret and every DSN (``resources.model.secrets.SECRET_VARIABLES``) reaches its resource
as ``dg.EnvVar``: the UI's Resources page shows the variable's name, never its value, and the value
is read only when a run or sensor starts. An optional secret that is not set is left out (an unset
``EnvVar`` would fail every run).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_pyspark import LazyPySparkResource

from platform_assets.telemetry.settings import TelemetryLayout, TelemetrySettings, inbox_settings
from resources.alerts import AlertsResource
from resources.argo_connectors import ArgoConnectorResource
from resources.compute import LocalEngine, SparkEngine, local_spark_config
from resources.job_template_store import JobTemplateStore
from resources.kafka import KafkaResource
from resources.monitoring_conf import MonitoringConfResource
from resources.results_store import LocalResultsResource, MongoResource
from resources.spark_submit import SparkSubmitResource
from resources.storage import LakeResource
from resources.streamsets import StreamSetsResource
from resources.table_catalog import DuckDbViews, GlueCatalog
from resources.telemetry_dimensions import DimensionsResource
from resources.tenant_registry import TenantRegistryResource
from resources.warehouse_db import DuckDbWarehouse, PostgresWarehouse

ENVIRONMENTS = ("local", "prod")


@dataclass(frozen=True)
class PlatformSettings:
    """The root's settings: which environment, where the embedded default keeps its files."""

    env: str = "local"  # PLATFORM_ENV
    data_dir: str = ".weir"  # WEIR_DATA_DIR (local only)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> PlatformSettings:
        settings = cls(
            env=env.get("PLATFORM_ENV", "local"), data_dir=env.get("WEIR_DATA_DIR", ".weir")
        )
        if settings.env not in ENVIRONMENTS:
            raise ValueError(f"PLATFORM_ENV must be one of {ENVIRONMENTS}, got {settings.env!r}")
        return settings


def secret(name: str, env: Mapping[str, str] = os.environ) -> dg.EnvVar | None:
    """``name`` as an ``EnvVar`` when it is set, else None (the resource's "not configured")."""
    return dg.EnvVar(name) if env.get(name) else None


def _s3(env: Mapping[str, str]) -> S3Resource:
    return S3Resource(endpoint_url=env.get("S3_ENDPOINT_URL") or None)


def _telemetry(env: Mapping[str, str], data_dir: Path, default_env: str) -> TelemetrySettings:
    """The telemetry run settings: the local inbox unless ``WEIR_TELEMETRY_SOURCE=kafka``."""
    layout = TelemetryLayout.from_env(env)
    topics_env = env.get("WEIR_TELEMETRY_ENV", default_env)
    if env.get("WEIR_TELEMETRY_SOURCE", "kafka" if default_env == "prod" else "inbox") != "kafka":
        return inbox_settings(str(data_dir), topics_env, layout)
    return TelemetrySettings(
        env=topics_env,
        dedup_window_s=layout.dedup_window_s,
        backup_timezone=layout.backup_timezone,
        produce_routed=env.get("WEIR_TELEMETRY_PRODUCE_ROUTED") == "1",
        topics=env.get("WEIR_TELEMETRY_TOPICS", ""),
        backlog_lag_threshold=int(env.get("WEIR_TELEMETRY_LAG_THRESHOLD", "1000")),
        backlog_max_delay_s=float(env.get("WEIR_TELEMETRY_MAX_DELAY_S", "300")),
    )


def _local(env: Mapping[str, str], settings: PlatformSettings) -> dict[str, Any]:
    data_dir = Path(settings.data_dir).absolute()
    warehouse_db: Any = DuckDbWarehouse(path=str(data_dir / "warehouse.duckdb"))
    if env.get("WAREHOUSE_PG_DSN"):  # PostgreSQL when a DSN is given, else the documented stand-in
        warehouse_db = PostgresWarehouse(dsn=dg.EnvVar("WAREHOUSE_PG_DSN"))
    return {
        "registry": TenantRegistryResource(
            path=env.get("WEIR_TENANT_REGISTRY", str(data_dir / "tenants.yaml"))
        ),
        "lake": LakeResource(root=str(data_dir / "lake")),
        "results": LocalResultsResource(root=str(data_dir / "results")),
        "kafka": KafkaResource(
            bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
        ),
        "connectors": ArgoConnectorResource(
            webhdfs_url=env.get("WEIR_WEBHDFS_URL") or None,
            webhdfs_user=env.get("WEIR_WEBHDFS_USER") or None,
            s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        ),
        "engine": LocalEngine(),
        "unloads": LakeResource(root=env.get("WEIR_WAREHOUSE_LANDING", str(data_dir / "landing"))),
        "warehouse_db": warehouse_db,
        "table_catalog": DuckDbViews(path=str(data_dir / "lake.duckdb")),
        "telemetry": _telemetry(env, data_dir, "dev"),
        "telemetry_backups": LakeResource(root=str(data_dir / "telemetry_backups")),
        "dimensions": DimensionsResource(
            dsn=secret("TELEMETRY_DIMS_PG_DSN", env) or "", root=str(data_dir / "telemetry_dims")
        ),
    }


def _prod(env: Mapping[str, str], settings: PlatformSettings) -> dict[str, Any]:
    spark = LazyPySparkResource(
        spark_config={**local_spark_config(), "spark.master": env.get("SPARK_MASTER", "local[2]")}
    )
    return {
        "registry": TenantRegistryResource(path=dg.EnvVar("WEIR_TENANT_REGISTRY")),
        "lake": LakeResource(root=dg.EnvVar("WEIR_LAKE_ROOT"), s3=_s3(env)),
        "results": MongoResource(url=dg.EnvVar("MONGO_URL")),
        "kafka": KafkaResource(bootstrap_servers=dg.EnvVar("KAFKA_BOOTSTRAP_SERVERS")),
        "connectors": ArgoConnectorResource(
            webhdfs_url=env.get("WEIR_WEBHDFS_URL") or None,
            webhdfs_user=env.get("WEIR_WEBHDFS_USER") or None,
            s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        ),
        "engine": SparkEngine(pyspark=spark),
        "unloads": LakeResource(root=dg.EnvVar("WEIR_WAREHOUSE_LANDING"), s3=_s3(env)),
        "warehouse_db": PostgresWarehouse(dsn=dg.EnvVar("WAREHOUSE_PG_DSN")),
        "table_catalog": GlueCatalog(
            database=env.get("GLUE_DATABASE", "weir_warehouse"),
            region_name=env.get("AWS_REGION", "us-east-1"),
            endpoint_url=env.get("GLUE_ENDPOINT_URL") or None,
        ),
        "telemetry": _telemetry(env, Path(settings.data_dir).absolute(), "prod"),
        "telemetry_backups": LakeResource(
            root=dg.EnvVar("WEIR_TELEMETRY_BACKUP_ROOT"), s3=_s3(env)
        ),
        "dimensions": DimensionsResource(dsn=dg.EnvVar("TELEMETRY_DIMS_PG_DSN")),
    }


def _shared(env: Mapping[str, str]) -> dict[str, Any]:
    """Resources alike in every environment: alerts, the monitoring config, spark-submit, the
    job-template store and Control Hub (the stand-in unless credentials are set)."""
    return {
        "alerts": AlertsResource(
            smtp_host=env.get("SMTP_HOST"),
            smtp_port=int(env.get("SMTP_PORT", "25")),
            smtp_user=env.get("SMTP_USER"),
            smtp_password=secret("SMTP_PASSWORD", env),
            mail_from=env.get("ALERT_EMAIL_FROM", "weir@localhost"),
            mail_to=env.get("ALERT_EMAIL_TO"),
            slack_webhook_url=secret("SLACK_WEBHOOK_URL", env),
        ),
        "monitoring": MonitoringConfResource(
            path=env.get("WEIR_MONITORING_CONF") or None,
            flink_rest_url=env.get("FLINK_REST_URL") or None,
            webhdfs_url=env.get("WEIR_WEBHDFS_URL") or None,
            s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        ),
        "spark_submit": SparkSubmitResource(spark_home=env.get("SPARK_HOME") or None),
        "job_template_store": JobTemplateStore(dsn=secret("JOB_TEMPLATE_PG_DSN", env) or ""),
        "streamsets": StreamSetsResource(
            stand_in=not env.get("STREAMSETS_CRED_ID"),
            credential_id=secret("STREAMSETS_CRED_ID", env),
            token=secret("STREAMSETS_CRED_TOKEN", env),
            aster_url=env.get("STREAMSETS_ASTER_URL") or None,
        ),
    }


RESOURCES_BY_ENV: dict[str, Callable[[Mapping[str, str], PlatformSettings], dict[str, Any]]] = {
    "local": _local,
    "prod": _prod,
}


def resources_for(name: str, env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The resources of environment ``name`` (``local`` or ``prod``), configured from ``env``."""
    if name not in RESOURCES_BY_ENV:
        raise ValueError(f"PLATFORM_ENV must be one of {ENVIRONMENTS}, got {name!r}")
    settings = PlatformSettings(env=name, data_dir=env.get("WEIR_DATA_DIR", ".weir"))
    return {**RESOURCES_BY_ENV[name](env, settings), **_shared(env)}


def executor(env: Mapping[str, str] = os.environ) -> dg.ExecutorDefinition:
    """How a run executes its steps, from ``WEIR_EXECUTOR``: ``in_process`` (default: Weir's steps
    are few and heavy work parallelises inside them, so a process per step would only add ~1-2 s
    each), ``multiprocess`` (a process per step), or ``k8s`` (a Kubernetes pod per step, sized by
    its tags; ``WEIR_STEP_ISOLATION=k8s`` means the same)."""
    choice = env.get("WEIR_EXECUTOR") or (
        "k8s" if env.get("WEIR_STEP_ISOLATION") == "k8s" else "in_process"
    )
    if choice == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    executors = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}
    if choice not in executors:
        raise ValueError(
            f"WEIR_EXECUTOR must be one of in_process, multiprocess, k8s; got {choice!r}"
        )
    return executors[choice]
