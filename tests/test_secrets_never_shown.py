"""Canary values set for every secret variable (and inside the monitoring config's MongoDB URI
and API proxy) never show in what a run leaves behind: the event log (messages, metadata, errors),
the run tags, the instance's storage files and the task logs (what a task prints goes to its log
file and to the step's stdout through the same masked writer; in-process runs capture no compute
log files, so the task logs stand for them). Every job of the code location runs
once on the local environment (a dry run for the A/R Flink submission; jobs whose service is
absent fail, and their errors are searched too), plus a task graph whose task prints its
environment and the canaries it knows of. The Resources page: tests/test_secrets_in_ui.py."""

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import yaml

import dagster as dg

from platform_assets.argo.partitions import TENANTS, tenant_day_key
from platform_assets.definitions import build_definitions
from platform_assets.demo.argo_sample import write_tenant_files
from platform_assets.environments import resources_for
from platform_assets.streaming.jobs import ar_batch_flink
from platform_assets.taskflows.definitions import build_defs as taskflow_defs
from platform_assets.taskflows.settings import TaskflowsSettings
from resources.model.secrets import SECRET_VARIABLES
from resources.monitoring_conf import MonitoringConfResource
from resources.results_store import LocalResultsResource
from resources.spark_submit import SparkSubmitResource
from tests.streaming.conf_files import write_conf
from tests.taskflows.graphs import write_graph

CANARY = "cAnArY"


def canaries(monkeypatch) -> list[str]:
    values = []
    for name in sorted(SECRET_VARIABLES):
        value = f"{CANARY}-{name.lower()}"
        # DSNs point at a closed port: a job that uses one fails at once, naming what it could
        monkeypatch.setenv(name, f"postgresql://weir:{value}@127.0.0.1:1/x" if name.endswith("_DSN") else value)
        values.append(value)
    return values


def everything_shown(instance: dg.DagsterInstance, run_id: str, folders: list[Path]) -> str:
    """The run's event log and tags, and every file under ``folders`` (storage included)."""
    records = [entry.to_json() for entry in instance.all_logs(run_id)]
    run = instance.get_run_by_id(run_id)
    files = [p.read_text(errors="replace") for folder in folders for p in folder.rglob("*") if p.is_file()]
    return "\n".join([*records, json.dumps(run.tags if run else {}), *files])


# run config for the jobs that need one (the rest run with none)
JOB_CONFIG = {
    "ar_batch_flink": {"ops": {"submit_ar_batch": {"config": {
        "tenant": "acme", "report": "Critical", "date": "2026-03-02", "dry_run": True}}}},
    "ingest_metric_stream": {"ops": {"ensure_metric_stream": {"config": {"tenant": "acme"}}}},
    "ingest_sync_stream": {"ops": {"ensure_sync_stream": {"config": {"tenant": "acme"}}}},
    "job_template_run": {"ops": {"run_job_templates": {"config": {
        "user-id": "u1", "user-run-id": "canary-run", "source-type": "oracle", "target-type": "s3",
        "runtime-parameters": [{"TABLE": "orders"}]}}}},
}


