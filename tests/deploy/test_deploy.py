"""What can be tested of the deployment without a cluster: the instance config validates, the Helm
values agree with it, and the Kubernetes Jobs dagster-k8s would build for a heavy step carry the
image, the secrets, the resources and the labels."""

import json
from pathlib import Path

import pytest
import yaml

import dagster as dg
from dagster._core.instance.config import dagster_instance_config
from dagster_k8s.job import DagsterK8sJobConfig, construct_dagster_k8s_job, get_user_defined_k8s_config

from platform_assets.definitions import build_definitions
from platform_assets.environments import resources_for

_DEFS = build_definitions(resources_for("local"))
argo_ar = _DEFS.get_assets_def(dg.AssetKey(["argo", "endpoint_ar"]))
agg_hourly_space = _DEFS.get_assets_def(dg.AssetKey(["warehouse", "agg_hourly_space"]))

ROOT = Path(__file__).resolve().parents[2]
VALUES = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())


def test_dagster_yaml_validates_against_the_instance_schema(monkeypatch):
    for var, value in {"DAGSTER_PG_HOST": "db", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "u",
                       "DAGSTER_PG_PASSWORD": "p", "DAGSTER_PG_DB": "dagster"}.items():
        monkeypatch.setenv(var, value)
    config, _ = dagster_instance_config(str(ROOT), "dagster.yaml")
    assert config["run_monitoring"]["max_runtime_seconds"] == 21600
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "weir/partition_tenant", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


def test_helm_values_agree_with_the_instance_config():
    instance = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    coordinator = VALUES["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == "CustomRunCoordinator"
    custom = coordinator["config"]["customRunCoordinator"]
    assert (custom["module"], custom["class"]) == (instance["run_coordinator"]["module"],
                                                   instance["run_coordinator"]["class"])
    assert custom["config"]["max_concurrent_runs"] == instance["concurrency"]["runs"]["max_concurrent_runs"]
    assert custom["config"]["tag_concurrency_limits"] == instance["concurrency"]["runs"]["tag_concurrency_limits"]
    # the coordinator is Weir's code: wherever runs are submitted runs Weir's image
    image = VALUES["dagster-user-deployments"]["deployments"][0]["image"]["repository"]
    assert VALUES["dagsterDaemon"]["image"]["repository"] == image
    assert VALUES["dagsterWebserver"]["image"]["repository"] == image
    assert VALUES["dagsterDaemon"]["runMonitoring"]["maxRuntimeSeconds"] == \
        instance["run_monitoring"]["max_runtime_seconds"]
    [deployment] = VALUES["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "platform_assets.definitions"]
    assert {"name": "PLATFORM_ENV", "value": "prod"} in deployment["env"]
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"
    assert VALUES["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == [{"name": "weir-secrets"}]
    pools = yaml.safe_load((ROOT / "deploy" / "pools.yaml").read_text())
    assert {"spark", "flink", "mongo", "postgres-load"} <= set(pools)


def test_heavy_assets_declare_their_pools_and_pod_sizes():
    assert argo_ar.op.pool == "mongo" and agg_hourly_space.op.pool == "spark"
    config = json.loads(argo_ar.op.tags["dagster-k8s/config"])
    assert config["container_config"]["resources"]["requests"] == {"cpu": "2", "memory": "6Gi"}


@pytest.mark.parametrize("asset, requests", [(argo_ar, {"cpu": "2", "memory": "6Gi"}),
                                             (agg_hourly_space, {"cpu": "2", "memory": "8Gi"})])
def test_the_kubernetes_job_for_a_heavy_step(asset, requests):
    launcher = VALUES["runLauncher"]["config"]["k8sRunLauncher"]
    image = VALUES["dagster-user-deployments"]["deployments"][0]["image"]
    job_config = DagsterK8sJobConfig(
        job_image=f"{image['repository']}:{image['tag']}", dagster_home="/opt/dagster/dagster_home",
        image_pull_policy=image["pullPolicy"], instance_config_map="weir-dagster-instance",
        postgres_password_secret=VALUES["global"]["postgresqlSecretName"],
        env_secrets=[s["name"] for s in launcher["envSecrets"]], env_vars=launcher["envVars"])
    tags = {k: v if isinstance(v, str) else json.dumps(v) for k, v in asset.op.tags.items()}
    job = construct_dagster_k8s_job(
        job_config, ["dagster", "api", "execute_step"], "dagster-step-abc123",
        user_defined_k8s_config=get_user_defined_k8s_config(tags), pod_name="dagster-step-abc123-pod",
        component="step_worker", labels={"dagster/job": "argo_daily", "dagster/op": asset.op.name})
    pod = job.spec.template.spec
    [container] = pod.containers
    assert container.image == "registry.example.org/data/weir:0.1.0"
    assert [e.secret_ref.name for e in container.env_from if e.secret_ref] == ["weir-secrets"]
    assert {"name": "PLATFORM_ENV", "value": "prod"} in [{"name": e.name, "value": e.value} for e in container.env]
    assert container.resources.requests == requests
    assert pod.node_selector == {"weir.io/node-pool": "heavy"}
    labels = job.metadata.labels
    assert labels["app.kubernetes.io/component"] == "step_worker" and labels["dagster/op"] == asset.op.name


def test_step_isolation_switches_every_job_to_the_k8s_job_executor(monkeypatch):
    for var in ("WEIR_TENANT_REGISTRY", "WEIR_LAKE_ROOT", "MONGO_URL", "KAFKA_BOOTSTRAP_SERVERS",
                "WEIR_WAREHOUSE_LANDING", "WAREHOUSE_PG_DSN"):
        monkeypatch.setenv(var, "unused")
    monkeypatch.setenv("WEIR_STEP_ISOLATION", "k8s")
    defs = build_definitions(resources_for("prod"))
    assert defs.resolve_job_def("argo_daily").executor_def.name == "k8s"
    monkeypatch.delenv("WEIR_STEP_ISOLATION")
    assert build_definitions(resources_for("prod")).resolve_job_def("argo_daily").executor_def.name != "k8s"


def test_pool_limits_are_applied_to_an_instance(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("apply_pool_limits", ROOT / "deploy" / "apply_pool_limits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with dg.instance_for_test() as instance:
        module.apply(instance, module.load_limits(ROOT / "deploy" / "pools.yaml"))
        assert instance.event_log_storage.get_concurrency_info("spark").slot_count == 2
        assert instance.event_log_storage.get_concurrency_info("postgres-load").slot_count == 2
    (tmp_path / "bad.yaml").write_text("spark: 0\n")
    with pytest.raises(SystemExit, match="whole numbers >= 1"):
        module.load_limits(tmp_path / "bad.yaml")
