"""The Athena DDL generated from the catalog: every table and aggregate, the same columns and types
as the Glue registration and as the files the pipeline writes."""

import boto3
import pytest

from platform_assets.warehouse.athena_ddl import aggregate_file_columns, warehouse_ddl
from platform_assets.warehouse.catalog import load_aggregates, load_catalog
from resources.table_catalog import GlueCatalog


@pytest.mark.fast
def test_every_table_and_aggregate_has_its_ddl():
    ddl = warehouse_ddl("s3://weir-lake/prod", "weir_warehouse")
    for name in load_catalog():
        assert f"CREATE EXTERNAL TABLE IF NOT EXISTS `weir_warehouse`.`{name}` (" in ddl
        assert f"LOCATION 's3://weir-lake/prod/warehouse/{name}/';" in ddl
        assert f"MSCK REPAIR TABLE `weir_warehouse`.`{name}`;" in ddl
    for name in load_aggregates():
        assert f"`weir_warehouse`.`{name}_files` (" in ddl
        assert f'CREATE OR REPLACE VIEW "weir_warehouse"."{name}" AS SELECT' in ddl
        assert f"MSCK REPAIR TABLE `weir_warehouse`.`{name}" not in ddl  # unpartitioned: no repair
    assert "PARTITIONED BY (`created_date` date)" in ddl
    assert "CAST(from_unixtime(`hour_start_us` / 1000000.0) AS timestamp) AS `hour_start`" in ddl


@pytest.mark.fast
def test_hostile_names_are_refused():
    with pytest.raises(ValueError):
        warehouse_ddl("s3://lake'; DROP TABLE x; --")
    with pytest.raises(ValueError):
        warehouse_ddl("s3://lake", "weir`; DROP")


def test_the_ddl_declares_what_glue_registers(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    catalog = GlueCatalog(database="weir_ddl_check", endpoint_url=s3_endpoint)
    glue = boto3.client("glue", region_name="us-east-1", endpoint_url=s3_endpoint)
    ddl = warehouse_ddl("s3://lake", "weir_ddl_check")
    for table in load_catalog().values():
        catalog.register(table, f"s3://lake/warehouse/{table.name}", [])
        registered = glue.get_table(DatabaseName="weir_ddl_check", Name=table.name)["Table"]
        columns = ",\n".join(f"  `{c['Name']}` {c['Type']}" for c in registered["StorageDescriptor"]["Columns"])
        assert f"`weir_ddl_check`.`{table.name}` (\n{columns}\n)" in ddl
