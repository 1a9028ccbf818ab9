"""The job-template config store in PostgreSQL (schema ``streamsets``): templates, ingestion
patterns and the instances that ran. Every statement is parameterized.

``migrate()`` creates and upgrades the schema idempotently (a ``schema_version`` table records the
steps applied); run it with ``python -m platform_assets.job_templates.migrate``.
"""

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dagster as dg
import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

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
    CREATE INDEX IF NOT EXISTS job_instance_user_run
        ON streamsets.job_instance (user_id, user_run_id);
    """,
    # 2: requests accepted by the REST front door, launched as Dagster runs by its launcher
    """
    CREATE TABLE IF NOT EXISTS streamsets.run_request (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        user_run_id text NOT NULL,
        config jsonb NOT NULL,
        state text NOT NULL DEFAULT 'accepted'
            CHECK (state IN ('accepted', 'launching', 'launched', 'failed')),
        dagster_run_id text,
        attempts integer NOT NULL DEFAULT 0,
        error text,
        accepted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        claimed_at timestamptz,
        not_before timestamptz NOT NULL DEFAULT clock_timestamp(),
        launched_at timestamptz);
    CREATE INDEX IF NOT EXISTS run_request_waiting ON streamsets.run_request (accepted_at)
        WHERE state IN ('accepted', 'launching');
    CREATE INDEX IF NOT EXISTS run_request_user_run ON streamsets.run_request (user_run_id);
    """,
    # 3: a request is accepted once per (user-id, user-run-id): a client retrying after a lost
    # answer gets the same run_id (rows accepted before this migration keep a NULL key)
    """
    ALTER TABLE streamsets.run_request ADD COLUMN IF NOT EXISTS idempotency_key text;
    ALTER TABLE streamsets.run_request ADD COLUMN IF NOT EXISTS payload_hash text;
    CREATE UNIQUE INDEX IF NOT EXISTS run_request_idempotency
        ON streamsets.run_request (idempotency_key);
    """,
    # 4: which instances a run has started, by parameter set: a retry or re-execution of the run
    # (same root run) follows them instead of starting them again
    """
    CREATE TABLE IF NOT EXISTS streamsets.instance_launch (
        run_key text NOT NULL,
        set_index integer NOT NULL,
        job_run_id text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (run_key, set_index));
    """,
    # 5: the original service's tables and columns (onefoursix/streamsets-job-template-service,
    # sql/postgres-tables.sql), so that its README's SQL and its users' queries run unchanged: the
    # keys are named job_template_id / ingestion_pattern_id / job_instance_id, the relationship has
    # its rel_id and schedule, and job_run_metrics (what the README selects) shows each instance's
    # metrics. Rows are kept. Two starting points: Weir's own earlier schema (ids named ``id``), or
    # a database the original service created (its tables already there, so step 1 left them):
    # that one gets what Weir's writes rely on (defaults, nullable engine/pipeline ids, the unique
    # keys its upserts name). Weir's stricter constraints stay (one template per pattern pair).
    """
    DO $migration$
    DECLARE
        from_original boolean := EXISTS (
            SELECT 1 FROM information_schema.columns WHERE table_schema = 'streamsets'
            AND table_name = 'job_template' AND column_name = 'job_template_id');
        rel text := 'streamsets.ingestion_pattern_job_template_relationship';
    BEGIN
        IF NOT from_original THEN
            ALTER TABLE streamsets.job_template RENAME COLUMN id TO job_template_id;
            ALTER TABLE streamsets.ingestion_pattern RENAME COLUMN id TO ingestion_pattern_id;
            ALTER TABLE streamsets.job_instance RENAME COLUMN id TO job_instance_id;
            EXECUTE 'ALTER TABLE ' || rel || ' ADD COLUMN rel_id integer GENERATED BY DEFAULT'
                || ' AS IDENTITY, DROP CONSTRAINT ingestion_pattern_job_template_relationship_pkey';
            EXECUTE 'ALTER TABLE ' || rel || ' ADD PRIMARY KEY (rel_id), ADD COLUMN schedule'
                || ' character varying';
        ELSE
            -- Weir keeps one row per pattern name, job run and (pattern, template) pair; a
            -- database with duplicates is refused by name before anything changes
            IF EXISTS (SELECT 1 FROM streamsets.ingestion_pattern GROUP BY pattern_name
                       HAVING count(*) > 1) THEN
                RAISE EXCEPTION 'streamsets.ingestion_pattern holds duplicate pattern_name values '
                    '(%): make them unique, then migrate again', (SELECT string_agg(pattern_name,
                    ', ') FROM (SELECT pattern_name FROM streamsets.ingestion_pattern
                    GROUP BY 1 HAVING count(*) > 1) d);
            END IF;
            IF EXISTS (SELECT 1 FROM streamsets.job_instance GROUP BY job_run_id
                       HAVING count(*) > 1) THEN
                RAISE EXCEPTION 'streamsets.job_instance holds duplicate job_run_id values: '
                    'keep one row per job run, then migrate again';
            END IF;
            IF EXISTS (SELECT 1 FROM streamsets.ingestion_pattern_job_template_relationship
                       GROUP BY ingestion_pattern_id, job_template_id HAVING count(*) > 1) THEN
                RAISE EXCEPTION 'streamsets.ingestion_pattern_job_template_relationship holds '
                    'the same (pattern, template) pair twice: keep one, then migrate again';
            END IF;
            ALTER TABLE streamsets.job_template ALTER COLUMN create_timestamp SET DEFAULT now();
            ALTER TABLE streamsets.ingestion_pattern
                ALTER COLUMN create_timestamp SET DEFAULT now();
            ALTER TABLE streamsets.job_instance ALTER COLUMN engine_id DROP NOT NULL,
                ALTER COLUMN pipeline_id DROP NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS ingestion_pattern_name
                ON streamsets.ingestion_pattern (pattern_name);
            CREATE UNIQUE INDEX IF NOT EXISTS job_instance_job_run_id
                ON streamsets.job_instance (job_run_id);
        END IF;
        EXECUTE 'ALTER TABLE ' || rel || ' ADD CONSTRAINT relationship_pattern_template'
            || ' UNIQUE (ingestion_pattern_id, job_template_id)';
    END
    $migration$;
    CREATE OR REPLACE VIEW streamsets.job_run_metrics AS
        SELECT job_template_id, user_id, user_run_id, job_run_id, engine_id, pipeline_id,
               successful_run, input_record_count, output_record_count, error_record_count,
               error_message, start_time, finish_time
        FROM streamsets.job_instance;
    """,
)
LOCK_TIMEOUT_MS = 2000  # how long accepting a request waits on a row another session holds
REQUEST_STATES = ("accepted", "launching", "launched", "failed")


class TemplateNotFound(LookupError):
    """No template is registered for a (source type, target type) pair."""


class RequestConflict(ValueError):
    """The (user-id, user-run-id) pair was accepted before with a different request."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        super().__init__(
            f"user-run-id already used by this user for a different request (run_id {run_id})"
        )


