"""New partitions become queryable: Glue (against moto's real HTTP server) and local DuckDB views."""

from datetime import date

import boto3
import dagster as dg
import duckdb

from platform_assets.warehouse.catalog import load_catalog
from resources.table_catalog import DuckDbViews, GlueCatalog
from tests.warehouse.world import DAYS, build, run_range, write_world

FACT = load_catalog()["fact_space_event"]


def test_glue_table_and_partitions(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    catalog = GlueCatalog(database="weir_test_glue", endpoint_url=s3_endpoint)
    location = "s3://lake/warehouse/fact_space_event"
    catalog.register(FACT, location, [date(2024, 3, 4), date(2024, 3, 5)])
    catalog.register(FACT, location, [date(2024, 3, 6)])  # the table exists already: only adds
    glue = boto3.client("glue", region_name="us-east-1", endpoint_url=s3_endpoint)
    table = glue.get_table(DatabaseName="weir_test_glue", Name="fact_space_event")["Table"]
    assert table["PartitionKeys"] == [{"Name": "created_date", "Type": "date"}]
    assert "event_ts" in [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    partitions = glue.get_partitions(DatabaseName="weir_test_glue", TableName="fact_space_event")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-03-04", "2024-03-05", "2024-03-06"]
    assert partitions[0]["StorageDescriptor"]["Location"].startswith(location + "/created_date=")


def test_local_duckdb_view_over_the_lake(tmp_path):
    tables = write_world(tmp_path)
    defs = build(tmp_path)
    with dg.instance_for_test() as instance:
        assert run_range(defs, instance, "warehouse_load", DAYS[0].isoformat(), DAYS[-1].isoformat()).success
    con = duckdb.connect(str(tmp_path / "lake.duckdb"))
    (count,) = con.execute("SELECT count(*) FROM warehouse.fact_space_event").fetchall()[0]
    assert count == sum(1 for r in tables["fact_space_event"] if r[-1] >= DAYS[0])
