"""``oracle`` (the original runner's name) and ``sql``: a SQL script on a named connection of the
datasources file. PostgreSQL via psycopg; Oracle via ``oracledb`` when that package is installed."""

from collections.abc import Mapping
from typing import Any

from platform_assets.taskflows.scheduler import TaskFailed
from platform_assets.taskflows.spec import Connection, TaskSpec
from platform_assets.taskflows.task_types.base import FieldRule, TaskEnv

POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def _is_postgres(connection: Connection) -> bool:
    return connection.connection_string.startswith(POSTGRES_PREFIXES)


def _run_postgres(connection: Connection, sql: str, env: TaskEnv) -> Mapping[str, Any]:
    import psycopg

    try:
        with psycopg.connect(
            connection.connection_string,
            user=connection.user,
            password=connection.password,
            connect_timeout=10,
            autocommit=False,
        ) as conn:
            if env.timeout_s:
                conn.execute(f"SET statement_timeout = {int(env.timeout_s * 1000)}")
            cursor = conn.execute(sql)  # no parameters: several statements may run in one script
            rows = cursor.fetchmany(20) if cursor.description else []
            for row in rows:
                env.log(" | ".join(str(v) for v in row))
            env.log(f"rowcount: {cursor.rowcount}")
            return {"rowcount": cursor.rowcount, "returned_rows": len(rows)}
    except psycopg.Error as exc:
        raise TaskFailed(
            f"SQL on {connection.name!r} failed: {str(exc).strip().splitlines()[0]}"
        ) from None


def _run_oracle(connection: Connection, sql: str, env: TaskEnv) -> Mapping[str, Any]:
    try:
        import oracledb
    except ImportError:
        raise TaskFailed(
            f"connection {connection.name!r} is Oracle: install the 'oracledb' package"
        ) from None
    try:
        with oracledb.connect(
            user=connection.user, password=connection.password, dsn=connection.connection_string
        ) as conn:
            if env.timeout_s:
                conn.call_timeout = int(env.timeout_s * 1000)
            with conn.cursor() as cursor:
                cursor.execute(sql.strip().rstrip(";"))
                conn.commit()
                return {"rowcount": cursor.rowcount}
    except oracledb.Error as exc:
        raise TaskFailed(f"SQL on {connection.name!r} failed: {exc}") from None


class SqlTask:
    name = "sql"
    fields: Mapping[str, FieldRule] = {
        "command": FieldRule((str,), required=True),
        "db": FieldRule((str,), required=True),
    }

    def problems(self, task: TaskSpec, connections: Mapping[str, Connection]) -> list[str]:
        found = []
        if not task.fields["command"].strip():
            found.append("command is empty")
        if task.fields["db"] not in connections:
            found.append(
                f"db {task.fields['db']!r} is not a connection of the datasources file "
                f"(known: {', '.join(sorted(connections)) or 'none'})"
            )
        return found

    def run(self, task: TaskSpec, env: TaskEnv) -> Mapping[str, Any]:
        connection = env.connections[task.fields["db"]]
        env.log(f"running SQL on connection {connection.name!r}")
        if _is_postgres(connection):
            return _run_postgres(connection, task.fields["command"], env)
        return _run_oracle(connection, task.fields["command"], env)


class OracleTask(SqlTask):
    """The original runner's ``oracle`` type: the same SQL task; the connection decides the
    driver."""

    name = "oracle"