def _idempotency(user_id: str, user_run_id: str, config: Mapping[str, Any]) -> tuple[str, str]:
    """(key, payload hash): the pair names a request, the hash tells a repeat from a conflict."""
    key = json.dumps([user_id, user_run_id], ensure_ascii=False)
    canonical = json.dumps(dict(config), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return key, hashlib.sha256(canonical.encode()).hexdigest()


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


@dataclass(frozen=True)
class NewRequest:
    """A request the REST front door is about to record; ``request_id`` is the run_id it answers
    with if the request is new."""

    request_id: str
    user_id: str
    user_run_id: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class RunRequest:
    """A request the REST front door accepted; ``id`` is the run_id it answered with."""

    id: str
    user_run_id: str
    config: dict[str, Any]
    attempts: int


_POOLS: dict[tuple[str, int], ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(dsn: str, size: int) -> ConnectionPool:
    """One pool per (DSN, size) per process: the REST service reuses connections under load. All
    ``size`` connections open when the pool does, so a burst right after a (re)start does not wait
    on connection setup."""
    with _POOLS_LOCK:
        if (dsn, size) not in _POOLS:
            _POOLS[(dsn, size)] = ConnectionPool(
                dsn,
                min_size=size,
                max_size=size,
                open=True,
                kwargs={"connect_timeout": 10},
                name="job-template-store",
            )
        return _POOLS[(dsn, size)]


class JobTemplateStore(dg.ConfigurableResource):
    dsn: str
    pool_size: int = 0  # 0: a connection per call (runs); the long-lived REST service pools

    def warm(self, timeout_s: float = 10.0) -> None:
        """Open the pool's connections now and wait for them (the REST service calls it before it
        listens, so a burst right after a restart does not queue behind connection setup)."""
        if self.pool_size > 0 and self.dsn:
            _pool(self.dsn, self.pool_size).wait(timeout=timeout_s)

    def _connect(self):
        """A connection as a context manager that commits on success (pooled or not)."""
        if not self.dsn:
            raise dg.Failure(
                "the job-template store is not configured (JOB_TEMPLATE_PG_DSN)",
                allow_retries=False,
            )
        if self.pool_size > 0:
            return _pool(self.dsn, self.pool_size).connection()
        return psycopg.connect(self.dsn, connect_timeout=10)

    def migrate(self) -> int:
        """Apply the migrations not applied yet; returns the schema version."""
        with self._connect() as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS streamsets")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS streamsets.schema_version "
                "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('streamsets.schema_version'))")
            done = {row[0] for row in conn.execute("SELECT version FROM streamsets.schema_version")}
            for version, sql in enumerate(MIGRATIONS, start=1):
                if version not in done:
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO streamsets.schema_version (version) VALUES (%s)", (version,)
                    )
        return len(MIGRATIONS)

    def add_template(
        self,
        pattern_name: str,
        source: str,
        destination: str,
        sch_job_template_id: str,
        static_parameters: Mapping[str, Any] | None = None,
        connections: Mapping[str, Any] | None = None,
        delete_after_completion: bool = False,
    ) -> int:
        """Register a template for a pattern (administrators; also used by tests and the demo)."""
        with self._connect() as conn:
            template_id = conn.execute(
                "INSERT INTO streamsets.job_template "
                "(sch_job_template_id, delete_after_completion, "
                "source_runtime_parameters, source_connection_info) "
                "VALUES (%s, %s, %s, %s) RETURNING job_template_id",
                (
                    sch_job_template_id,
                    delete_after_completion,
                    Jsonb(dict(static_parameters or {})),
                    Jsonb(dict(connections or {})),
                ),
            ).fetchone()[0]
            pattern_id = conn.execute(
                "INSERT INTO streamsets.ingestion_pattern (pattern_name, source, destination) "
                "VALUES (%s, %s, %s) "
                "ON CONFLICT (pattern_name) DO UPDATE SET source = EXCLUDED.source "
                "RETURNING ingestion_pattern_id",
                (pattern_name, source, destination),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO streamsets.ingestion_pattern_job_template_relationship "
                "(ingestion_pattern_id, job_template_id) VALUES (%s, %s)",
                (pattern_id, template_id),
            )
        return template_id

    def patterns(self) -> list[tuple[str, str]]:
        """Every (source, destination) an ingestion pattern serves."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT DISTINCT source, destination FROM streamsets.ingestion_pattern"
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def find_template(self, source: str, destination: str) -> JobTemplate:
        with self._connect() as conn:
            row = conn.execute(
                # the original's columns may be NULL (its DDL has no defaults): an absent
                # parameter set is an empty one
                "SELECT t.job_template_id, p.pattern_name, t.sch_job_template_id, "
                "t.delete_after_completion, "
                "coalesce(t.source_runtime_parameters, '{}') "
                "|| coalesce(t.destination_runtime_parameters, '{}'), "
                "coalesce(t.source_connection_info, '{}') "
                "|| coalesce(t.destination_connection_info, '{}') "
                "FROM streamsets.ingestion_pattern p "
                "JOIN streamsets.ingestion_pattern_job_template_relationship r "
                "ON r.ingestion_pattern_id = p.ingestion_pattern_id "
                "JOIN streamsets.job_template t ON t.job_template_id = r.job_template_id "
                "WHERE p.source = %s AND p.destination = %s "
                "ORDER BY t.create_timestamp DESC, t.job_template_id DESC LIMIT 1",
                (source, destination),
            ).fetchone()
        if row is None:
            raise TemplateNotFound(
                f"no job template for source-type {source!r} and target-type {destination!r}"
            )
        return JobTemplate(*row)

    def record_instance(self, record: InstanceRecord) -> None:
        """Insert (or, for the same job run id, replace) one instance's outcome and metrics."""
        fields = list(InstanceRecord.__dataclass_fields__)
        updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in fields if f != "job_run_id")
        with self._connect() as conn:
            conn.execute(
                f"INSERT INTO streamsets.job_instance ({', '.join(fields)}) "
                f"VALUES ({', '.join(['%s'] * len(fields))}) "
                f"ON CONFLICT (job_run_id) DO UPDATE SET {updates}",
                tuple(getattr(record, f) for f in fields),
            )

    def started_instances(self, run_key: str) -> dict[int, str]:
        """Instances started so far for ``run_key`` (a Dagster root run id), by parameter set."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT set_index, job_run_id FROM streamsets.instance_launch WHERE run_key = %s",
                (run_key,),
            ).fetchall()
        return {int(r[0]): r[1] for r in rows}

    def record_started(self, run_key: str, started: Mapping[int, str]) -> None:
        """Remember the instances just started for ``run_key``, by parameter set."""
        with self._connect() as conn, conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO streamsets.instance_launch (run_key, set_index, job_run_id) "
                "VALUES (%s, %s, %s) ON CONFLICT (run_key, set_index) DO NOTHING",
                [(run_key, index, job_id) for index, job_id in started.items()],
            )

    def instances(self, user_run_id: str) -> list[dict[str, Any]]:
        with self._connect() as conn:
            cursor = conn.execute(
                "SELECT i.*, p.pattern_name FROM streamsets.job_instance i "
                "JOIN streamsets.ingestion_pattern_job_template_relationship r "
                "ON r.job_template_id = i.job_template_id "
                "JOIN streamsets.ingestion_pattern p "
                "ON p.ingestion_pattern_id = r.ingestion_pattern_id "
                "WHERE i.user_run_id = %s ORDER BY i.job_instance_id",
                (user_run_id,),
            )
            names = [c.name for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- requests of the REST front door (accepted -> launching -> launched | failed) ---

    def accept_request(
        self, request_id: str, user_id: str, user_run_id: str, config: Mapping[str, Any]
    ) -> tuple[str, bool]:
        """Record a request once per (user_id, user_run_id): (its run id, whether it is new). A
        repeat of the same request answers the first one's id; a different request under the same
        pair raises RequestConflict."""
        [outcome] = self.accept_requests([NewRequest(request_id, user_id, user_run_id, config)])
        if isinstance(outcome, RequestConflict):
            raise outcome
        return outcome

    def accept_requests(
        self, batch: Sequence["NewRequest"]
    ) -> list[tuple[str, bool] | RequestConflict]:
        """``accept_request`` for requests that arrived together, in one transaction (a group
        commit: the REST front door writes a burst with one round of statements and one commit
        instead of one per request). One outcome per request, in order; a request repeated
        within the batch is a repeat of its first occurrence there."""
        keyed = [
            (item, *_idempotency(item.user_id, item.user_run_id, item.config)) for item in batch
        ]
        first: dict[str, tuple[NewRequest, str]] = {}
        for item, key, digest in sorted(keyed, key=lambda row: row[1]):
            # in key order: two batches holding the same pairs lock their rows in the same order
            # (never a deadlock); a sort is stable, so each pair's first occurrence stays first
            first.setdefault(key, (item, digest))
        with self._connect() as conn:
            # a pair another transaction holds (another replica's batch) is waited for, but not
            # for ever: past this the batch fails and its requests are written one by one
            conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
            created = {
                row[0]
                for row in conn.execute(
                    "INSERT INTO streamsets.run_request "
                    "(id, user_id, user_run_id, config, idempotency_key, payload_hash) "
                    "SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::jsonb[], "
                    "%s::text[], %s::text[]) ON CONFLICT (idempotency_key) DO NOTHING "
                    "RETURNING idempotency_key",
                    (
                        [item.request_id for item, _ in first.values()],
                        [item.user_id for item, _ in first.values()],
                        [item.user_run_id for item, _ in first.values()],
                        [Jsonb(dict(item.config)) for item, _ in first.values()],
                        list(first),
                        [digest for _, digest in first.values()],
                    ),
                ).fetchall()
            }
            repeated = [key for key in first if key not in created]
            stored: dict[str, tuple[str, str]] = {}
            if repeated:
                stored = {
                    row[0]: (row[1], row[2])
                    for row in conn.execute(
                        "SELECT idempotency_key, id::text, payload_hash "
                        "FROM streamsets.run_request WHERE idempotency_key = ANY(%s)",
                        (repeated,),
                    ).fetchall()
                }
        outcomes: list[tuple[str, bool] | RequestConflict] = []
        for item, key, digest in keyed:
            if key in created:  # the batch's first occurrence of the pair created it
                owner, owner_digest = first[key]
                run_id, stored_digest, new = owner.request_id, owner_digest, owner is item
            else:
                (run_id, stored_digest), new = stored[key], False
            outcomes.append((run_id, new) if stored_digest == digest else RequestConflict(run_id))
        return outcomes

    def claim_requests(self, limit: int) -> list[RunRequest]:
        """Mark up to ``limit`` due requests as launching, oldest first; concurrent launchers (other
        service replicas) skip each other's rows."""
        with self._connect() as conn:
            rows = conn.execute(
                "UPDATE streamsets.run_request SET state = 'launching', attempts = attempts + 1, "
                "claimed_at = clock_timestamp() WHERE id IN (SELECT id FROM streamsets.run_request "
                "WHERE state = 'accepted' AND not_before <= clock_timestamp() ORDER BY accepted_at "
                "LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id, user_run_id, config, attempts",
                (limit,),
            ).fetchall()
        return sorted((RunRequest(str(r[0]), r[1], r[2], r[3]) for r in rows), key=lambda r: r.id)

    def stale_launching(self, older_than_s: float) -> list[RunRequest]:
        """Take over the requests whose claim is older than ``older_than_s`` (a launcher died, or
        left a launch whose answer never came): each is returned to one caller only, its claim
        renewed, so two replicas never recover the same request."""
        with self._connect() as conn:
            rows = conn.execute(
                "UPDATE streamsets.run_request SET claimed_at = clock_timestamp() "
                "WHERE id IN (SELECT id FROM streamsets.run_request WHERE state = 'launching' "
                "AND claimed_at < clock_timestamp() - make_interval(secs => %s) "
                "FOR UPDATE SKIP LOCKED) RETURNING id, user_run_id, config, attempts",
                (older_than_s,),
            ).fetchall()
        return [RunRequest(str(r[0]), r[1], r[2], r[3]) for r in rows]

    def mark_launched(self, request_id: str, dagster_run_id: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE streamsets.run_request "
                "SET state = 'launched', dagster_run_id = %s, error = NULL, "
                "launched_at = clock_timestamp() WHERE id = %s",
                (dagster_run_id, request_id),
            )

    def release_request(self, request_id: str, error: str, retry_in_s: float) -> None:
        """Back to accepted after a transient failure (Dagster unreachable), due again later."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE streamsets.run_request SET state = 'accepted', error = %s, "
                "not_before = clock_timestamp() + make_interval(secs => %s) "
                "WHERE id = %s AND state = 'launching'",
                (error[:2000], retry_in_s, request_id),
            )

    def fail_request(self, request_id: str, error: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE streamsets.run_request SET state = 'failed', error = %s WHERE id = %s",
                (error[:2000], request_id),
            )

    def requests(self, user_run_id: str) -> list[dict[str, Any]]:
        with self._connect() as conn:
            cursor = conn.execute(
                "SELECT id::text AS run_id, state, dagster_run_id, attempts, error, accepted_at, "
                "launched_at "
                "FROM streamsets.run_request WHERE user_run_id = %s ORDER BY accepted_at",
                (user_run_id,),
            )
            names = [c.name for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def request_counts(self) -> dict[str, int]:
        with self._connect() as conn:
            counts = dict(
                conn.execute(
                    "SELECT state, count(*) FROM streamsets.run_request GROUP BY state"
                ).fetchall()
            )
        return {state: counts.get(state, 0) for state in REQUEST_STATES}
