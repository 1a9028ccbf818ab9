"""The config store on the machine's real PostgreSQL: idempotent migrations, lookup, instance
records, hostile values kept as data."""

import subprocess
import sys
from datetime import datetime, timezone

import psycopg
import pytest

from resources.job_template_store import InstanceRecord, JobTemplateStore, TemplateNotFound


@pytest.fixture
def store(pg_dsn):
    store = JobTemplateStore(dsn=pg_dsn)
    store.migrate()
    return store


def test_migrations_are_idempotent_and_the_command_works(pg_dsn):
    out = subprocess.run([sys.executable, "-m", "platform_assets.job_templates.migrate", "--dsn", pg_dsn],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "version 5" in out.stdout, out.stderr
    assert JobTemplateStore(dsn=pg_dsn).migrate() == 5
    with psycopg.connect(pg_dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'streamsets'")}
        versions = conn.execute("SELECT count(*) FROM streamsets.schema_version").fetchone()[0]
    assert {"job_template", "ingestion_pattern", "ingestion_pattern_job_template_relationship",
            "job_instance", "run_request", "schema_version"} <= tables
    assert versions == 5


def test_lookup_by_source_and_target(store):
    template_id = store.add_template("oracle_to_s3", "oracle", "s3", "sch-tpl-1", {"BATCH": 1000},
                                     {"SOURCE_CONNECTION": "conn-1"})
    found = store.find_template("oracle", "s3")
    assert (found.id, found.pattern_name, found.sch_job_template_id) == (template_id, "oracle_to_s3", "sch-tpl-1")
    assert found.static_parameters == {"BATCH": 1000} and found.connections == {"SOURCE_CONNECTION": "conn-1"}
    with pytest.raises(TemplateNotFound, match="no job template for source-type 'oracle' and target-type 'kafka'"):
        store.find_template("oracle", "kafka")


def test_hostile_strings_are_data_not_sql(store):
    store.add_template("p", "oracle", "s3", "sch-tpl-1")
    with pytest.raises(TemplateNotFound):
        store.find_template("oracle' OR '1'='1", "s3'; DROP TABLE streamsets.job_template; --")
    hostile = "x'); DELETE FROM streamsets.job_instance; --"
    now = datetime.now(timezone.utc)
    record = InstanceRecord("job-run-1", store.find_template("oracle", "s3").id, hostile, "run-1", "engine-1",
                            "pipe-1", False, 10, 9, 1, "failed: ünïcode \x7f", now, now)
    store.record_instance(record)
    store.record_instance(InstanceRecord(**{**record.__dict__, "successful_run": True, "error_message": None}))
    [row] = store.instances("run-1")
    assert row["user_id"] == hostile and row["successful_run"] is True and row["pattern_name"] == "p"
    assert store.find_template("oracle", "s3").sch_job_template_id == "sch-tpl-1"


def test_accepted_requests_are_claimed_once_and_hostile_strings_stay_data(store):
    hostile = "r'); UPDATE streamsets.run_request SET state = 'launched'; --"
    store.accept_request("00000000-0000-0000-0000-000000000001", hostile, hostile, {"user-run-id": hostile, "x": "東京"})
    store.accept_request("00000000-0000-0000-0000-000000000002", "u", "run-2", {"user-run-id": "run-2"})
    pooled = JobTemplateStore(dsn=store.dsn, pool_size=2)
    first = pooled.claim_requests(1)
    second = store.claim_requests(10)
    assert len(first) == 1 and len(second) == 1 and first[0].id != second[0].id  # each claimed once
    assert store.claim_requests(10) == []
    [row] = store.requests(hostile)
    assert row["state"] == "launching" and row["attempts"] == 1
    store.release_request(row["run_id"], "down", retry_in_s=3600)
    assert store.claim_requests(10) == []  # not due yet
    assert store.request_counts() == {"accepted": 1, "launching": 1, "launched": 0, "failed": 0}
