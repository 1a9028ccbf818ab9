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
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"

        @dg.asset
        def probe() -> int:
            return 1

        assert dg.materialize([probe], instance=instance).success
        assert instance.get_latest_materialization_event(dg.AssetKey("probe")) is not None
