"""Sensor ticks with build_sensor_context against a real instance and real snapshot files."""

import json
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from platform_assets.argo.jobs import argo_daily_schedule
from platform_assets.definitions import build_definitions
from resources.argo_connectors import ArgoConnectorResource, snapshot_path
from resources.tenant_registry import TenantRegistryResource
from sensors.late_connector_data import late_connector_data
from sensors.tenant_registry import tenant_registry_sensor
from tests.platform import local_resources, register_tenants, run_day


def tick(instance, registry, cursor=None):
    resources = {"registry": TenantRegistryResource(path=str(registry)), "connectors": ArgoConnectorResource()}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        return late_connector_data(context)


def test_late_snapshot_after_fallback_requests_recompute_once_per_change(tmp_path, sample_world):
    registry, days = sample_world
    day = days[-1]
    weights = snapshot_path(tmp_path / "sources", "acme", "Critical", "weights", day)
    held_back = weights.read_text()
    weights.unlink()  # the connector is late: A/R falls back to yesterday's weights
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        assert run_day(defs, instance, day, "acme").success

        first = tick(instance, registry)
        assert first.run_requests == []  # nothing changed since A/R used the fallback

        weights.write_text(held_back)  # the late snapshot arrives
        second = tick(instance, registry, first.cursor)
        assert [r.partition_key for r in second.run_requests] == [f"{day}|acme"]
        assert tick(instance, registry, second.cursor).run_requests == []  # once per change

        doc = json.loads(held_back)
        doc["groups"][0]["value"] += 1  # corrected again
        weights.write_text(json.dumps(doc))
        third = tick(instance, registry, second.cursor)
        assert len(third.run_requests) == 1
        assert third.run_requests[0].run_key != second.run_requests[0].run_key

        # after the recompute ran, the sources match what was used: quiet again
        assert run_day(defs, instance, day, "acme", job="argo_recompute").success
        assert tick(instance, registry, third.cursor).run_requests == []


def test_days_without_ar_and_old_days_are_ignored(tmp_path, sample_world):
    registry, days = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        path = snapshot_path(tmp_path / "sources", "acme", "Critical", "metric_profile", days[0])
        path.write_text(path.read_text().replace("eu.egi.SRM-VOLs", "eu.egi.SRM-VOLs2"))
        assert tick(instance, registry).run_requests == []


def test_tenant_registry_sensor_adds_new_tenants(tmp_path, sample_world):
    registry, _ = sample_world
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance,
                                     resources={"registry": TenantRegistryResource(path=str(registry))}) as ctx:
            result = tenant_registry_sensor(ctx)
        assert result.dynamic_partitions_requests[0].partition_keys == ["acme", "globex"]
        instance.add_dynamic_partitions("tenants", ["acme", "globex"])
        with dg.build_sensor_context(instance=instance,
                                     resources={"registry": TenantRegistryResource(path=str(registry))}) as ctx:
            assert tenant_registry_sensor(ctx).dynamic_partitions_requests in (None, [])


def test_daily_schedule_requests_yesterday_for_every_registered_tenant(tmp_path, sample_world):
    registry, _ = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        when = datetime(2024, 5, 2, 1, 30, tzinfo=timezone.utc)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when,
                                       resources={"registry": TenantRegistryResource(path=str(registry))}) as ctx:
            requests = list(argo_daily_schedule(ctx))
        assert sorted(r.partition_key for r in requests) == ["2024-05-01|acme", "2024-05-01|globex"]


def test_sensors_skip_with_a_reason_when_the_registry_is_broken(tmp_path):
    from resources.storage import LakeResource
    from sensors.late_metric_data import late_metric_data

    broken = tmp_path / "tenants.yaml"
    broken.write_text("tenants: [{name: 'bad name'}]")
    with dg.instance_for_test() as instance:
        result = tick(instance, broken)
        assert "refused" in result.skip_reason.skip_message
        with dg.build_sensor_context(instance=instance, resources={
                "registry": TenantRegistryResource(path=str(broken)), "lake": LakeResource(root=str(tmp_path))}) as ctx:
            assert "refused" in late_metric_data(ctx).skip_reason.skip_message
