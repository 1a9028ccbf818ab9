"""The lake on a local directory and on a real S3 HTTP server (moto_server)."""

import boto3
import pyarrow as pa
import pytest
from dagster_aws.s3 import S3Resource

from resources.storage import LakeResource


@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path):
    if request.param == "local":
        return LakeResource(root=str(tmp_path / "lake"))
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"lake-{tmp_path.name.lower().replace('_', '-')[:40]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                 aws_secret_access_key="x").create_bucket(Bucket=bucket)
    return LakeResource(root=f"s3://{bucket}/weir", s3=S3Resource(endpoint_url=endpoint, region_name="us-east-1",
                                                                   aws_access_key_id="x", aws_secret_access_key="x"))


def test_round_trip_list_and_replace(lake):
    table = pa.table({"a": [1, 2, 3]})
    lake.write_table("argo/x/acme/2024-01-01.parquet", table)
    lake.write_table("argo/x/acme/2024-01-02.parquet", table)
    lake.write_table("argo/x/acme/2024-01-02.parquet", pa.table({"a": [9]}))  # replaces, never appends
    assert lake.read_table("argo/x/acme/2024-01-02.parquet").column("a").to_pylist() == [9]
    assert lake.list("argo/x/acme") == ["argo/x/acme/2024-01-01.parquet", "argo/x/acme/2024-01-02.parquet"]
    assert lake.exists("argo/x/acme/2024-01-01.parquet")
    assert not lake.exists("argo/x/acme/2024-01-0")
    assert lake.list("argo/none") == []


def test_failed_local_write_leaves_old_bytes(tmp_path):
    lake = LakeResource(root=str(tmp_path))
    lake.write_bytes("k/file.bin", b"old")

    with pytest.raises(TypeError):
        lake.write_bytes("k/file.bin", object())  # type: ignore[arg-type]
    assert lake.read_bytes("k/file.bin") == b"old"
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["file.bin"]  # no temp file left behind


def test_staged_writes_append_row_groups_and_publish_together(lake):
    lake.write_table("t/b.parquet", pa.table({"a": [0]}))
    with lake.staged_writes() as staged:
        first = staged.table("t/a.parquet", pa.schema([("a", pa.int64())]))
        second = staged.table("t/b.parquet", pa.schema([("a", pa.int64())]), compression="lz4")
        for n in range(3):
            first.write_table(pa.table({"a": [n, n]}))
        assert lake.list("t") == ["t/b.parquet"] and lake.read_table("t/b.parquet").num_rows == 1  # nothing yet
        with pytest.raises(ValueError, match="already being written"):
            staged.table("t/a.parquet", pa.schema([("a", pa.int64())]))
    assert lake.read_table("t/a.parquet").column("a").to_pylist() == [0, 0, 1, 1, 2, 2]
    assert lake.read_table("t/b.parquet").num_rows == 0  # written with no rows: an empty table, schema kept
    assert lake.list("t") == ["t/a.parquet", "t/b.parquet"] and lake.list("") == ["t/a.parquet", "t/b.parquet"]


def test_a_failed_staged_block_publishes_nothing_and_leaves_no_files(lake, tmp_path):
    lake.write_table("t/a.parquet", pa.table({"a": [7]}))
    with pytest.raises(RuntimeError, match="mid-hour"):
        with lake.staged_writes() as staged:
            staged.table("t/a.parquet", pa.schema([("a", pa.int64())])).write_table(pa.table({"a": [1]}))
            staged.table("t/new.parquet", pa.schema([("a", pa.int64())])).write_table(pa.table({"a": [1]}))
            raise RuntimeError("mid-hour")
    assert lake.read_table("t/a.parquet").column("a").to_pylist() == [7] and lake.list("") == ["t/a.parquet"]
    if not lake.root.startswith("s3://"):
        assert [p.name for p in (tmp_path / "lake").iterdir()] == ["t"]  # the staging directory is gone
