"""Task graphs through Dagster: one materialization per task, failures and skips recorded,
re-execution from failure, one task alone, logs on disk and in compute logs, SQL on a real
PostgreSQL, Spark through spark-submit of the installed pyspark."""

import json
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from platform_assets.taskflows.jobs import taskflow_definitions
from platform_assets.taskflows.loading import load_graphs
from resources.spark_submit import SparkSubmitResource
from tests.taskflows.graphs import example_tasks, max_overlap, read_times, write_graph


def _defs(top: Path) -> dg.Definitions:
    graphs, errors = load_graphs(top)
    return dg.Definitions(**taskflow_definitions(graphs, errors), resources={"spark_submit": SparkSubmitResource()})


def _events(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> dict[str, dict]:
    records = instance.get_records_for_run(run_id, of_type=kind).records
    return {r.event_log_entry.dagster_event.asset_key.path[-1]: {
        k: v.value for k, v in (r.event_log_entry.dagster_event.event_specific_data.materialization
                                if kind == dg.DagsterEventType.ASSET_MATERIALIZATION
                                else r.event_log_entry.dagster_event.event_specific_data.asset_observation).metadata.items()}
        for r in records}


def test_a_graph_runs_as_one_job_with_a_materialization_per_task(tmp_path):
    top = tmp_path / "flows"
    write_graph(top / "example", example_tasks(tmp_path), concurrency=2)
    with dg.instance_for_test() as instance:
        result = _defs(top).resolve_job_def("taskflow_example").execute_in_process(instance=instance)
        assert result.success
        done = _events(instance, result.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
    assert set(done) == {t["id"] for t in example_tasks(tmp_path)}
    assert done["tarea4"]["status"] == "succeeded" and done["tarea4"]["attempts"] == 1
    assert done["tarea4"]["duration_s"] > 0.2
    assert max_overlap(read_times(tmp_path)) == 2
    logs = top / "example" / "logs" / result.run_id
    assert "--- attempt 1" in (logs / "tarea4.log").read_text()
    summary = (logs / "graph.log").read_text().splitlines()
    assert len(summary) == 7 and all("\tsucceeded\t" in line and "duration=" in line for line in summary)


def test_failure_skips_dependents_and_reexecution_runs_only_what_did_not_succeed(tmp_path):
    top = tmp_path / "flows"
    write_graph(top / "example", example_tasks(tmp_path, fail="tarea2"))
    with dg.instance_for_test() as instance:
        defs = _defs(top)
        first = defs.resolve_job_def("taskflow_example").execute_in_process(instance=instance, raise_on_error=False)
        assert not first.success
        error = first.failure_data_for_node("example_tasks").error.message
        assert "failed tarea2; skipped " in error and all(t in error for t in ("tarea3", "tarea4", "tarea6"))
        seen = _events(instance, first.run_id, dg.DagsterEventType.ASSET_OBSERVATION)
        assert {t: m["status"] for t, m in seen.items()} == {"tarea2": "failed", "tarea3": "skipped",
                                                             "tarea4": "skipped", "tarea6": "skipped"}
        assert seen["tarea3"]["reason"] == "upstream task 'tarea2' failed"
        assert set(_events(instance, first.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)) == \
            {"tarea1", "tarea5", "tarea7"}

        write_graph(top / "example", example_tasks(tmp_path))  # the fix
        (tmp_path / "times.log").unlink()
        # What the UI's "Re-execute > From asset failure" selects (ReexecutionStrategy.FROM_ASSET_FAILURE)
        parent = instance.get_run_by_id(first.run_id)
        keys, _ = instance.run_domain.get_keys_to_reexecute(
            first.run_id, instance.get_execution_plan_snapshot(parent.execution_plan_snapshot_id))
        again = _defs(top).resolve_job_def("taskflow_example").execute_in_process(
            instance=instance, asset_selection=list(keys), tags={"dagster/parent_run_id": first.run_id})
        assert again.success
        rerun = set(_events(instance, again.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION))
    assert rerun == {"tarea2", "tarea3", "tarea4", "tarea6"}
    assert set(read_times(tmp_path)) == {"tarea2", "tarea3", "tarea4", "tarea6"}


def test_one_task_alone_and_task_output_in_compute_logs(tmp_path, capfd):
    top = tmp_path / "flows"
    write_graph(top / "example", example_tasks(tmp_path) + [
        {"id": "shout", "type": "bash", "command": "echo WEIR-LOUD-LINE", "depends": ["tarea7"]}])
    defs = _defs(top)
    with dg.instance_for_test() as instance:
        result = dg.materialize([defs.get_assets_def(dg.AssetKey(["taskflows", "example", "shout"]))],
                                selection=[dg.AssetKey(["taskflows", "example", "shout"])],
                                instance=instance, resources={"spark_submit": SparkSubmitResource()})
        assert result.success
        assert set(_events(instance, result.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)) == {"shout"}
    assert "[shout] WEIR-LOUD-LINE" in capfd.readouterr().out
    assert not (tmp_path / "times.log").exists()  # no dependency ran


def test_invalid_graph_shows_up_as_a_job_that_fails_with_the_reason(tmp_path):
    top = tmp_path / "flows"
    write_graph(top / "good", [{"id": "a", "type": "bash", "command": "true", "depends": []}])
    write_graph(top / "bad", [{"id": "a", "type": "bash", "command": "true", "depends": ["b"]},
                              {"id": "b", "type": "bash", "command": "true", "depends": ["a"]}])
    defs = _defs(top)
    job = defs.resolve_job_def("taskflow_bad")
    assert "INVALID task graph" in job.description and "dependency cycle" in job.description
    result = job.execute_in_process(raise_on_error=False)
    assert "dependency cycle" in result.failure_data_for_node("taskflow_bad_invalid").error.message
    assert defs.resolve_job_def("taskflow_good").execute_in_process().success


def test_sql_task_runs_on_a_real_postgres_connection(tmp_path, pg_dsn):
    top = tmp_path / "flows"
    datasources = [{"name": "warehouse", "connection_string": pg_dsn.replace("postgres:postgres@", ""),
                    "user": "postgres", "password": "postgres"}]
    write_graph(top / "sql", [
        {"id": "create", "type": "oracle", "db": "warehouse", "depends": [],
         "command": "CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2), (3);"},
        {"id": "summarise", "type": "sql", "db": "warehouse", "depends": ["create"],
         "command": "CREATE TABLE s AS SELECT sum(v) AS total FROM t"},
        {"id": "broken", "type": "sql", "db": "warehouse", "depends": ["create"], "command": "SELECT * FROM nope"},
    ], datasources=datasources)
    with dg.instance_for_test() as instance:
        result = _defs(top).resolve_job_def("taskflow_sql").execute_in_process(instance=instance, raise_on_error=False)
        done = _events(instance, result.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
        seen = _events(instance, result.run_id, dg.DagsterEventType.ASSET_OBSERVATION)
    assert set(done) == {"create", "summarise"} and done["summarise"]["rowcount"] == 1
    assert 'relation "nope" does not exist' in seen["broken"]["reason"]
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT total FROM s").fetchone() == (6,)


@pytest.mark.spark
def test_spark_task_is_submitted_with_the_fields_of_the_file(tmp_path):
    top = tmp_path / "flows"
    out = tmp_path / "spark-out.json"
    script = tmp_path / "job.py"
    script.write_text(f"""import json, sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
conf = spark.sparkContext.getConf()
total = spark.range(10).groupBy().sum("id").collect()[0][0]
json.dump({{"total": total, "master": conf.get("spark.master"), "flag": conf.get("spark.weir.flag"),
           "args": sys.argv[1:]}}, open({str(out)!r}, "w"))
spark.stop()
""")
    write_graph(top / "spark", [{"id": "aggregate", "type": "spark", "master": "local[1]", "deploy-mode": "client",
                                 "driver-memory": "512m", "ingestor-file": str(script), "depends": [],
                                 "confs": [{"key": "spark.weir.flag", "value": "on"},
                                           {"key": "spark.ui.enabled", "value": "false"}],
                                 "args": ["--day", "2026-03-01"], "env": {"SPARK_LOCAL_IP": "127.0.0.1"},
                                 "timeout_s": 300}])
    result = _defs(top).resolve_job_def("taskflow_spark").execute_in_process()
    assert result.success
    assert json.loads(out.read_text()) == {"total": 45, "master": "local[1]", "flag": "on",
                                           "args": ["--day", "2026-03-01"]}
