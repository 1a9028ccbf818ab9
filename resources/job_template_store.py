"""The job-template config store in PostgreSQL (schema ``streamsets``): templates, ingestion
patterns and the instances that ran. Every statement is parameterized.

``migrate()`` creates and upgrades the schema idempotently (a ``schema_version`` table records the
steps applied); run it with ``python -m platform_assets.job_templates.migrate``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import dagster as dg
import psycopg
from psycopg.types.json import Jsonb

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE SCHEMA IF NOT EXISTS streamsets;
    CREATE TABLE IF NOT EXISTS streamsets.job_template (
        id serial PRIMARY KEY,
        sch_job_template_id text NOT NULL,
        delete_after_completion boolean NOT NULL DEFAULT false,
        source_runtime_parameters jsonb NOT NULL DEFAULT '{}',
        destination_runtime_parameters jsonb NOT NULL DEFAULT '{}',
        source_connection_info jsonb NOT NULL DEFAULT '{}',
        destination_connection_info jsonb NOT NULL DEFAULT '{}',
        create_timestamp timestamptz NOT NULL DEFAULT now());
    CREATE TABLE IF NOT EXISTS streamsets.ingestion_pattern (
        id serial PRIMARY KEY,
        pattern_name text NOT NULL UNIQUE,
        source text NOT NULL,
        destination text NOT NULL,
        create_timestamp timestamptz NOT NULL DEFAULT now(),
        UNIQUE (source, destination));
    CREATE TABLE IF NOT EXISTS streamsets.ingestion_pattern_job_template_relationship (
        ingestion_pattern_id integer NOT NULL REFERENCES streamsets.ingestion_pattern(id),
        job_template_id integer NOT NULL REFERENCES streamsets.job_template(id),
        PRIMARY KEY (ingestion_pattern_id, job_template_id));
    CREATE TABLE IF NOT EXISTS streamsets.job_instance (
        id serial PRIMARY KEY,
        job_run_id text NOT NULL UNIQUE,
        job_template_id integer NOT NULL REFERENCES streamsets.job_template(id),
        user_id text NOT NULL,
        user_run_id text NOT NULL,
        engine_id text,
        pipeline_id text,
        successful_run boolean NOT NULL DEFAULT false,
        input_record_count bigint,
        output_record_count bigint,
        error_record_count bigint,
        error_message text,
        start_time timestamptz,
        finish_time timestamptz);
    CREATE INDEX IF NOT EXISTS job_instance_user_run ON streamsets.job_instance (user_id, user_run_id);
    """,
)


class TemplateNotFound(LookupError):
    """No template is registered for a (source type, target type) pair."""


@dataclass(frozen=True)
class JobTemplate:
    id: int
    pattern_name: str
    sch_job_template_id: str
    delete_after_completion: bool
    static_parameters: Mapping[str, Any]
    connections: Mapping[str, Any]


@dataclass(frozen=True)
class InstanceRecord:
    job_run_id: str
    job_template_id: int
    user_id: str
    user_run_id: str
    engine_id: str | None
    pipeline_id: str | None
    successful_run: bool
    input_record_count: int | None
    output_record_count: int | None
    error_record_count: int | None
    error_message: str | None
    start_time: datetime | None
    finish_time: datetime | None


class JobTemplateStore(dg.ConfigurableResource):
    dsn: str

    def _connect(self) -> psycopg.Connection:
        if not self.dsn:
            raise dg.Failure("the job-template store is not configured (JOB_TEMPLATE_PG_DSN)", allow_retries=False)
        return psycopg.connect(self.dsn, connect_timeout=10)

    def migrate(self) -> int:
        """Apply the migrations not applied yet; returns the schema version."""
        with self._connect() as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS streamsets")
            conn.execute("CREATE TABLE IF NOT EXISTS streamsets.schema_version (version integer PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())")
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('streamsets.schema_version'))")
            done = {row[0] for row in conn.execute("SELECT version FROM streamsets.schema_version")}
            for version, sql in enumerate(MIGRATIONS, start=1):
                if version not in done:
                    conn.execute(sql)
                    conn.execute("INSERT INTO streamsets.schema_version (version) VALUES (%s)", (version,))
        return len(MIGRATIONS)

    def add_template(self, pattern_name: str, source: str, destination: str, sch_job_template_id: str,
                     static_parameters: Mapping[str, Any] | None = None,
                     connections: Mapping[str, Any] | None = None, delete_after_completion: bool = False) -> int:
        """Register a template for a pattern (administrators; also used by tests and the demo)."""
        with self._connect() as conn:
            template_id = conn.execute(
                "INSERT INTO streamsets.job_template (sch_job_template_id, delete_after_completion, "
                "source_runtime_parameters, source_connection_info) VALUES (%s, %s, %s, %s) RETURNING id",
                (sch_job_template_id, delete_after_completion, Jsonb(dict(static_parameters or {})),
                 Jsonb(dict(connections or {})))).fetchone()[0]
            pattern_id = conn.execute(
                "INSERT INTO streamsets.ingestion_pattern (pattern_name, source, destination) VALUES (%s, %s, %s) "
                "ON CONFLICT (pattern_name) DO UPDATE SET source = EXCLUDED.source RETURNING id",
                (pattern_name, source, destination)).fetchone()[0]
            conn.execute("INSERT INTO streamsets.ingestion_pattern_job_template_relationship VALUES (%s, %s)",
                         (pattern_id, template_id))
        return template_id

    def find_template(self, source: str, destination: str) -> JobTemplate:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT t.id, p.pattern_name, t.sch_job_template_id, t.delete_after_completion, "
                "t.source_runtime_parameters || t.destination_runtime_parameters, "
                "t.source_connection_info || t.destination_connection_info "
                "FROM streamsets.ingestion_pattern p "
                "JOIN streamsets.ingestion_pattern_job_template_relationship r ON r.ingestion_pattern_id = p.id "
                "JOIN streamsets.job_template t ON t.id = r.job_template_id "
                "WHERE p.source = %s AND p.destination = %s ORDER BY t.create_timestamp DESC, t.id DESC LIMIT 1",
                (source, destination)).fetchone()
        if row is None:
            raise TemplateNotFound(f"no job template for source-type {source!r} and target-type {destination!r}")
        return JobTemplate(*row)

    def record_instance(self, record: InstanceRecord) -> None:
        """Insert (or, for the same job run id, replace) one instance's outcome and metrics."""
        fields = list(InstanceRecord.__dataclass_fields__)
        updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in fields if f != "job_run_id")
        with self._connect() as conn:
            conn.execute(f"INSERT INTO streamsets.job_instance ({', '.join(fields)}) "
                         f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT (job_run_id) DO UPDATE SET {updates}",
                         tuple(getattr(record, f) for f in fields))

    def instances(self, user_run_id: str) -> list[dict[str, Any]]:
        with self._connect() as conn:
            cursor = conn.execute(
                "SELECT i.*, p.pattern_name FROM streamsets.job_instance i "
                "JOIN streamsets.ingestion_pattern_job_template_relationship r ON r.job_template_id = i.job_template_id "
                "JOIN streamsets.ingestion_pattern p ON p.id = r.ingestion_pattern_id "
                "WHERE i.user_run_id = %s ORDER BY i.id", (user_run_id,))
            names = [c.name for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