def test_every_job_of_the_code_location_shows_no_credential(tmp_path, monkeypatch):
    canaries(monkeypatch)
    days = [date.today() - timedelta(days=2), date.today() - timedelta(days=1)]
    entry = write_tenant_files(tmp_path / "sources", "acme", ["Critical"], days, seed=1, n_sites=3)
    (tmp_path / "tenants.yaml").write_text(yaml.safe_dump({"tenants": [entry]}))
    conf = write_conf(tmp_path, "http://127.0.0.1:1", tmp_path / "ar.jar", tenants=("acme",))
    conf.write_text(conf.read_text().replace("endpoint: mongodb://127.0.0.1:27017",
                                             f"endpoint: mongodb://argo:{CANARY}-mongo@127.0.0.1:27017"))
    shutil.copytree(Path(__file__).parents[1] / "conf" / "taskflows", tmp_path / "taskflows")
    for name, value in {"WEIR_DATA_DIR": str(tmp_path / "data"), "WEIR_TENANT_REGISTRY": str(tmp_path / "tenants.yaml"),
                        "WEIR_MONITORING_CONF": str(conf), "WEIR_TELEMETRY_SOURCE": "inbox"}.items():
        monkeypatch.setenv(name, value)
    defs = build_definitions(resources_for("local"), taskflows_dir=str(tmp_path / "taskflows"))
    jobs = sorted(job.name for job in defs.jobs if not job.name.startswith("__"))
    shown, outcomes = [], {}
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    with dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        instance.add_dynamic_partitions(TENANTS.name, ["acme"])
        for name in jobs:
            job = defs.resolve_job_def(name)
            partition = None
            if job.partitions_def is not None:
                partition = (str(tenant_day_key(days[-1], "acme")) if "tenant" in str(job.partitions_def)
                             else job.partitions_def.get_last_partition_key())
            result = job.execute_in_process(instance=instance, raise_on_error=False, partition_key=partition,
                                            run_config=JOB_CONFIG.get(name, {}))
            outcomes[name] = result.success
            shown.append(everything_shown(instance, result.run_id, [tmp_path / "taskflows", tmp_path / "home"]))
    assert {"argo_daily", "warehouse_load", "telemetry_ingest", "job_template_run", "ar_batch_flink",
            "taskflow_example"} <= set(jobs)
    assert outcomes["argo_daily"] and outcomes["ar_batch_flink"] and outcomes["taskflow_example"]
    assert not outcomes["job_template_run"]  # its store's DSN points at a closed port: an error to search
    text = "\n".join(shown)
    assert CANARY not in text, text[max(0, text.find(CANARY) - 300):text.find(CANARY) + 100]


def test_the_ar_dry_run_shows_no_credential(tmp_path, monkeypatch):
    values = canaries(monkeypatch)
    conf = write_conf(tmp_path, "http://127.0.0.1:9", tmp_path / "ar.jar", tenants=("acme",))
    text = conf.read_text().replace("endpoint: mongodb://127.0.0.1:27017",
                                    f"endpoint: mongodb://argo:{CANARY}-mongo@127.0.0.1:27017")
    conf.write_text(text.replace("access_token: admin-token",
                                 f"access_token: admin-token\nproxy: http://proxy-user:{CANARY}-proxy@proxy:3128"))
    with dg.instance_for_test() as instance:
        result = ar_batch_flink.execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"ops": {"submit_ar_batch": {"config": {
                "tenant": "acme", "report": "Critical", "date": "2026-03-02", "dry_run": True}}}},
            resources={"monitoring": MonitoringConfResource(path=str(conf)),
                       "results": LocalResultsResource(root=str(tmp_path / "results"))})
        shown = everything_shown(instance, result.run_id, [])
    assert result.success
    assert "--mongo.uri" in shown and "--api.proxy" in shown  # the submission is shown ...
    assert CANARY not in shown, [v for v in (*values, "mongo", "proxy") if f"{CANARY}-{v}" in shown or v in shown]


def test_a_task_graph_run_shows_no_credential(tmp_path, monkeypatch):
    canaries(monkeypatch)
    graphs = tmp_path / "graphs"
    write_graph(graphs, [{"id": "leaky", "type": "bash", "depends": [],
                          "command": "env; echo \"$SMTP_PASSWORD $SLACK_WEBHOOK_URL\"; echo done"}])
    defs = dg.Definitions.merge(taskflow_defs(TaskflowsSettings(directory=str(graphs))),
                                dg.Definitions(resources={"spark_submit": SparkSubmitResource()}))
    job = defs.resolve_job_def("taskflow_graphs")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        shown = everything_shown(instance, result.run_id, [graphs / "logs"])
    assert result.success
    assert "done" in shown and "PATH=" in shown  # the task ran and its output was logged ...
    assert CANARY not in shown  # ... but neither its environment nor its output holds a secret
