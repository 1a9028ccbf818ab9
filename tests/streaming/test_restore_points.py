"""Restore points wherever checkpoints live: local, file://, s3:// (moto's real HTTP server) and
hdfs:// (through WebHDFS, against a stand-in namenode serving a directory tree)."""

import os
import time
from pathlib import Path

import boto3
import pytest

from platform_assets.streaming.restore import RestoreRootError, newest_restore_point
from resources.model.monitoring_conf import MonitoringConf
from resources.monitoring_conf import MonitoringConfResource
from resources.webhdfs import WebHdfsError
from tests.webhdfs_standin import webhdfs


def _point(root: Path, relative: str, age_s: float) -> None:
    meta = root / relative / "_metadata"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_bytes(b"x")
    when = time.time() - age_s
    os.utime(meta, (when, when))


def _tree(root: Path) -> None:
    _point(root, "TENANTA/ingest-metric/3f2a/chk-3", 300)
    _point(root, "TENANTA/ingest-metric/3f2a/chk-5", 100)       # the newest restore point
    _point(root, "TENANTA/ingest-metric/savepoint-3f2a-77", 200)
    (root / "TENANTA/ingest-metric/3f2a/chk-7").mkdir()           # in progress: no _metadata yet
    _point(root, "TENANTA/ingest-metric/3f2a/shared", 10)         # a _metadata outside a restore point


def _conf(user: str | None) -> MonitoringConf:
    return MonitoringConf(Path("c.cfg"), "", "", "", {}, {}, "", 0, None, True, None, None, None, "", "INFO", {},
                          hdfs_user=user)


@pytest.mark.fast
def test_local_and_file_roots(tmp_path):
    _tree(tmp_path)
    expected = f"file:{tmp_path}/TENANTA/ingest-metric/3f2a/chk-5"
    assert newest_restore_point(str(tmp_path / "TENANTA")) == expected
    assert newest_restore_point(f"file://{tmp_path}/TENANTA") == expected
    assert newest_restore_point(str(tmp_path / "nothing-here")) is None
    with pytest.raises(RestoreRootError, match="gs://"):
        newest_restore_point("gs://bucket/checkpoints")


def test_hdfs_roots_are_listed_through_webhdfs_as_the_configured_user(tmp_path):
    _tree(tmp_path / "user" / "argo" / "checkpoints")
    with webhdfs(tmp_path) as (url, users):
        listers = MonitoringConfResource(webhdfs_url=url).restore_listers(_conf("argo"))
        root = "hdfs://namenode:8020/user/argo/checkpoints/TENANTA"
        assert newest_restore_point(root, listers) == f"{root}/ingest-metric/3f2a/chk-5"
        assert newest_restore_point("hdfs://namenode:8020/user/argo/checkpoints/NEW", listers) is None
        assert set(users) == {"argo"}
    with pytest.raises(WebHdfsError, match="unreachable"):  # the namenode is gone: said, not "no checkpoint"
        newest_restore_point(root, listers)


def test_s3_roots(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    s3.create_bucket(Bucket="ckpt")
    for key in ("flink/TENANTA/3f2a/chk-3/_metadata", "flink/TENANTA/savepoint-3f2a-1/_metadata",
                "flink/TENANTA/3f2a/chk-9/_metadata"):  # written in this order: chk-9 is the newest
        s3.put_object(Bucket="ckpt", Key=key, Body=b"x")
        time.sleep(1.1)
    s3.put_object(Bucket="ckpt", Key="flink/TENANTA/3f2a/shared/_metadata", Body=b"x")
    listers = MonitoringConfResource(s3_endpoint_url=s3_endpoint).restore_listers(_conf(None))
    assert newest_restore_point("s3://ckpt/flink/TENANTA", listers) == "s3://ckpt/flink/TENANTA/3f2a/chk-9"
    assert newest_restore_point("s3://ckpt/flink/OTHER", listers) is None
