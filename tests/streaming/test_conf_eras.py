"""The monitoring config of every era reads (ARGOeu/argo-streaming's conf/conf.template from its
first release to master, and the wrappers' README): old key names map to the same settings, keys
Weir does not use are listed as warnings (never dropped silently), tenants match in any case.
The files below are Weir's own, written with each era's sections and keys."""

from pathlib import Path

import pytest

from resources.model.ini import ConfError
from resources.model.monitoring_conf import load_monitoring_conf

pytestmark = pytest.mark.fast

FIRST_ERA = """
[HDFS]
hdfs_host: namenode.example
hdfs_port: 8020
hdfs_user: argo
rollback_days: 3
hdfs_metric: hdfs://{{hdfs_host}}:{{hdfs_port}}/user/{{hdfs_user}}/argo/tenants/{{tenant}}/mdata
hdfs_sync: hdfs://{{hdfs_host}}:{{hdfs_port}}/user/{{hdfs_user}}/argo/tenants/{{tenant}}/sync
writer_bin: /usr/bin/hdfs-writer

[API]
host = api.example
tenants = TENANTA
TENANTA_key = api-key-a

[LOGS]
log_modes: console,syslog
log_level: info
syslog_socket: /dev/log

[FLINK]
path: /opt/flink/bin/flink
job_manager: http://flink.example:8081

[CLASSES]
ams-ingest-metric: argo.streaming.AmsIngestMetric
batch-ar: argo.batch.ArBatch

[JARS]
ams-ingest-metric: /opt/argo/ingest.jar
batch-ar: /opt/argo/batch.jar

[AMS]
ams_port: 8443
ams_endpoint: msg.example
proxy_enabled: true
ams_proxy: http://proxy.example:3128
ssl_enabled: false

[TENANTS:TENANTA]
ams_project: project-a
ams_token: ams-token-a

[TENANTS:TENANTA:REPORTS]
Critical: 6ac7d684-1f8e-4a02-a502-720e8f11e50b

[TENANTS:TENANTA:MONGO]
mongo_host: mongo.example
mongo_port: 27017
mongo_uri: mongodb://{{mongo_host}}:{{mongo_port}}/argo_TENANTA

[TENANTS:TENANTA:ingest-metric]
ams_sub: metric_sub
ams_interval: 300
ams_batch: 100
checkpoint_path: hdfs://namenode.example:8020/user/argo/checkpoints/{{tenant}}
checkpoint_interval: 30000
"""

LATEST_ERA = """
[HDFS]
namenode: hdfs://namenode.example:8020
user: argo
rollback_days: 3
path_metric: {{namenode}}/user/{{hdfs_user}}/argo/tenants/{{tenant}}/mdata
path_sync: {{namenode}}/user/{{hdfs_user}}/argo/tenants/{{tenant}}/sync
path_tenants: {{namenode}}/user/{{hdfs_user}}/argo/tenants

[API]
endpoint = https://api.example
access_token = admin-key
TENANTA_key = api-key-a

[STREAMING]
kafka_servers: localhost:9092

[MONGO]
endpoint = mongodb://mongo.example:27017

[FLINK]
job_manager: http://flink.example:8081

[CLASSES]
ams-ingest-metric: argo.streaming.AmsIngestMetric
batch-multi: argo.batch.Multi

[JARS]
ams-ingest-metric: /opt/argo/ingest.jar

[AMS]
endpoint: https://msg.example:8443
proxy: http://proxy.example:3128
verify: true

[TENANTS:TENANTA]
ams_project: project-a
ams_token: ams-token-a
reports: Critical
report_Critical: 6ac7d684-1f8e-4a02-a502-720e8f11e50b
mongo_uri: {{mongo_endpoint}}/argo_{{tenant}}
mongo_method: insert

[TENANTS:TENANTA:ingest-metric]
ams_sub: metric_sub
ams_interval: 300
ams_batch: 100
checkpoint_path: {{namenode}}/user/{{hdfs_user}}/checkpoints/{{tenant}}
checkpoint_interval: 30000
"""

