"""Athena (Hive) DDL for every warehouse table and aggregate, generated from catalog.yaml. No
Dagster import.

    .venv/bin/python -m platform_assets.warehouse.athena_ddl --lake s3://bucket/prefix
                                                             [--database weir_warehouse]

Tables are partitioned by their ``partition_column`` (the lake's ``<column>=<day>/`` folders): in
production the Parquet assets register each new partition in Glue as they write it; a table
created by hand from this DDL needs ``MSCK REPAIR TABLE`` after new partitions land, printed with
it. The aggregates are one Parquet file per hour or week in one folder, unpartitioned: Athena reads
every file under the location, so a new file needs no repair. Their files keep the kernels'
microsecond columns (``hour_start_us``); the DDL declares them as they are and adds a view with
the catalog's timestamp column (``hour_start``), the shape the warehouse database has.
"""

import argparse
from collections.abc import Sequence

from platform_assets.warehouse.catalog import load_aggregates, load_catalog
from resources.model.tables import Table
from resources.model.tenancy import validate_name

DEFAULT_DATABASE = "weir_warehouse"


def _location(lake: str, name: str) -> str:
    if "'" in lake:
        raise ValueError(f"lake location {lake!r} must not contain a quote")
    return f"{lake.rstrip('/')}/warehouse/{name}/"


def table_ddl(table: Table, database: str, lake: str) -> str:
    """CREATE EXTERNAL TABLE for a catalog table (partition column out of the column list, as
    the Glue registration does) and the MSCK REPAIR that finds its partitions."""
    columns = ",\n".join(
        f"  `{c.name}` {c.glue_type()}" for c in table.columns if c.name != table.partition_column
    )
    partition = next(c for c in table.columns if c.name == table.partition_column)
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table.name}` (\n{columns}\n)\n"
        f"PARTITIONED BY (`{partition.name}` {partition.glue_type()})\n"
        f"STORED AS PARQUET\nLOCATION '{_location(lake, table.name)}';\n"
        f"MSCK REPAIR TABLE `{database}`.`{table.name}`;\n"
    )


def aggregate_file_columns(table: Table) -> list[tuple[str, str]]:
    """(name, Athena type) of an aggregate's files: timestamps as the kernels' microseconds."""
    return [
        (f"{c.name}_us", "bigint") if c.type == "timestamp" else (c.name, c.glue_type())
        for c in table.columns
    ]


def aggregate_ddl(table: Table, database: str, lake: str) -> str:
    """The aggregate's files as an unpartitioned table ``<name>_files`` and the view ``<name>``
    with UTC timestamps in place of the microsecond columns."""
    file_columns = ",\n".join(f"  `{name}` {kind}" for name, kind in aggregate_file_columns(table))
    view_columns = ",\n".join(
        f"  CAST(from_unixtime(`{c.name}_us` / 1000000.0) AS timestamp) AS `{c.name}`"
        if c.type == "timestamp"
        else f"  `{c.name}`"
        for c in table.columns
    )
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table.name}_files` (\n"
        f"{file_columns}\n)\nSTORED AS PARQUET\nLOCATION '{_location(lake, table.name)}';\n"
        f'CREATE OR REPLACE VIEW "{database}"."{table.name}" AS SELECT\n{view_columns}\n'
        f'FROM "{database}"."{table.name}_files";\n'
    )


def warehouse_ddl(lake: str, database: str = DEFAULT_DATABASE) -> str:
    validate_name(database, "Athena database")
    statements = [f"CREATE DATABASE IF NOT EXISTS `{database}`;\n"]
    statements += [table_ddl(t, database, lake) for t in load_catalog().values()]
    statements += [aggregate_ddl(t, database, lake) for t in load_aggregates().values()]
    return "\n".join(statements)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Athena DDL for Weir's warehouse lake")
    parser.add_argument("--lake", required=True, help="the lake's root, e.g. s3://bucket/prefix")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    opts = parser.parse_args(argv)
    print(warehouse_ddl(opts.lake, opts.database), end="")


if __name__ == "__main__":
    main()
