"""The migration target: PostgreSQL (COPY), or a DuckDB file as the documented local stand-in.

``load(table, rows, mode)``: ``replace`` swaps the table's whole contents in one transaction (a
snapshot load); ``upsert`` inserts or updates by primary key in one transaction (a daily
increment). Tables are created from the catalog. Identifiers come from the validated catalog and
are quoted as identifiers, never formatted into SQL as text values.
"""

import io
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.csv as pcsv

from resources.model.tables import Table

MODES = ("replace", "upsert")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"load mode must be one of {MODES}, got {mode!r}")


class WarehouseDb(dg.ConfigurableResource):
    schema_name: str = "warehouse"

    def name(self) -> str:
        raise NotImplementedError

    def load(self, table: Table, rows: pa.Table, mode: str) -> int:
        raise NotImplementedError

    def count_by_day(self, table: Table, days: list[date]) -> dict[date, int]:
        raise NotImplementedError


class PostgresWarehouse(WarehouseDb):
    """``dsn`` like ``postgresql://user:pass@host:5432/db`` (from an EnvVar in production)."""

    dsn: str

    def name(self) -> str:
        return "postgres"

    def _connect(self):  # noqa: ANN202 - psycopg connection
        import psycopg

        return psycopg.connect(self.dsn, connect_timeout=10)

    def _ensure(self, cur, table: Table) -> None:  # noqa: ANN001
        from psycopg import sql

        cols = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.postgres_type()))
            for c in table.columns
        )
        pk = sql.SQL(", ").join(sql.Identifier(k) for k in table.primary_key)
        cur.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema_name))
        )
        cur.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {}.{} ({}, PRIMARY KEY ({}))").format(
                sql.Identifier(self.schema_name), sql.Identifier(table.name), cols, pk
            )
        )

    def load(self, table: Table, rows: pa.Table, mode: str) -> int:
        from psycopg import sql

        _check_mode(mode)
        buffer = io.BytesIO()
        # one chunk: pyarrow's CSV writer emits garbage for tables made of many empty chunks
        pcsv.write_csv(
            rows.select(table.names).combine_chunks(),
            buffer,
            pcsv.WriteOptions(include_header=False),
        )
        payload = buffer.getvalue()
        target = sql.Identifier(self.schema_name, table.name)
        columns = sql.SQL(", ").join(sql.Identifier(n) for n in table.names)
        with self._connect() as conn, conn.cursor() as cur:
            self._ensure(cur, table)
            if mode == "replace":
                cur.execute(sql.SQL("TRUNCATE {}").format(target))
                destination = target
            else:
                cur.execute(
                    sql.SQL(
                        "CREATE TEMP TABLE weir_stage (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
                    ).format(target)
                )
                destination = sql.Identifier("weir_stage")
            with cur.copy(
                sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(destination, columns)
            ) as copy:
                for start in range(0, len(payload), 1 << 20):
                    copy.write(payload[start : start + (1 << 20)])
            if mode == "upsert":
                keys = sql.SQL(", ").join(sql.Identifier(k) for k in table.primary_key)
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n))
                    for n in table.names
                    if n not in table.primary_key
                )
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {} ({}) SELECT {} FROM weir_stage "
                        "ON CONFLICT ({}) DO UPDATE SET {}"
                    ).format(target, columns, columns, keys, updates)
                )
        return rows.num_rows

    def count_by_day(self, table: Table, days: list[date]) -> dict[date, int]:
        from psycopg import sql

        with self._connect() as conn, conn.cursor() as cur:
            self._ensure(cur, table)
            cur.execute(
                sql.SQL("SELECT {0}, count(*) FROM {1} WHERE {0} = ANY(%s) GROUP BY {0}").format(
                    sql.Identifier(table.partition_column),
                    sql.Identifier(self.schema_name, table.name),
                ),
                (days,),
            )
            found = dict(cur.fetchall())
        return {d: int(found.get(d, 0)) for d in days}


class DuckDbWarehouse(WarehouseDb):
    """The embedded default when no PostgreSQL is configured: a DuckDB file with the same
    semantics."""

    path: str

    def name(self) -> str:
        return "duckdb"

    def _connect(self):  # noqa: ANN202
        import duckdb

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(self.path)

    def _ensure(self, con, table: Table) -> None:  # noqa: ANN001
        cols = ", ".join(
            f'"{c.name}" {c.postgres_type().replace("TIMESTAMPTZ", "TIMESTAMPTZ")}'
            for c in table.columns
        )
        pk = ", ".join(f'"{k}"' for k in table.primary_key)
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema_name}"')
        con.execute(
            f'CREATE TABLE IF NOT EXISTS "{self.schema_name}"."{table.name}" '
            f"({cols}, PRIMARY KEY ({pk}))"
        )

    def load(self, table: Table, rows: pa.Table, mode: str) -> int:
        _check_mode(mode)
        con = self._connect()
        try:
            self._ensure(con, table)
            staged = rows.select(table.names)  # noqa: F841 - read by DuckDB's replacement scan
            target = f'"{self.schema_name}"."{table.name}"'
            con.execute("BEGIN")
            if mode == "replace":
                con.execute(f"DELETE FROM {target}")
                con.execute(f"INSERT INTO {target} SELECT * FROM staged")
            else:
                con.execute(f"INSERT OR REPLACE INTO {target} SELECT * FROM staged")
            con.execute("COMMIT")
        finally:
            con.close()
        return rows.num_rows

    def count_by_day(self, table: Table, days: list[date]) -> dict[date, int]:
        con = self._connect()
        try:
            self._ensure(con, table)
            found = dict(
                con.execute(
                    f'SELECT "{table.partition_column}", count(*) FROM '
                    f'"{self.schema_name}"."{table.name}" '
                    f"GROUP BY 1"
                ).fetchall()
            )
        finally:
            con.close()
        return {d: int(found.get(d, 0)) for d in days}
