"""Who runs by default: every sensor in prod; locally the ones whose service is absent start stopped.
And the ARGO automation sensor owns the A/R assets' eager condition: a tenant-day whose metric data
and snapshots were materialized gets its A/R (and status results) requested."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.argo.partitions import tenant_day_key
from platform_assets.definitions import build_definitions
from sensors.default_status import running_unless_absent
from tests.platform import local_resources, register_tenants

ROOT = Path(__file__).resolve().parents[2]
RUNNING, STOPPED = dg.DefaultSensorStatus.RUNNING, dg.DefaultSensorStatus.STOPPED


@pytest.mark.fast
@pytest.mark.parametrize("env, needed, status", [
    ({"PLATFORM_ENV": "prod"}, ("FLINK_REST_URL",), RUNNING),
    ({}, ("FLINK_REST_URL",), STOPPED),
    ({"FLINK_REST_URL": "http://jm:8081"}, ("FLINK_REST_URL",), RUNNING),
    ({"WEIR_TELEMETRY_SOURCE": "inbox"}, ("WEIR_TELEMETRY_SOURCE=kafka",), STOPPED),
    ({"WEIR_TELEMETRY_SOURCE": "kafka"}, ("WEIR_TELEMETRY_SOURCE=kafka",), RUNNING),
    ({}, (), RUNNING),
])
def test_a_sensor_runs_in_prod_and_locally_only_with_its_service(env, needed, status):
    assert running_unless_absent(*needed, env=env) is status


def _statuses(env: dict[str, str]) -> dict[str, str]:
    code = ("import json, sensors.definitions as d; "
            "print(json.dumps({s.name: s.default_status.value for s in d.build_defs().sensors}))")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("PLATFORM_ENV", "FLINK_REST_URL", "WEIR_TELEMETRY_SOURCE")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_default_statuses_follow_the_environment():
    local, prod = _statuses({}), _statuses({"PLATFORM_ENV": "prod"})
    assert set(prod.values()) == {"RUNNING"}
    assert {name for name, status in local.items() if status == "STOPPED"} == {"flink_job_health", "telemetry_backlog"}
    assert local["argo_automation"] == local["telemetry_automation"] == "RUNNING"


def test_the_argo_automation_requests_ar_after_its_upstream(tmp_path, sample_world):
    registry, days = sample_world
    defs = build_definitions(local_resources(tmp_path, registry))
    graph = defs.resolve_asset_graph()
    upstream = [k for k in graph.get_all_asset_keys()
                if k.path[0] == "argo" and not k.path[-1].endswith("_ar") and not k.path[-1].startswith("status_")]
    partition = str(tenant_day_key(days[-1], "acme"))  # eager follows the latest day (older: late-data sensors)
    argo = dg.AssetSelection.groups("argo")  # the sensor's target
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        before = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=argo)
        assert before.total_requested == 0  # nothing new yet: the sensor's earlier tick
        assert defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=upstream, partition_key=partition).success
        sensor = defs.get_sensor_def("argo_automation")
        assert sensor.default_status is RUNNING
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=argo,
                                                   cursor=before.cursor)
    requested = {key.to_user_string(): {
        p for p in result.get_requested_partitions(key)} for key in graph.get_all_asset_keys()
        if key.path[0] == "argo" and result.get_num_requested(key)}
    assert requested == {f"argo/{name}": {partition} for name in (
        "endpoint_ar", "service_ar", "endpoint_group_ar", "status_metrics", "status_endpoints",
        "status_services", "status_endpoint_groups")}