# the wrappers' README: [TENANTS:<T>:<JOB>] with check_path / check_interval
README_ERA_JOB = """
[TENANTS:TENANTA:ingest-metric]
ams_sub: metric_sub
ams_batch: 50
ams_interval: 600
check_path: hdfs://namenode.example:8020/user/argo/checkpoints/{{tenant}}
check_interval: 60000
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "argo-streaming.conf"
    path.write_text(text)
    return load_monitoring_conf(path)


@pytest.mark.parametrize("text", [FIRST_ERA, LATEST_ERA], ids=["first", "latest"])
def test_every_era_reads_into_the_same_settings(tmp_path, text):
    conf = _load(tmp_path, text)
    assert (conf.bus_host, conf.bus_port) == ("msg.example", 8443)
    assert conf.bus_proxy == "http://proxy.example:3128"
    assert conf.metric_path("TENANTA") == "hdfs://namenode.example:8020/user/argo/argo/tenants/TENANTA/mdata"
    assert conf.hdfs_user == "argo" and conf.api_host == "api.example"
    tenant = conf.tenant("TENANTA")
    # a [TENANTS:<T>:REPORTS] key is a report name: kept as written (INI lookups ignore case)
    assert tenant.reports == {"Critical": "6ac7d684-1f8e-4a02-a502-720e8f11e50b"}
    assert tenant.mongo_uri == "mongodb://mongo.example:27017/argo_TENANTA" and tenant.api_token == "api-key-a"
    stream = tenant.streams["ingest-metric"]
    assert stream.checkpoint_path == "hdfs://namenode.example:8020/user/argo/checkpoints/TENANTA"
    assert stream.checkpoint_interval == 30000
    assert conf.tenant("tenanta") is tenant  # the wrappers upper-cased -t tenanta


def test_the_first_eras_ssl_switch_and_unused_keys_are_honoured_or_listed(tmp_path):
    conf = _load(tmp_path, FIRST_ERA)
    assert conf.bus_verify is False  # ssl_enabled: false
    unused = {w.split(": ", 2)[-1] for w in conf.warnings}
    assert {"[HDFS] writer_bin", "[FLINK] path", "[API] tenants"} <= unused
    assert not any("[LOGS]" in w for w in conf.warnings)  # honoured: conf_logs
    assert (conf.logs.modes, conf.logs.syslog_socket) == (("console", "syslog"), "/dev/log")
    assert not any("ams_endpoint" in w or "mongo_host" in w or "checkpoint_path" in w or "rollback_days" in w
                   for w in conf.warnings)
    assert conf.rollback_days == 3
    assert all(w.startswith(str(tmp_path)) for w in conf.warnings)  # each names its file


def test_the_latest_eras_extra_keys_are_listed(tmp_path):
    unused = {w.split(": ", 2)[-1] for w in _load(tmp_path, LATEST_ERA).warnings}
    assert {"[HDFS] path_tenants", "[STREAMING] kafka_servers", "[CLASSES] batch-multi"} <= unused


def test_the_readme_eras_check_path_and_check_interval_are_the_checkpoint_settings(tmp_path):
    text = LATEST_ERA.split("[TENANTS:TENANTA:ingest-metric]")[0] + README_ERA_JOB
    stream = _load(tmp_path, text).tenant("TENANTA").streams["ingest-metric"]
    assert stream.checkpoint_path == "hdfs://namenode.example:8020/user/argo/checkpoints/TENANTA"
    assert (stream.checkpoint_interval, stream.batch, stream.interval) == (60000, 50, 600)


def test_a_missing_required_key_names_file_section_and_key(tmp_path):
    with pytest.raises(ConfError, match=r"argo-streaming.conf: \[TENANTS:TENANTA\] ams_token: missing"):
        _load(tmp_path, LATEST_ERA.replace("ams_token: ams-token-a\n", ""))
    with pytest.raises(ConfError, match=r"\[MONGO\] endpoint|\[MONGO\]: missing"):
        _load(tmp_path, FIRST_ERA.replace("mongo_uri: mongodb://{{mongo_host}}:{{mongo_port}}/argo_TENANTA\n", ""))
    with pytest.raises(ConfError, match=r"\[TENANTS:TENANTA:ingest-metric\] checkpoint_path: unknown template"):
        _load(tmp_path, LATEST_ERA.replace("{{namenode}}/user/{{hdfs_user}}/checkpoints", "{{nowhere}}/x"))
