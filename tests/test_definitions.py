"""The code location loads with every asset, check, job, schedule and sensor, in both environments."""

import pytest
import yaml

import dagster as dg
from platform_assets.definitions import build_definitions
from platform_assets.environments import resources_for

EXPECTED_ASSETS = {
    "argo/metric_data", "argo/metric_data_quarantine", "argo/report_config", "argo/metric_profile",
    "argo/metric_profile_previous_day", "argo/topology_endpoints",
    "argo/topology_groups", "argo/downtimes", "argo/weights", "argo/thresholds_profile", "argo/operations_profile",
    "argo/aggregation_profile", "argo/recomputations", "argo/endpoint_ar", "argo/service_ar",
    "argo/endpoint_group_ar", "argo/status_metrics", "argo/status_endpoints", "argo/status_services",
    "argo/status_endpoint_groups", "streaming/metric_stream", "streaming/sync_stream",
    *(f"warehouse/{t}_{kind}" for t in ("dim_company", "dim_space", "dim_person", "dim_calendar", "fact_space_event")
      for kind in ("parquet", "postgres")),
    "warehouse/agg_hourly_space", "warehouse/week_people_count",
    "warehouse/agg_hourly_space_postgres", "warehouse/week_people_count_postgres",
    *(f"taskflows/example/{t}" for t in ("extract_orders", "extract_customers", "join", "publish")),
    *(f"telemetry/{name}" for name in (
        "ingest_topic", "landing", "topic_backups", "secor_backups", "raw_events", "extractor_duplicates", "extractor_failed", "unique_events",
        "failed_events", "duplicate_events", "routed_events", "druid_log_events", "druid_error_events",
        "audit_events", "denorm_events", "hourly_event_counts", "workflow_summary", "weekly_active_users",
        "workflow_summaries", "summary_denorm_events")),
}
EXPECTED_CHECKS = {
    "argo/metric_data:volume", "argo/endpoint_ar:sanity", "argo/service_ar:sanity", "argo/endpoint_group_ar:sanity",
    "argo/endpoint_ar:completeness", "argo/endpoint_group_ar:discrepancy",
    "warehouse/fact_space_event_parquet:source_completeness",
    "warehouse/agg_hourly_space:reference_discrepancy", "warehouse/week_people_count:reference_discrepancy",
    *(f"warehouse/{t}_postgres:parity" for t in ("dim_company", "dim_space", "dim_person", "dim_calendar",
                                                  "fact_space_event", "agg_hourly_space",
                                                  "week_people_count")),
    "telemetry/unique_events:failed_share",
}


@pytest.mark.parametrize("env", ["local", "prod"])
def test_every_asset_check_job_schedule_and_sensor_is_defined(env, monkeypatch):
    for var in ("WEIR_TENANT_REGISTRY", "WEIR_LAKE_ROOT", "MONGO_URL", "KAFKA_BOOTSTRAP_SERVERS",
                "WEIR_WAREHOUSE_LANDING", "WAREHOUSE_PG_DSN", "WEIR_TELEMETRY_BACKUP_ROOT", "TELEMETRY_DIMS_PG_DSN"):
        monkeypatch.setenv(var, "unused")
    monkeypatch.setenv("PLATFORM_ENV", env)
    defs = build_definitions(resources_for(env))
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == EXPECTED_ASSETS
    # kinds true to the environment: results in ARGO's MongoDB in prod, in files locally
    results = "mongodb" if env == "prod" else "json"
    for name in ("endpoint_ar", "endpoint_group_ar", "status_metrics", "status_endpoints"):
        assert graph.get(dg.AssetKey(["argo", name])).kinds == {"parquet", results}
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}
    assert checks == EXPECTED_CHECKS
    assert {s.name for s in defs.sensors} == {"tenant_registry_sensor", "late_connector_data", "late_metric_data",
                                             "failure_alerts", "discrepancy_alerts", "flink_job_health", "telemetry_backlog",
                                             "telemetry_automation", "argo_automation"}
    assert {s.name for s in defs.schedules} == {"argo_daily_schedule", "secor_backups_daily"}
    for job in ("argo_daily", "argo_recompute", "warehouse_load", "warehouse_hourly", "warehouse_weekly",
                "ingest_metric_stream", "ingest_sync_stream", "ar_batch_flink", "taskflow_example", "job_template_run",
                "telemetry_ingest", "telemetry_hourly"):
        assert defs.resolve_job_def(job) is not None
    blocking = {k.name for k, spec in ((c, graph.get_check_spec(c)) for c in graph.asset_check_keys) if spec.blocking}
    assert blocking == {"sanity", "source_completeness", "reference_discrepancy"}  # warn: a setting
    # every check of a partitioned asset judges partitions, with its asset's partitions
    for check_key in graph.asset_check_keys:
        partitions = graph.get(check_key.asset_key).partitions_def
        assert graph.get_check_spec(check_key).partitions_def == partitions, check_key


