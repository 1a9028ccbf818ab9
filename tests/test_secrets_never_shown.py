"""Canary values set for every secret variable (and inside the monitoring config's MongoDB URI
and API proxy) never show in what a run leaves behind: the event log (messages, metadata, errors),
the run tags and the task logs. Covered runs: the A/R Flink submission's dry run (no Flink
needed) and a task graph whose task prints its environment and the canaries it knows of. The
Resources page is covered by tests/test_secrets_in_ui.py."""

import json
from pathlib import Path

import dagster as dg
import pytest

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
        monkeypatch.setenv(name, f"postgresql://weir:{value}@db.example/x" if name.endswith("_DSN") else value)
        values.append(value)
    return values


def everything_shown(instance: dg.DagsterInstance, run_id: str, folders: list[Path]) -> str:
    records = [entry.to_json() for entry in instance.all_logs(run_id)]
    run = instance.get_run_by_id(run_id)
    files = [p.read_text(errors="replace") for folder in folders for p in folder.rglob("*") if p.is_file()]
    return "\n".join([*records, json.dumps(run.tags if run else {}), *files])


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
