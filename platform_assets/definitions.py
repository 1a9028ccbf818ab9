"""The one place where Weir's Definitions are assembled.

``PLATFORM_ENV`` picks the resources from the table below: ``local`` (the default: files under
``WEIR_DATA_DIR``, in-process compute, no servers) or ``prod`` (S3, MongoDB, a Kafka cluster,
Spark). Asset code never knows which one it runs on.
"""


import logging
import os
import warnings
from pathlib import Path
from typing import Any

import dagster as dg

# Weir uses a few beta APIs on purpose (multi-partition mappings, single-run backfill policies).
warnings.filterwarnings("ignore", category=dg.BetaWarning)
from dagster_aws.s3 import S3Resource
from dagster_pyspark import LazyPySparkResource

from platform_assets.argo.assets_ar import argo_ar
from platform_assets.argo.assets_connectors import connector_assets
from platform_assets.argo.assets_metric_data import metric_data
from platform_assets.argo.jobs import argo_daily_job, argo_daily_schedule, argo_recompute_job
from platform_assets.job_templates.jobs import job_template_run
from platform_assets.streaming.jobs import ar_batch_flink, ingest_metric_stream, ingest_sync_stream
from platform_assets.taskflows.assets import taskflow_definitions, taskflows_directory
from platform_assets.taskflows.loading import load_graphs
from platform_assets.telemetry.assets import telemetry_assets, telemetry_automation, telemetry_hourly_job
from platform_assets.telemetry.ingest import backups_spec, landing_spec, telemetry_ingest
from platform_assets.telemetry.settings import TelemetrySettings, inbox_settings
from platform_assets.warehouse.assets_aggregates import agg_hourly_space, week_people_count
from platform_assets.warehouse.assets_parquet import parquet_assets
from platform_assets.warehouse.assets_postgres import postgres_assets
from platform_assets.warehouse.jobs import warehouse_hourly_job, warehouse_load_job, warehouse_weekly_job
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
from sensors.failure_alerts import failure_alerts
from sensors.flink_job_health import flink_job_health
from sensors.late_connector_data import late_connector_data
from sensors.late_metric_data import late_metric_data
from sensors.telemetry_backlog import telemetry_backlog
from sensors.tenant_registry import tenant_registry_sensor

ENVIRONMENTS = ("local", "prod")


