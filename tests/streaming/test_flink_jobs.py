"""The monitoring Flink jobs through Dagster, against the real Flink cluster of the session
fixture: ensure jobs (idempotent, resumed from savepoints, secrets masked), the A/R batch job
(submit and finish, input checks, insert-mode cleaning, dry run, failure), and the health sensor."""

import json
from datetime import date

import dagster as dg
import pytest

from platform_assets.streaming.jobs import ar_batch_flink, ingest_metric_stream, ingest_sync_stream
from resources.model.monitoring_conf import load_monitoring_conf
from platform_assets.streaming.submissions import stream_job_name
from resources.alerts import AlertsResource
from resources.flink import FlinkResource
from resources.monitoring_conf import MonitoringConfResource
from resources.results_store import LocalResultsResource
from sensors.flink_job_health import flink_job_health
from tests.alert_sinks import webhook_recorder
from tests.streaming.conf_files import write_conf

DAY = date(2026, 3, 2)


@pytest.fixture
def world(flink_session, tmp_path):
    url, jar, _ = flink_session
    tenant = f"t{tmp_path.name[-6:].replace('_', '')}"  # a fresh tenant per test: job names never collide
    conf = write_conf(tmp_path, url, jar, tenants=(tenant,))
    flink = FlinkResource(rest_url=url, poll_interval_s=0.3)
    yield tenant, conf, flink, tmp_path
    for job in flink.list_jobs():
        if f"/projects/{tenant.upper()}/" in job["name"] and job["state"] == "RUNNING":
            flink.cancel(job["jid"])


def _stream_run(job: dg.JobDefinition, conf, tenant: str, instance=None) -> dg.ExecuteInProcessResult:
    op = "ensure_metric_stream" if job is ingest_metric_stream else "ensure_sync_stream"
    return job.execute_in_process(run_config={"ops": {op: {"config": {"tenant": tenant}}}}, instance=instance,
                                  resources={"monitoring": MonitoringConfResource(path=str(conf))},
                                  raise_on_error=False)


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in output.event_specific_data.metadata.items()}


def test_ensure_jobs_are_idempotent_and_mask_secrets(world):
    tenant, conf, flink, _ = world
    with dg.instance_for_test() as instance:
        first = _stream_run(ingest_metric_stream, conf, tenant, instance)
        logs = " ".join(_logs(first, instance))
    assert first.success and "submitted as Flink job" in logs and "s3cr3t" not in logs
    meta = _metadata(first)
    assert meta["submitted"] is True and meta["restored_from"] == "-"
    assert "s3cr3t" not in json.dumps(meta) and "***" in meta["parameters"]
    name = stream_job_name(load_monitoring_conf(conf), tenant, "ingest-metric")
    assert flink.find_running(name) == meta["job_id"]
    again = _metadata(_stream_run(ingest_metric_stream, conf, tenant))
    assert (again["submitted"], again["job_id"]) == (False, meta["job_id"])
    sync = _stream_run(ingest_sync_stream, conf, tenant)
    assert sync.success and _metadata(sync)["job_id"] != meta["job_id"]


def test_ensure_resumes_from_the_newest_savepoint_under_the_tenant_path(world):
    tenant, conf, flink, folder = world
    job_id = _metadata(_stream_run(ingest_metric_stream, conf, tenant))["job_id"]
    savepoint = flink.stop_with_savepoint(job_id, f"file://{folder / 'checkpoints' / tenant / 'ingest-metric'}")
    resumed = _metadata(_stream_run(ingest_metric_stream, conf, tenant))
    assert resumed["submitted"] is True and resumed["restored_from"] == savepoint


def test_unknown_tenant_and_bad_config_fail_without_retry(world):
    tenant, conf, _, folder = world
    unknown = _stream_run(ingest_metric_stream, conf, "initech")
    assert not unknown.success
    assert "unknown tenant 'initech'" in unknown.failure_data_for_node("ensure_metric_stream").error.message
    hostile = _stream_run(ingest_metric_stream, conf, "../etc")
    assert "refused" in hostile.failure_data_for_node("ensure_metric_stream").error.message
    conf.write_text(conf.read_text().replace("ams_batch: 50", "ams_batch: lots"))
    bad = _stream_run(ingest_metric_stream, conf, tenant)
    assert "ams_batch: expected a whole number" in bad.failure_data_for_node("ensure_metric_stream").error.message


def _logs(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(result.run_id)]


