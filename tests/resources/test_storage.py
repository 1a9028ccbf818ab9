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
