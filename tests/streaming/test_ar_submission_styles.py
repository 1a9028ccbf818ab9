"""Both A/R submission styles: the API era's arguments and the README era's (the sync ingestion
job's files on HDFS, each dated file chosen with the wrappers' rollback rule), exact argument lists;
the HDFS lake is a WebHDFS stand-in serving a directory tree."""

from datetime import date
from pathlib import Path

import pytest

from platform_assets.streaming.submissions import SyncFileMissing, ar_batch_submission
from resources.model.monitoring_conf import load_monitoring_conf
from resources.monitoring_conf import MonitoringConfResource
from tests.streaming.test_conf_eras import FIRST_ERA
from tests.webhdfs_standin import webhdfs

DAY = date(2018, 2, 11)
SYNC = "user/argo/argo/tenants/TENANTA/sync"
HDFS = "hdfs://namenode.example:8020"


def _sync_files(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / SYNC / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


COMPLETE = ["TENANTA_Critical_cfg.json", "TENANTA_ops.json", "TENANTA_Critical_ap.json",
            "Critical/metric_profile_2018-02-09.avro",   # two days back
            "Critical/group_endpoints_2018-02-11.avro", "Critical/group_endpoints_2018-02-10.avro",
            "Critical/group_groups_2018-02-10.avro",     # one day back
            "Critical/weights_2018-02-08.avro",          # three days back: the furthest allowed
            "Critical/downtimes_2018-02-11.avro", "recomp.json"]


def _submission(tmp_path: Path, files: list[str]):
    conf_path = tmp_path / "argo-streaming.conf"
    conf_path.write_text(FIRST_ERA)
    conf = load_monitoring_conf(conf_path)
    _sync_files(tmp_path / "hdfs", files)
    with webhdfs(tmp_path / "hdfs") as (url, _):
        exists = MonitoringConfResource(webhdfs_url=url).lake_exists(conf)
        return ar_batch_submission(conf, "tenanta", "critical", DAY, "upsert", style="sync-files", exists=exists)


def test_the_readme_eras_arguments_with_the_rollback_rule(tmp_path):
    submission = _submission(tmp_path, COMPLETE)
    sync, mdata = f"{HDFS}/{SYNC}", f"{HDFS}/user/argo/argo/tenants/TENANTA/mdata"
    assert list(submission.args) == [
        "--run.date", "2018-02-11", "--mongo.uri", "mongodb://mongo.example:27017/argo_TENANTA",
        "--mongo.method", "upsert", "--pdata", f"{mdata}/2018-02-10", "--mdata", f"{mdata}/2018-02-11",
        "--conf", f"{sync}/TENANTA_Critical_cfg.json", "--mps", f"{sync}/Critical/metric_profile_2018-02-09.avro",
        "--ops", f"{sync}/TENANTA_ops.json", "--apr", f"{sync}/TENANTA_Critical_ap.json",
        "--egp", f"{sync}/Critical/group_endpoints_2018-02-11.avro",
        "--ggp", f"{sync}/Critical/group_groups_2018-02-10.avro",
        "--weights", f"{sync}/Critical/weights_2018-02-08.avro",
        "--downtimes", f"{sync}/Critical/downtimes_2018-02-11.avro", "--rec", f"{sync}/recomp.json",
        "--ams.proxy", "http://proxy.example:3128", "--ams.verify", "false"]


def test_a_per_day_recomputation_file_wins_over_the_shared_one(tmp_path):
    submission = _submission(tmp_path, COMPLETE + ["recomp_TENANTA_Critical_2018-02-11.json"])
    assert submission.args[submission.args.index("--rec") + 1].endswith("/recomp_TENANTA_Critical_2018-02-11.json")


@pytest.mark.parametrize("drop, missing", [
    ("Critical/downtimes_2018-02-11.avro", "downtimes_2018-02-11.avro: missing"),   # exact day only
    ("Critical/weights_2018-02-08.avro", "weights_2018-02-11.avro: missing, and none of the 3 days"),
    ("TENANTA_ops.json", "TENANTA_ops.json: missing"),
])
def test_a_missing_sync_file_names_the_file(tmp_path, drop, missing):
    with pytest.raises(SyncFileMissing, match=missing):
        _submission(tmp_path, [f for f in COMPLETE if f != drop])


def test_the_api_style_is_unchanged(tmp_path):
    conf_path = tmp_path / "argo-streaming.conf"
    conf_path.write_text(FIRST_ERA)
    args = ar_batch_submission(load_monitoring_conf(conf_path), "TENANTA", "critical", DAY, "insert").args
    assert list(args[10:]) == ["--api.endpoint", "api.example", "--api.token", "api-key-a",
                               "--report.id", "6ac7d684-1f8e-4a02-a502-720e8f11e50b"]
