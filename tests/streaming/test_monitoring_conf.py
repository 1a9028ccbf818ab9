"""The monitoring INI config: typed settings, errors naming section and key, lookup order, and
the tenants it feeds to the A/R slice's registry."""

from datetime import date
from pathlib import Path

import pytest

from resources.model import monitoring_conf
from resources.model.ini import ConfError
from resources.model.monitoring_conf import find_conf, load_monitoring_conf, registry_from_conf
from platform_assets.streaming.submissions import ar_batch_submission, stream_submission
from resources.model.tenancy import RegistryError
from resources.flink import masked
from resources.tenant_registry import TenantRegistryResource
from tests.streaming.conf_files import write_conf

pytestmark = pytest.mark.fast  # no external service: make test-fast

EXAMPLE = Path(__file__).resolve().parents[2] / "conf" / "conf.cfg.example"


def test_the_shipped_example_parses_into_typed_settings():
    conf = load_monitoring_conf(EXAMPLE)
    assert conf.metric_path("TENANTA", "2026-03-01") == \
        "hdfs://hdfs.example.org:8020/user/argo/argo/tenants/TENANTA/mdata/2026-03-01"
    assert (conf.bus_host, conf.bus_port, conf.api_host) == ("msg.example.org", 443, "api.example.org")
    tenant = conf.tenant("TENANTA")
    assert tenant.reports == {"Critical": "3d1f3cc4-8e0c-4d5b-9f1b-1c2a3b4c5d6e",
                              "Default": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}
    assert tenant.mongo_uri == "mongodb://mongo.example.org:27017/argo_TENANTA"
    assert tenant.api_token == "change-me-tenant-a"
    metric = tenant.streams["ingest-metric"]
    assert (metric.checkpoint_interval, metric.interval, metric.batch) == (30000, 300, 100)
    assert metric.job_name == ("Ingesting metric data from msg.example.org:443/v1/projects/TENANTA/"
                               "subscriptions/ingest_metric")
    assert tenant.streams["ingest-sync"].checkpoint_path is None
    assert "change-me" not in repr(tenant)


def test_submissions_carry_the_original_wrapper_arguments(tmp_path):
    conf = load_monitoring_conf(write_conf(tmp_path, "http://flink", tmp_path / "jobs.jar"))
    ingest = stream_submission(conf, "acme", "ingest-metric")
    args = dict(zip(ingest.args[::2], ingest.args[1::2]))
    assert args == {"--ams.endpoint": "bus.test", "--ams.port": "9092", "--ams.token": "s3cr3t-acme-T0KEN",
                    "--ams.project": "ACME", "--ams.sub": "metrics", "--hdfs.path": f"{tmp_path}/lake/acme/mdata",
                    "--check.path": f"file://{tmp_path}/checkpoints/acme/ingest-metric",
                    "--check.interval": "5000", "--ams.batch": "50", "--ams.interval": "200",
                    "--ams.verify": "false"}
    sync = dict(zip(*[iter(stream_submission(conf, "acme", "ingest-sync").args)] * 2))
    assert sync["--hdfs.path"] == f"{tmp_path}/lake/acme/sync" and "--check.path" not in sync
    assert sync["--ams.interval"] == "3000"
    ar = ar_batch_submission(conf, "acme", "Critical", date(2026, 3, 1), "upsert")
    args = dict(zip(ar.args[::2], ar.args[1::2]))
    assert args == {"--run.date": "2026-03-01", "--mongo.uri": "mongodb://127.0.0.1:27017/argo_acme",
                    "--mongo.method": "upsert", "--pdata": f"{tmp_path}/lake/acme/mdata/2026-02-28",
                    "--mdata": f"{tmp_path}/lake/acme/mdata/2026-03-01", "--api.endpoint": "127.0.0.1",
                    "--api.token": "s3cr3t-acme-API-KEY", "--report.id": "acme-critical-id"}
    assert "s3cr3t" not in " ".join(masked(ar.args)) + " ".join(masked(ingest.args))
    assert ar_batch_submission(conf, "acme", "Critical", date(2026, 3, 1)).args[5] == "insert"  # tenant default


def test_job_namespace_templates_name_the_streaming_jobs(tmp_path):
    path = write_conf(tmp_path, "http://flink", tmp_path / "jobs.jar", extra="""
[JOB-NAMESPACE]
ingest-metric-namespace: Ingesting data from {{ams_endpoint}}:{{ams_port}}/v1/projects/{{ams_project}}/subscriptions/{{ams_sub}}
""")
    conf = load_monitoring_conf(path)
    assert conf.tenant("acme").streams["ingest-metric"].job_name == \
        "Ingesting data from bus.test:9092/v1/projects/ACME/subscriptions/metrics"
    assert conf.tenant("acme").streams["ingest-sync"].job_name.startswith("Ingesting sync data from bus.test:9092")


