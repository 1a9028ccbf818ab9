"""The original service's tables and SQL: its README's statements run verbatim on Weir's store, a
database the original service created is taken over as it is, and Weir's own earlier schema is
migrated with its rows."""

from datetime import datetime, timezone

import psycopg

from resources.job_template_store import MIGRATIONS, InstanceRecord, JobTemplateStore
from tests.job_templates.fixtures import readme_sql

T = datetime(2024, 1, 1, 10, tzinfo=timezone.utc)
SCH_TEMPLATE = "c09f728a-2a73-4c7e-b735-2512039a9e6b:8030c2e9-1a39-11ec-a5fe-97c8d4369386"


def _readme_steps(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        for statement in (readme_sql.INSERT_PATTERN, readme_sql.INSERT_TEMPLATE, readme_sql.INSERT_RELATIONSHIP):
            conn.execute(statement)


def _record(store: JobTemplateStore, template_id: int, run: str) -> None:
    store.record_instance(InstanceRecord(f"{run}-job", template_id, "mark@onefoursix.com", run, "sdc-1", "pipe-1",
                                         True, 12482, 12482, 0, None, T, T))


def _metrics(dsn: str) -> tuple[list[str], list[tuple]]:
    with psycopg.connect(dsn) as conn:
        cursor = conn.execute(readme_sql.SELECT_METRICS)
        return [c.name for c in cursor.description], cursor.fetchall()


def test_the_readme_sql_runs_verbatim_and_the_service_finds_its_template(pg_dsn):
    store = JobTemplateStore(dsn=pg_dsn)
    assert store.migrate() == len(MIGRATIONS)
    _readme_steps(pg_dsn)
    template = store.find_template("http", "gcs")
    assert (template.pattern_name, template.sch_job_template_id) == ("http-to-gcs", SCH_TEMPLATE)
    assert template.static_parameters == {"HTTP_MODE": "POLLING", "HTTP_METHOD": "GET"}
    assert template.connections == {"GCS_CONNECTION": "9c960db9-7904-47c4-bbc8-4c95dcf9c959:8030c2e9-1a39-11ec-a5fe-97c8d4369386"}
    _record(store, template.id, "run-123")
    columns, rows = _metrics(pg_dsn)
    assert columns == readme_sql.METRICS_COLUMNS
    assert [(r[0], r[1], r[2], r[6], r[7]) for r in rows] == [(template.id, "mark@onefoursix.com", "run-123", True, 12482)]
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT schedule FROM streamsets.ingestion_pattern_job_template_relationship").fetchall() == [
            ("{}",)]


# the original's tables as its sql/postgres-tables.sql defines them (Weir's transcription of the
# column list: identity keys, no defaults, NOT NULL engine and pipeline ids, no job_run_metrics)
ORIGINAL_TABLES = """
CREATE SCHEMA streamsets;
CREATE TABLE streamsets.job_template (job_template_id int PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  sch_job_template_id varchar NOT NULL, delete_after_completion boolean NOT NULL, source_runtime_parameters jsonb,
  destination_runtime_parameters jsonb, source_connection_info jsonb, destination_connection_info jsonb,
  create_timestamp timestamp NOT NULL);
CREATE TABLE streamsets.ingestion_pattern (ingestion_pattern_id int PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  pattern_name varchar NOT NULL, source varchar NOT NULL, destination varchar NOT NULL,
  create_timestamp timestamp NOT NULL);
CREATE TABLE streamsets.ingestion_pattern_job_template_relationship (
  rel_id int PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  ingestion_pattern_id int NOT NULL REFERENCES streamsets.ingestion_pattern (ingestion_pattern_id),
  job_template_id int NOT NULL REFERENCES streamsets.job_template (job_template_id), schedule varchar);
CREATE TABLE streamsets.job_instance (job_instance_id int PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  job_run_id varchar NOT NULL, job_template_id int NOT NULL REFERENCES streamsets.job_template (job_template_id),
  user_id varchar NOT NULL, user_run_id varchar NOT NULL, engine_id varchar NOT NULL, pipeline_id varchar NOT NULL,
  successful_run boolean NOT NULL, input_record_count int, output_record_count int, error_record_count int,
  error_message varchar, start_time timestamp, finish_time timestamp);
"""