def _ar_run(conf, tenant: str, results_root, instance=None, **config) -> dg.ExecuteInProcessResult:
    return ar_batch_flink.execute_in_process(instance=instance,
        run_config={"ops": {"submit_ar_batch": {"config": {"tenant": tenant, "report": "Critical",
                                                           "date": DAY.isoformat(), **config}}}},
        resources={"monitoring": MonitoringConfResource(path=str(conf)),
                   "results": LocalResultsResource(root=str(results_root))}, raise_on_error=False)


def _metric_days(folder, tenant: str, *days: date) -> None:
    for day in days:
        target = folder / "lake" / tenant / "mdata" / day.isoformat()
        target.mkdir(parents=True)
        (target / "part-0.avro").write_bytes(b"metric data")


def test_ar_batch_submits_the_wrapper_arguments_and_cleans_in_insert_mode(world):
    tenant, conf, _, folder = world
    _metric_days(folder, tenant, date(2026, 3, 1), DAY)
    store = LocalResultsResource(root=str(folder / "results")).store()
    doc = {"report": f"{tenant}-critical-id", "date": 20260302, "name": "SITE-A", "supergroup": "NGI", "a": 1}
    store.write_day(tenant, "endpoint_group_ar", f"{tenant}-critical-id", DAY, [doc], "upsert")
    result = _ar_run(conf, tenant, folder / "results")
    assert result.success, result.all_events
    written = (folder / "lake" / tenant / "ar_runs" / f"{tenant}-critical-id_{DAY}.txt").read_text().splitlines()
    args = dict(zip(written[::2], written[1::2]))
    assert args["--mongo.method"] == "insert" and args["--api.token"] == f"s3cr3t-{tenant}-API-KEY"
    assert args["--pdata"].endswith(f"{tenant}/mdata/2026-03-01") and args["--mdata"].endswith(f"mdata/{DAY}")
    assert store.read_day(tenant, "endpoint_group_ar", f"{tenant}-critical-id", DAY) == []
    meta = _metadata(result)
    assert meta["removed_documents"] == 1 and meta["state"] == "FINISHED"
    assert "s3cr3t" not in json.dumps(meta["arguments"])


def test_upsert_keeps_earlier_results_and_missing_input_fails_clearly(world):
    tenant, conf, _, folder = world
    _metric_days(folder, tenant, DAY)
    result = _ar_run(conf, tenant, folder / "results", method="upsert")
    assert not result.success
    message = result.failure_data_for_node("submit_ar_batch").error.message
    assert "input path(s) missing or empty" in message and f"{tenant}/mdata/2026-03-01" in message


def test_dry_run_shows_the_masked_submission_and_submits_nothing(world):
    tenant, conf, flink, folder = world
    before = len(flink.list_jobs())
    with dg.instance_for_test() as instance:
        result = _ar_run(conf, tenant, folder / "results", instance, dry_run=True)
        logs = [m for m in _logs(result, instance) if "dry run" in m]
    assert result.success
    meta = _metadata(result)
    assert meta["dry_run"] is True and "--api.token" in meta["arguments"]
    assert meta["arguments"][meta["arguments"].index("--api.token") + 1] == "***"
    assert len(flink.list_jobs()) == before
    assert logs and "s3cr3t" not in logs[0] and "FakeArJob" in logs[0]


def test_a_failing_ar_job_surfaces_the_thrown_message(world):
    tenant, conf, _, folder = world
    conf.write_text(conf.read_text().replace("batch-ar: weir.testjobs.FakeArJob", "batch-ar: weir.testjobs.ThrowingJob"))
    result = _ar_run(conf, tenant, folder / "results", check_inputs=False, method="upsert")
    assert "WEIR_TEST_FAILURE: element 2 is not allowed" in result.failure_data_for_node("submit_ar_batch").error.message