@pytest.mark.parametrize("change, message", [
    (("bus.test:9092", "bus.test:ninety"), r"\[KAFKA\] endpoint: bad port"),
    (("mongo_method: insert", "mongo_method: replace"), r"\[TENANTS:acme\] mongo_method: must be one of insert, upsert"),
    (("report_Critical: acme-critical-id", "report_Critical: x'; drop"), r"\[TENANTS:acme\] report_Critical: report id"),
    (("[TENANTS:acme]", "[TENANTS:ac/../me]"), r"\[TENANTS:ac/../me\]: tenant 'ac/../me' refused"),
    (("job_manager: ", "job_mgr: "), r"\[FLINK\] job_manager: missing or empty"),
    (("ams_batch: 50", "ams_batch: 0"), r"\[TENANTS:acme:ingest-metric\] ams_batch: must be >= 1"),
    (("[KAFKA]", "[BUS]"), r"missing section \[AMS\] or \[KAFKA\]"),
    (("[TENANTS:acme:ingest-sync]", "[TENANTS:acne:ingest-sync]"), r"\[TENANTS:acne:ingest-sync\]: tenant 'acne'"),
    (("path_metric", "path_metric"), None),
])
def test_config_errors_name_the_section_and_key(tmp_path, change, message):
    if message is None:  # the [HDFS] form: a template naming something unknown
        change, message = (f"[LAKE]\npath: {tmp_path / 'lake'}", "[HDFS]\nnamenode: hdfs://nn:8020\n"
                           "path_metric: {{namenode}}/{{hdfs_usr}}/{{tenant}}/mdata\npath_sync: x"), \
            r"\[HDFS\] path_metric: unknown template name \{\{hdfs_usr\}\}"
    path = write_conf(tmp_path, "http://flink", tmp_path / "jobs.jar")
    path.write_text(path.read_text().replace(*change, 1))
    with pytest.raises(ConfError, match=message) as err:
        load_monitoring_conf(path)
    assert str(path) in str(err.value)


def test_unreadable_or_missing_files_are_clear_errors(tmp_path):
    (tmp_path / "bad.cfg").write_text("no section header\n")
    with pytest.raises(ConfError, match="not a readable INI file"):
        load_monitoring_conf(tmp_path / "bad.cfg")
    with pytest.raises(ConfError, match="does not exist"):
        load_monitoring_conf(tmp_path / "absent.cfg")


def test_unknown_template_name_is_refused(tmp_path):
    path = write_conf(tmp_path, "http://flink", tmp_path / "jobs.jar")
    path.write_text(path.read_text().replace("{{mongo_endpoint}}/argo", "{{mongo_host}}/argo"))
    with pytest.raises(ConfError, match=r"\[TENANTS:acme\] mongo_uri: unknown template name \{\{mongo_host\}\}"):
        load_monitoring_conf(path)


def test_lookup_order_explicit_then_system_then_project(tmp_path, monkeypatch):
    system, project = tmp_path / "etc" / "conf.cfg", tmp_path / "project" / "conf"
    monkeypatch.setattr(monitoring_conf, "SYSTEM_CONF", system)
    monkeypatch.setattr(monitoring_conf, "PROJECT_CONF_DIR", project)
    with pytest.raises(ConfError, match="no monitoring config"):
        find_conf()
    project.mkdir(parents=True)
    (project / "argo-streaming.conf").write_text("[x]\n")
    assert find_conf() == project / "argo-streaming.conf"
    (project / "conf.cfg").write_text("[x]\n")
    assert find_conf() == project / "conf.cfg"
    system.parent.mkdir()
    system.write_text("[x]\n")
    assert find_conf() == system
    explicit = tmp_path / "mine.cfg"
    explicit.write_text("[x]\n")
    assert find_conf(explicit) == explicit


def test_the_config_feeds_the_tenant_registry(tmp_path):
    path = write_conf(tmp_path, "http://flink", tmp_path / "jobs.jar", tenants=("acme", "globex"))
    registry = TenantRegistryResource(path=str(path)).load()
    assert registry.names() == ["acme", "globex"]
    acme = registry.get("acme")
    assert acme.report("Critical").id == "acme-critical-id"
    assert acme.metric_source.root == str(tmp_path / "lake")
    assert (acme.connector_source.kind, acme.connector_source.url) == ("api", "http://127.0.0.1:9/argo")
    assert acme.connector_source.token == "s3cr3t-acme-API-KEY"
    with pytest.raises(RegistryError, match="unknown tenant 'initech'"):
        registry.get("initech")
    with pytest.raises(ConfError, match="not a local <root>/<tenant>/mdata folder"):
        registry_from_conf(load_monitoring_conf(EXAMPLE))