def test_a_database_the_original_service_created_is_taken_over_with_its_rows(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(ORIGINAL_TABLES)
    _readme_steps(pg_dsn)  # the original's own setup, on its own tables
    with psycopg.connect(pg_dsn) as conn:  # a row the original service wrote, NULL parameter sets
        conn.execute("INSERT INTO streamsets.job_instance (job_run_id, job_template_id, user_id, user_run_id, engine_id, "
                     "pipeline_id, successful_run) SELECT 'old-1', job_template_id, 'u', 'run-0', 'sdc', 'p', true "
                     "FROM streamsets.job_template")
        conn.execute("UPDATE streamsets.job_template SET destination_runtime_parameters = NULL")
    store = JobTemplateStore(dsn=pg_dsn)
    assert store.migrate() == len(MIGRATIONS)
    template = store.find_template("http", "gcs")
    assert template.static_parameters == {"HTTP_MODE": "POLLING", "HTTP_METHOD": "GET"}  # NULL is an empty set
    new_id = store.add_template("oracle-to-s3", "oracle", "s3", "sch-2")  # Weir's writes work on its tables
    assert store.find_template("oracle", "s3").id == new_id
    store.record_instance(InstanceRecord("new-1", template.id, "u", "run-1", None, None, False, None, None, None,
                                         "boom", T, None))
    _, rows = _metrics(pg_dsn)
    assert sorted(r[3] for r in rows) == ["new-1", "old-1"]


def test_weirs_earlier_schema_is_migrated_with_its_rows(pg_dsn):
    store = JobTemplateStore(dsn=pg_dsn)
    with psycopg.connect(pg_dsn) as conn:  # the schema as the previous release left it (steps 1-4)
        conn.execute("CREATE SCHEMA IF NOT EXISTS streamsets; CREATE TABLE streamsets.schema_version "
                     "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        for version, sql in enumerate(MIGRATIONS[:4], start=1):
            conn.execute(sql)
            conn.execute("INSERT INTO streamsets.schema_version (version) VALUES (%s)", (version,))
        template_id = conn.execute("INSERT INTO streamsets.job_template (sch_job_template_id) VALUES ('sch-old') "
                                   "RETURNING id").fetchone()[0]
        pattern_id = conn.execute("INSERT INTO streamsets.ingestion_pattern (pattern_name, source, destination) "
                                  "VALUES ('old', 'kafka', 'hdfs') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO streamsets.ingestion_pattern_job_template_relationship VALUES (%s, %s)",
                     (pattern_id, template_id))
    assert store.migrate() == 5 and store.migrate() == 5
    found = store.find_template("kafka", "hdfs")
    assert (found.id, found.sch_job_template_id) == (template_id, "sch-old")
    _record(store, found.id, "run-9")
    assert _metrics(pg_dsn)[1][0][2] == "run-9"


def test_an_original_database_with_duplicate_rows_is_refused_by_name(pg_dsn):
    """The original allowed the README's relationship insert twice; Weir's lookups need one row, so
    the migration names the duplicates and changes nothing."""
    import pytest

    with psycopg.connect(pg_dsn) as conn:
        conn.execute(ORIGINAL_TABLES)
    _readme_steps(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(readme_sql.INSERT_RELATIONSHIP)
    with pytest.raises(psycopg.Error, match="same \\(pattern, template\\) pair twice"):
        JobTemplateStore(dsn=pg_dsn).migrate()
    with psycopg.connect(pg_dsn) as conn:  # nothing changed: no schema_version step recorded
        assert conn.execute("SELECT count(*) FROM streamsets.ingestion_pattern_job_template_relationship"
                            ).fetchone()[0] == 2
        if conn.execute("SELECT to_regclass('streamsets.schema_version')").fetchone()[0] is not None:
            assert conn.execute("SELECT count(*) FROM streamsets.schema_version").fetchone()[0] == 0
