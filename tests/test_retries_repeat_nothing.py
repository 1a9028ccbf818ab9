"""Run retries never repeat what succeeded, on a real instance with the production dagster.yaml
(run retries on: 2 retries) against PostgreSQL: a task graph with one succeeding and one failing
task runs the succeeding task once over the three attempts; a job_template_run with one good and
one failing instance starts each instance once and records two instance rows. The same runs check
the compute logs for secrets: canary secrets in the deployment's environment appear in none of
the files the instance keeps (compute logs, storage), nor in the task logs."""

import json
import time

import psycopg

from resources.job_template_store import JobTemplateStore
from resources.streamsets import RUN_SECONDS, SIMULATE, StandInControlHub
from tests.dagster_services import dagster_deployment, production_home
from tests.taskflows.graphs import write_graph

LAUNCH = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""
RUNS = """query Runs($job: String!) { runsOrError(filter: {pipelineName: $job}) {
  ... on Runs { results { runId status tags { key value } } } } }"""


def launch(graphql, job: str, run_config: dict | None = None) -> str:
    params = {"selector": {"repositoryLocationName": "weir", "repositoryName": "__repository__", "jobName": job},
              "runConfigData": run_config or {}}
    result = graphql(LAUNCH, {"params": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def attempts_done(graphql, job: str, expected: int, timeout_s: float = 240) -> list[dict]:
    """The runs of ``job`` once ``expected`` of them (the run and its retries) have ended."""
    deadline = time.monotonic() + timeout_s
    while True:
        runs = graphql(RUNS, {"job": job})["runsOrError"]["results"]
        ended = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        if len(ended) >= expected and len(ended) == len(runs):
            time.sleep(3)  # a further retry would be queued by now
            runs = graphql(RUNS, {"job": job})["runsOrError"]["results"]
            if len(runs) == len(ended):
                return runs
        assert time.monotonic() < deadline, runs
        time.sleep(1)


def test_retries_of_a_task_graph_and_of_a_job_template_run_repeat_nothing(tmp_path, pg_dsn):
    graphs = tmp_path / "graphs" / "retry"
    counts = tmp_path / "counts"
    counts.mkdir()
    write_graph(graphs, [
        {"id": "good", "type": "bash", "depends": [],
         "command": f"env; echo \"[$SMTP_PASSWORD]\"; echo x >> {counts / 'good'}"},
        {"id": "bad", "type": "bash", "depends": [], "command": f"echo x >> {counts / 'bad'}; exit 3"},
    ], name="tasks.json")
    store = JobTemplateStore(dsn=pg_dsn)
    store.migrate()
    store.add_template("oracle_to_s3", "oracle", "s3", "sch-tpl-1", {RUN_SECONDS: 0.1}, {})
    stand_in = tmp_path / "control-hub"
    home, env = production_home(tmp_path, pg_dsn)
    env.update({"WEIR_TASKFLOWS_DIR": str(tmp_path / "graphs"), "JOB_TEMPLATE_PG_DSN": pg_dsn,
                "TMPDIR": str(stand_in), "SMTP_PASSWORD": "cAnArY-smtp", "AWS_SECRET_ACCESS_KEY": "cAnArY-aws",
                "MONGO_URL": "mongodb://u:cAnArY-mongo@h/x"})
    stand_in.mkdir()
    request = {"user-id": "u1", "user-run-id": "retry-1", "source-type": "oracle", "target-type": "s3",
               "runtime-parameters": [{"TABLE": "good"}, {"TABLE": "bad", SIMULATE: "fail"}],
               "poll-seconds": 0.1}
    with dagster_deployment(home, env) as (_, graphql):
        launch(graphql, "taskflow_retry")
        launch(graphql, "job_template_run", {"ops": {"run_job_templates": {"config": request}}})
        graph_runs = attempts_done(graphql, "taskflow_retry", 3)
        template_runs = attempts_done(graphql, "job_template_run", 3)
    assert len(graph_runs) == 3 and {r["status"] for r in graph_runs} == {"FAILURE"}  # 2 retries
    assert (counts / "good").read_text().count("x") == 1  # succeeded once, never repeated
    assert (counts / "bad").read_text().count("x") == 3  # what failed is what a retry runs
    assert len(template_runs) == 3
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT job_run_id) FROM streamsets.job_instance "
                            "WHERE user_run_id = 'retry-1'").fetchone()
        launches = conn.execute("SELECT count(*) FROM streamsets.instance_launch").fetchone()[0]
    assert rows == (2, 2) and launches == 2
    kept = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix in (".out", ".err", ".complete") for p in kept)  # compute logs were captured
    leaked = [str(p) for p in kept if b"cAnArY" in p.read_bytes()]
    assert leaked == []
    assert "[]" in "".join(p.read_text(errors="replace") for p in (graphs / "logs").rglob("*.log"))
    hub = StandInControlHub(str(stand_in / "weir-control-hub-stand-in"))
    assert hub.started_count() == 2, json.dumps(sorted(p.name for p in stand_in.rglob("*")))
