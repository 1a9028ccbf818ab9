"""Making new Parquet partitions queryable: the Glue/Athena catalog in production (Parquet on S3),
a DuckDB file of views over the lake on the embedded default."""

from datetime import date
from pathlib import Path

import dagster as dg

from resources.model.tables import Table


class TableCatalog(dg.ConfigurableResource):
    def register(self, table: Table, location: str, days: list[date]) -> str:
        """Make ``days`` of ``table`` (hive layout under ``location``) queryable; returns a
        description."""
        raise NotImplementedError


class GlueCatalog(TableCatalog):
    """AWS Glue Data Catalog (what Athena queries). ``endpoint_url`` for a non-AWS endpoint."""

    database: str = "weir_warehouse"
    region_name: str = "us-east-1"
    endpoint_url: str | None = None

    def _client(self):  # noqa: ANN202 - boto3 client
        import boto3

        return boto3.client("glue", region_name=self.region_name, endpoint_url=self.endpoint_url)

    def register(self, table: Table, location: str, days: list[date]) -> str:
        glue = self._client()
        try:
            glue.create_database(DatabaseInput={"Name": self.database})
        except glue.exceptions.AlreadyExistsException:
            pass
        columns = [
            {"Name": c.name, "Type": c.glue_type()}
            for c in table.columns
            if c.name != table.partition_column
        ]
        storage = {
            "Columns": columns,
            "Location": location.rstrip("/") + "/",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": (
                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                )
            },
        }
        try:
            glue.create_table(
                DatabaseName=self.database,
                TableInput={
                    "Name": table.name,
                    "TableType": "EXTERNAL_TABLE",
                    "StorageDescriptor": storage,
                    "PartitionKeys": [{"Name": table.partition_column, "Type": "date"}],
                    "Parameters": {"classification": "parquet"},
                },
            )
        except glue.exceptions.AlreadyExistsException:
            pass
        inputs = [
            {
                "Values": [d.isoformat()],
                "StorageDescriptor": {
                    **storage,
                    "Location": f"{location.rstrip('/')}/{table.partition_column}={d.isoformat()}/",
                },
            }
            for d in days
        ]
        for start in range(0, len(inputs), 100):  # the API takes at most 100 partitions per call
            glue.batch_create_partition(
                DatabaseName=self.database,
                TableName=table.name,
                PartitionInputList=inputs[start : start + 100],
            )
        return f"glue://{self.database}/{table.name} (+{len(days)} partitions)"


class DuckDbViews(TableCatalog):
    """A DuckDB file whose views read the local lake's Parquet (ad-hoc SQL on the embedded
    default)."""

    path: str

    def register(self, table: Table, location: str, days: list[date]) -> str:
        import duckdb

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path)
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS warehouse")
            pattern = str(Path(location) / "*" / "*.parquet").replace("'", "''")
            con.execute(
                f'CREATE OR REPLACE VIEW warehouse."{table.name}" AS SELECT * FROM '
                f"read_parquet('{pattern}', hive_partitioning = false, union_by_name = true)"
            )
        finally:
            con.close()
        return f"duckdb://{self.path}#warehouse.{table.name}"
