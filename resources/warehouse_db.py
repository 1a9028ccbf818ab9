"""The migration target: PostgreSQL (COPY), or a DuckDB file as the documented local stand-in.

``load(table, rows, mode)``: ``replace`` swaps the table's whole contents in one transaction (a
snapshot load); ``upsert`` inserts or updates by primary key in one transaction (a daily
increment). ``replace_window`` replaces one time window of a table (an aggregate's partition).
Tables are created from the catalog. Identifiers come from the validated catalog and are quoted
as identifiers, never formatted into SQL as text values.
"""

import io
from datetime import date, datetime
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

    def replace_window(self, table: Table, rows: pa.Table, start: datetime, end: datetime) -> int:
        """Make the rows of ``table`` whose ``partition_column`` lies in [start, end) exactly
        ``rows``, in one transaction: a re-run of a partition replaces it, never doubles it."""
        raise NotImplementedError

    def window_totals(
        self, table: Table, start: datetime, end: datetime, measure: str
    ) -> tuple[int, float]:
        """(rows, sum of ``measure``) of ``table`` in [start, end): what a parity check compares."""
        raise NotImplementedError


def _csv(table: Table, rows: pa.Table) -> bytes:
    buffer = io.BytesIO()
    # one chunk: pyarrow's CSV writer emits garbage for tables made of many empty chunks
    pcsv.write_csv(
        rows.select(table.names).combine_chunks(),
        buffer,
        pcsv.WriteOptions(include_header=False),
    )
    return buffer.getvalue()


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
            self._copy(cur, table, rows, destination)
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

    def _copy(self, cur, table: Table, rows: pa.Table, destination) -> None:  # noqa: ANN001
        from psycopg import sql

        payload = _csv(table, rows)
        columns = sql.SQL(", ").join(sql.Identifier(n) for n in table.names)
        with cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(destination, columns)
        ) as copy:
            for start in range(0, len(payload), 1 << 20):
                copy.write(payload[start : start + (1 << 20)])

    def replace_window(self, table: Table, rows: pa.Table, start: datetime, end: datetime) -> int:
        from psycopg import sql

        target = sql.Identifier(self.schema_name, table.name)
        with self._connect() as conn, conn.cursor() as cur:
            self._ensure(cur, table)
            cur.execute(
                sql.SQL("DELETE FROM {} WHERE {} >= %s AND {} < %s").format(
                    target,
                    sql.Identifier(table.partition_column),
                    sql.Identifier(table.partition_column),
                ),
                (start, end),
            )
            self._copy(cur, table, rows, target)
        return rows.num_rows

    def window_totals(
        self, table: Table, start: datetime, end: datetime, measure: str
    ) -> tuple[int, float]:
        from psycopg import sql

        with self._connect() as conn, conn.cursor() as cur:
            self._ensure(cur, table)
            cur.execute(
                sql.SQL(
                    "SELECT count(*), coalesce(sum({}), 0) FROM {} WHERE {} >= %s AND {} < %s"
                ).format(
                    sql.Identifier(measure),
                    sql.Identifier(self.schema_name, table.name),
                    sql.Identifier(table.partition_column),
                    sql.Identifier(table.partition_column),
                ),
                (start, end),
            )
            count, total = cur.fetchone()
        return int(count), float(total)

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

    def replace_window(self, table: Table, rows: pa.Table, start: datetime, end: datetime) -> int:
        con = self._connect()
        try:
            self._ensure(con, table)
            staged = rows.select(table.names)  # noqa: F841 - read by DuckDB's replacement scan
            target = f'"{self.schema_name}"."{table.name}"'
            column = f'"{table.partition_column}"'
            con.execute("BEGIN")
            con.execute(f"DELETE FROM {target} WHERE {column} >= ? AND {column} < ?", [start, end])
            con.execute(f"INSERT INTO {target} SELECT * FROM staged")
            con.execute("COMMIT")
        finally:
            con.close()
        return rows.num_rows

    def window_totals(
        self, table: Table, start: datetime, end: datetime, measure: str
    ) -> tuple[int, float]:
        con = self._connect()
        try:
            self._ensure(con, table)
            column = f'"{table.partition_column}"'
            found = con.execute(
                f'SELECT count(*), coalesce(sum("{measure}"), 0) FROM '
                f'"{self.schema_name}"."{table.name}" WHERE {column} >= ? AND {column} < ?',
                [start, end],
            ).fetchone()
        finally:
            con.close()
        assert found is not None
        return int(found[0]), float(found[1])