def test_health_sensor_relaunches_a_cancelled_job_once_and_alerts(world):
    tenant, conf, flink, _ = world
    monitoring = MonitoringConfResource(path=str(conf))
    with dg.instance_for_test() as instance, webhook_recorder() as (url, hooks):
        alerts = AlertsResource(slack_webhook_url=url)
        for job in (ingest_metric_stream, ingest_sync_stream):
            assert _stream_run(job, conf, tenant, instance).success

        def tick(cursor):
            with dg.build_sensor_context(instance=instance, cursor=cursor,
                                         resources={"monitoring": monitoring, "alerts": alerts}) as context:
                return flink_job_health(context)

        healthy = tick(None)
        assert healthy.run_requests == [] and json.loads(healthy.cursor) == {}
        # each tenant's job state is recorded on the stream's asset, then only when it changes
        observed = {e.asset_key.to_user_string(): e for e in healthy.asset_events}
        assert observed["streaming/metric_stream"].metadata[f"state/{tenant}"].value == "RUNNING"
        assert observed["streaming/metric_stream"].metadata[f"running/{tenant}"].value == 1.0
        for event in healthy.asset_events:
            instance.report_runless_asset_event(event)
        assert tick(healthy.cursor).asset_events == []
        name = stream_job_name(load_monitoring_conf(conf), tenant, "ingest-metric")
        job_id = flink.find_running(name)
        flink.cancel(job_id)
        flink.wait(job_id)
        incident = tick(healthy.cursor)
        [request] = incident.run_requests
        [changed] = incident.asset_events
        assert changed.asset_key == dg.AssetKey(["streaming", "metric_stream"])
        assert changed.metadata[f"state/{tenant}"].value == "CANCELED"
        assert changed.metadata[f"running/{tenant}"].value == 0.0
        assert request.job_name == "ingest_metric_stream"
        assert request.run_config == {"ops": {"ensure_metric_stream": {"config": {"tenant": tenant}}}}
        assert len(hooks) == 1 and "canceled" in json.dumps(hooks[0]) and tenant in json.dumps(hooks[0])
        assert tick(incident.cursor).run_requests == [] and len(hooks) == 1  # once per incident
        relaunch = ingest_metric_stream.execute_in_process(
            run_config=request.run_config, resources={"monitoring": monitoring}, instance=instance)
        assert _metadata(relaunch)["submitted"] is True
        assert tick(incident.cursor).cursor == "{}"


def test_health_sensor_skips_without_a_config_and_alerts_once_when_flink_is_down(tmp_path):
    with dg.instance_for_test() as instance, webhook_recorder() as (url, hooks):
        alerts = AlertsResource(slack_webhook_url=url)
        absent = MonitoringConfResource(path=str(tmp_path / "absent.cfg"))
        with dg.build_sensor_context(instance=instance, resources={"monitoring": absent, "alerts": alerts}) as ctx:
            assert "no usable monitoring config" in flink_job_health(ctx).skip_message
        down = MonitoringConfResource(path=str(write_conf(tmp_path, "http://127.0.0.1:9", tmp_path / "x.jar")))
        cursor = None
        for _ in range(2):
            with dg.build_sensor_context(instance=instance, cursor=cursor,
                                         resources={"monitoring": down, "alerts": alerts}) as ctx:
                result = flink_job_health(ctx)
            cursor = result.cursor
            assert "unreachable" in result.skip_reason.skip_message
        assert len(hooks) == 1


def test_the_readme_eras_submission_runs_on_the_real_cluster_with_the_sync_files(world):
    """The sync-files style end to end: the files the sync ingestion job writes on the lake, the
    dated ones rolled back as the wrappers did, handed to the jar on the real Flink cluster."""
    tenant, conf, _, folder = world
    _metric_days(folder, tenant, date(2026, 3, 1), DAY)
    sync = folder / "lake" / tenant / "sync"
    for name in (f"{tenant}_Critical_cfg.json", f"{tenant}_ops.json", f"{tenant}_Critical_ap.json",
                 "Critical/metric_profile_2026-03-01.avro", "Critical/group_endpoints_2026-03-02.avro",
                 "Critical/group_groups_2026-02-28.avro", "Critical/weights_2026-03-02.avro",
                 "Critical/downtimes_2026-03-02.avro", "recomp.json"):
        (sync / name).parent.mkdir(parents=True, exist_ok=True)
        (sync / name).write_text("{}")
    result = _ar_run(conf, tenant, folder / "results", method="upsert", submission="sync-files")
    assert result.success, result.all_events
    written = (folder / "lake" / tenant / "ar_runs" / f"null_{DAY}.txt").read_text().splitlines()  # no report.id
    args = dict(zip(written[::2], written[1::2]))
    assert args["--mps"] == str(sync / "Critical/metric_profile_2026-03-01.avro")
    assert args["--ggp"] == str(sync / "Critical/group_groups_2026-02-28.avro")
    assert args["--downtimes"] == str(sync / "Critical/downtimes_2026-03-02.avro") and "--api.token" not in args
    assert _metadata(result)["submission"] == "sync-files"