# tabular assets whose columns are built at run time (pandas aggregates, the landing batches): no
# column schema in the catalog yet
SCHEMA_NOT_DECLARED = {"telemetry/hourly_event_counts", "telemetry/workflow_summary",
                       "telemetry/weekly_active_users", "telemetry/landing"}


def test_the_catalog_explains_itself():
    """Every job, schedule and sensor says what it does; every asset has an owning team; every
    tabular asset (Parquet, PostgreSQL, MongoDB) shows its columns and where it is stored."""
    defs = build_definitions(resources_for("local"))
    repo = defs.get_repository_def()
    # __ASSET_JOB is Dagster's implicit job; the default automation sensor is Dagster's own
    assert [j.name for j in repo.get_all_jobs() if not j.description and j.name != "__ASSET_JOB"] == []
    assert [s.name for s in repo.schedule_defs if not s.description] == []
    assert [s.name for s in repo.sensor_defs if not s.description
            and s.name != "default_automation_condition_sensor"] == []
    graph = defs.resolve_asset_graph()
    nodes = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    assert {k for k, n in nodes.items() if not n.owners} == set()
    assert nodes["argo/endpoint_ar"].owners == ["team:monitoring"]
    assert nodes["warehouse/fact_space_event_postgres"].owners == ["team:warehouse"]
    tabular = {k for k, n in nodes.items() if n.kinds & {"parquet", "postgres", "mongodb"}}
    described = {k for k, n in nodes.items() if "dagster/column_schema" in n.metadata}
    assert tabular - described == SCHEMA_NOT_DECLARED
    columns = nodes["warehouse/fact_space_event_postgres"].metadata["dagster/column_schema"].columns
    assert [c.name for c in columns][:2] == ["event_id", "space_id"]
    assert nodes["warehouse/agg_hourly_space_postgres"].metadata["dagster/table_name"] == "warehouse.agg_hourly_space"
    assert [c.name for c in nodes["argo/endpoint_group_ar"].metadata["dagster/column_schema"].columns][:4] == [
        "report", "date", "name", "supergroup"]
    # freshness where a cadence is promised; code references for every asset built from a function
    assert nodes["argo/endpoint_group_ar"].freshness_policy is not None
    assert nodes["telemetry/unique_events"].freshness_policy is not None
    no_code = {k for k, n in nodes.items() if "dagster/code_references" not in n.metadata}
    # specs the ingest job reports, and what sensors observe
    assert no_code == {"telemetry/landing", "telemetry/topic_backups", "telemetry/ingest_topic",
                       "streaming/metric_stream", "streaming/sync_stream"}
    reference = nodes["argo/endpoint_ar"].metadata["dagster/code_references"].code_references[0]
    assert reference.file_path.endswith("platform_assets/argo/assets_ar.py") and reference.line_number > 0
    assert "/" not in nodes["taskflows/example/join"].description.split(" of ")[-1].rsplit("/", 1)[0]


def test_code_references_link_to_the_repository_when_it_is_named(monkeypatch):
    monkeypatch.setenv("WEIR_GIT_URL", "https://github.com/example/weir")
    monkeypatch.setenv("WEIR_GIT_BRANCH", "release")
    defs = build_definitions(resources_for("local"))
    node = defs.resolve_asset_graph().get(dg.AssetKey(["argo", "endpoint_ar"]))
    [reference] = node.metadata["dagster/code_references"].code_references
    assert reference.url.startswith("https://github.com/example/weir/tree/release/platform_assets/argo/assets_ar.py")


def test_unknown_environment_is_refused():
    with pytest.raises(ValueError, match="PLATFORM_ENV must be one of"):
        resources_for("staging")


def test_workspace_and_instance_files_point_at_the_code_location():
    workspace = yaml.safe_load(open("workspace.yaml"))
    assert workspace["load_from"][0]["python_module"]["module_name"] == "platform_assets.definitions"
    instance = yaml.safe_load(open("dagster.yaml"))
    assert instance["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert (instance["run_coordinator"]["module"], instance["run_coordinator"]["class"]) == (
        "platform_assets.tenant_runs", "TenantRunCoordinator")
    assert instance["run_retries"]["enabled"] is True


def test_dagster_cli_loads_the_workspace(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "dagster"
    env = {**__import__("os").environ, "DAGSTER_HOME": str(tmp_path), "WEIR_DATA_DIR": str(tmp_path)}
    out = subprocess.run([str(exe), "definitions", "validate", "-w", str(Path(__file__).parents[1] / "workspace.yaml")],
                         capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