def _local_resources() -> dict[str, Any]:
    data_dir = Path(os.environ.get("WEIR_DATA_DIR", ".weir")).absolute()
    return {
        "registry": TenantRegistryResource(path=os.environ.get("WEIR_TENANT_REGISTRY", str(data_dir / "tenants.yaml"))),
        "lake": LakeResource(root=str(data_dir / "lake")),
        "results": LocalResultsResource(root=str(data_dir / "results")),
        "kafka": KafkaResource(bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")),
        "connectors": ArgoConnectorResource(),
        "engine": LocalEngine(),
        "unloads": LakeResource(root=os.environ.get("WEIR_WAREHOUSE_LANDING", str(data_dir / "landing"))),
        # PostgreSQL when a DSN is given, else the documented stand-in: a DuckDB file
        "warehouse_db": PostgresWarehouse(dsn=os.environ["WAREHOUSE_PG_DSN"]) if os.environ.get("WAREHOUSE_PG_DSN")
        else DuckDbWarehouse(path=str(data_dir / "warehouse.duckdb")),
        "table_catalog": DuckDbViews(path=str(data_dir / "lake.duckdb")),
        # telemetry: the local inbox unless WEIR_TELEMETRY_SOURCE=kafka; dimensions in Postgres if a DSN is given
        "telemetry": TelemetrySettings(env=os.environ.get("WEIR_TELEMETRY_ENV", "dev"))
        if os.environ.get("WEIR_TELEMETRY_SOURCE") == "kafka" else inbox_settings(str(data_dir)),
        "telemetry_backups": LakeResource(root=str(data_dir / "telemetry_backups")),
        "dimensions": DimensionsResource(dsn=os.environ.get("TELEMETRY_DIMS_PG_DSN", ""),
                                         root=str(data_dir / "telemetry_dims")),
    }


def _prod_resources() -> dict[str, Any]:
    return {
        "registry": TenantRegistryResource(path=dg.EnvVar("WEIR_TENANT_REGISTRY")),
        "lake": LakeResource(root=dg.EnvVar("WEIR_LAKE_ROOT"),
                             s3=S3Resource(endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None)),
        "results": MongoResource(url=dg.EnvVar("MONGO_URL")),
        "kafka": KafkaResource(bootstrap_servers=dg.EnvVar("KAFKA_BOOTSTRAP_SERVERS")),
        "connectors": ArgoConnectorResource(),
        "engine": SparkEngine(pyspark=LazyPySparkResource(spark_config={
            **local_spark_config(), "spark.master": os.environ.get("SPARK_MASTER", "local[2]")})),
        "unloads": LakeResource(root=dg.EnvVar("WEIR_WAREHOUSE_LANDING"),
                                s3=S3Resource(endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None)),
        "warehouse_db": PostgresWarehouse(dsn=dg.EnvVar("WAREHOUSE_PG_DSN")),
        "table_catalog": GlueCatalog(database=os.environ.get("GLUE_DATABASE", "weir_warehouse"),
                                     region_name=os.environ.get("AWS_REGION", "us-east-1"),
                                     endpoint_url=os.environ.get("GLUE_ENDPOINT_URL") or None),
        "telemetry": TelemetrySettings(env=os.environ.get("WEIR_TELEMETRY_ENV", "prod"),
                                       produce_routed=os.environ.get("WEIR_TELEMETRY_PRODUCE_ROUTED") == "1"),
        "telemetry_backups": LakeResource(root=dg.EnvVar("WEIR_TELEMETRY_BACKUP_ROOT"),
                                          s3=S3Resource(endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None)),
        "dimensions": DimensionsResource(dsn=dg.EnvVar("TELEMETRY_DIMS_PG_DSN")),
    }


def _monitoring() -> MonitoringConfResource:
    """The monitoring INI config (explicit path, /etc/argo-streaming/conf/conf.cfg, conf/conf.cfg)."""
    return MonitoringConfResource(path=os.environ.get("WEIR_MONITORING_CONF") or None,
                                  flink_rest_url=os.environ.get("FLINK_REST_URL") or None)


def _alerts() -> AlertsResource:
    """Alert channels from the environment (none configured: alerts are only logged)."""
    env = os.environ.get
    return AlertsResource(smtp_host=env("SMTP_HOST"), smtp_port=int(env("SMTP_PORT", "25")),
                          smtp_user=env("SMTP_USER"), smtp_password=env("SMTP_PASSWORD"),
                          mail_from=env("ALERT_EMAIL_FROM", "weir@localhost"), mail_to=env("ALERT_EMAIL_TO"),
                          slack_webhook_url=env("SLACK_WEBHOOK_URL"))


RESOURCES_BY_ENV = {"local": _local_resources, "prod": _prod_resources}


def resources_for(env: str) -> dict[str, Any]:
    if env not in RESOURCES_BY_ENV:
        raise ValueError(f"PLATFORM_ENV must be one of {ENVIRONMENTS}, got {env!r}")
    return {**RESOURCES_BY_ENV[env](), "alerts": _alerts(), "monitoring": _monitoring(),
            "spark_submit": SparkSubmitResource(spark_home=os.environ.get("SPARK_HOME") or None),
            **_job_template_resources()}


def _job_template_resources() -> dict[str, Any]:
    """The config store (PostgreSQL) and Control Hub: the stand-in unless credentials are set."""
    env = os.environ.get
    return {"job_template_store": JobTemplateStore(dsn=env("JOB_TEMPLATE_PG_DSN", "")),
            "streamsets": StreamSetsResource(stand_in=not env("STREAMSETS_CRED_ID"),
                                             credential_id=env("STREAMSETS_CRED_ID"), token=env("STREAMSETS_CRED_TOKEN"))}


def _taskflows(directory: str) -> dict[str, list]:
    """Every task-graph file under ``directory``; a bad file is logged and becomes a failing job."""
    graphs, errors = load_graphs(directory)
    for name, error in errors:
        logging.getLogger("weir.taskflows").error(f"task graph {name!r} not loaded: {error}")
    return taskflow_definitions(graphs, errors)


def _executor() -> dg.ExecutorDefinition:
    """How a run executes its steps, from ``WEIR_EXECUTOR``: ``in_process`` (default: Weir's steps are
    few and heavy work parallelises inside them, so a process per step would only add ~1-2 s each),
    ``multiprocess`` (a process per step), or ``k8s`` (a Kubernetes pod per step, sized by its tags;
    ``WEIR_STEP_ISOLATION=k8s`` means the same)."""
    choice = os.environ.get("WEIR_EXECUTOR") or ("k8s" if os.environ.get("WEIR_STEP_ISOLATION") == "k8s" else "in_process")
    if choice == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    executors = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}
    if choice not in executors:
        raise ValueError(f"WEIR_EXECUTOR must be one of in_process, multiprocess, k8s; got {choice!r}")
    return executors[choice]


def build_definitions(resources: dict[str, Any] | None = None, taskflows_dir: str | None = None) -> dg.Definitions:
    taskflows = _taskflows(taskflows_dir or taskflows_directory())
    return dg.Definitions(
        executor=_executor(),
        assets=[metric_data, *connector_assets, argo_ar,
                *parquet_assets, *postgres_assets, agg_hourly_space, week_people_count, *taskflows["assets"],
                landing_spec, backups_spec, *telemetry_assets],
        jobs=[argo_daily_job, argo_recompute_job, warehouse_load_job, warehouse_hourly_job, warehouse_weekly_job,
              ingest_metric_stream, ingest_sync_stream, ar_batch_flink, job_template_run, *taskflows["jobs"],
              telemetry_ingest, telemetry_hourly_job],
        schedules=[argo_daily_schedule, *taskflows["schedules"]],
        sensors=[tenant_registry_sensor, late_connector_data, late_metric_data, failure_alerts, flink_job_health,
                 telemetry_backlog, telemetry_automation],
        resources=resources if resources is not None else resources_for(os.environ.get("PLATFORM_ENV", "local")),
    )


defs = build_definitions()
