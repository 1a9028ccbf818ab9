"""Shared fixtures: real services (see tests/services.py) and a tiny two-tenant sample world."""

import contextlib
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# the suite's fixtures date some data in 2024: the slices' partitions start there, not 30 days back
os.environ.setdefault("WEIR_START_DATE", "2024-01-01")
os.environ.setdefault("WEIR_TELEMETRY_START_DATE", "2024-01-01")

from tests import services  # noqa: E402


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    with services.tansu_broker() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    with services.moto_s3() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def spark():
    from dagster_pyspark import LazyPySparkResource

    from resources.compute import local_spark_config

    resource = LazyPySparkResource(spark_config=local_spark_config(2))
    session = resource.spark_session
    yield resource
    session.stop()


@pytest.fixture(scope="session")
def flink_session(tmp_path_factory):
    """A real Flink 2.3 session cluster and the test jobs' jar: (REST URL, jar path, work dir)."""
    from tests.flink_cluster import build_test_jar, flink_cluster

    work = tmp_path_factory.mktemp("flink")
    jar = build_test_jar(work)
    with flink_cluster(work / "cluster") as url:
        yield url, jar, work


def recent_days(n: int) -> list[date]:
    """The n most recent complete UTC days, oldest first (sensors look back from today)."""
    last = datetime.now(timezone.utc).date() - timedelta(days=1)
    return [last - timedelta(days=i) for i in range(n - 1, -1, -1)]


@pytest.fixture
def sample_world(tmp_path: Path):
    """Two tenants with file sources over the last three days; returns (registry path, days)."""
    from platform_assets.demo.argo_sample import write_tenant_files

    days = recent_days(3)
    entries = [write_tenant_files(tmp_path / "sources", "acme", ["Critical"], days, seed=1, n_sites=5),
               write_tenant_files(tmp_path / "sources", "globex", ["Critical"], days, seed=2, n_sites=4,
                                  encoding="avro")]
    registry = tmp_path / "tenants.yaml"
    registry.write_text(yaml.safe_dump({"tenants": entries}))
    return registry, days


@contextlib.contextmanager
def fresh_database():
    """A new database on the machine's PostgreSQL server, dropped afterwards; yields its DSN."""
    import uuid

    import psycopg

    name = f"weir_test_{uuid.uuid4().hex[:8]}"
    base = "postgresql://postgres:postgres@127.0.0.1:5432"
    try:
        admin = psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc}); `make postgres` starts it")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_dsn():
    """A fresh database for one test."""
    with fresh_database() as dsn:
        yield dsn


_session_status: dict[str, int] = {}


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ANN001 - pytest hook
    _session_status["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:  # noqa: ANN001 - pytest hook
    """After the report and every fixture's teardown, leave with pytest's own status, skipping the
    interpreter teardown where pyarrow's IO threads sometimes abort the process (see
    platform_assets.demo.run.exit_without_teardown): a green suite must not turn red at exit."""
    from platform_assets.demo.run import exit_without_teardown

    if "code" in _session_status:
        exit_without_teardown(_session_status["code"])
