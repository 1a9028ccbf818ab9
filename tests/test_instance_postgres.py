"""dagster.yaml's production storage against the real local PostgreSQL server."""

import os
import shutil
import uuid

import dagster as dg
import psycopg
import pytest

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "password": "postgres"}


@pytest.fixture
def pg_database():
    name = f"weir_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(host=PG["host"], port=PG["port"], user=PG["user"], password=PG["password"],
                                dbname="postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc}); start it as in the README")
    admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


def test_production_instance_config_runs_a_materialization(tmp_path, monkeypatch, pg_database):
    shutil.copy("dagster.yaml", tmp_path / "dagster.yaml")
    for key, value in {"DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": PG["port"], "DAGSTER_PG_USER": PG["user"],
                       "DAGSTER_PG_PASSWORD": PG["password"], "DAGSTER_PG_DB": pg_database}.items():
        monkeypatch.setenv(key, value)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.run_coordinator).__name__ == "TenantRunCoordinator"
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)

        @dg.asset
        def probe() -> int:
            return 1

        assert dg.materialize([probe], instance=instance).success
        assert instance.get_latest_materialization_event(dg.AssetKey("probe")) is not None


def test_a_one_tenant_range_run_is_queued_under_its_tenant(tmp_path, monkeypatch, pg_database):
    """A single-run backfill of one tenant's days carries the tenant tag the per-tenant limit reads."""
    shutil.copy("dagster.yaml", tmp_path / "dagster.yaml")
    for key, value in {"DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": PG["port"], "DAGSTER_PG_USER": PG["user"],
                       "DAGSTER_PG_PASSWORD": PG["password"], "DAGSTER_PG_DB": pg_database}.items():
        monkeypatch.setenv(key, value)

    @dg.asset
    def probe() -> int:
        return 1

    from dagster._core.remote_origin import (InProcessCodeLocationOrigin, LoadableTargetOrigin,
                                             RemoteJobOrigin, RemoteRepositoryOrigin)

    job = dg.Definitions(assets=[probe], jobs=[dg.define_asset_job("probe_job")]).resolve_job_def("probe_job")
    location = InProcessCodeLocationOrigin(LoadableTargetOrigin(python_file=__file__))
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), "probe_job")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "weir/partition_tenant", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
        queued = {}
        for name, (first, last) in {"one tenant": ("2026-11-01|acme", "2026-11-09|acme"),
                                    "two tenants": ("2026-11-01|acme", "2026-11-09|globex")}.items():
            run = instance.create_run_for_job(job, remote_job_origin=origin, tags={"dagster/asset_partition_range_start": first,
                                                         "dagster/asset_partition_range_end": last})
            queued[name] = instance.run_coordinator.submit_run(dg.SubmitRunContext(run, workspace=None))
        assert queued["one tenant"].status == dg.DagsterRunStatus.QUEUED
        assert queued["one tenant"].tags["weir/partition_tenant"] == "acme"
        assert "weir/partition_tenant" not in queued["two tenants"].tags
        assert "dagster/partition/tenant" not in queued["one tenant"].tags  # Dagster's tag means one partition
