"""Validation when task-graph files load: each bad file is a clear error naming file, task and
problem, and the other graphs still load."""

import json

import pytest

from platform_assets.taskflows.loading import load_graph, load_graphs
from platform_assets.taskflows.spec import GraphSpecError
from tests.taskflows.graphs import write_graph

pytestmark = pytest.mark.fast  # no external service: make test-fast

PG = [{"name": "warehouse", "connection_string": "postgresql://127.0.0.1:5432/test", "user": "u", "password": "p"}]


def bash(tid, depends=(), **extra):
    return {"id": tid, "type": "bash", "command": "true", "depends": list(depends), **extra}


@pytest.mark.parametrize("tasks, task, problem", [
    ([bash("a"), bash("a")], "a", "duplicate task id"),
    ([bash("a", ["d"]), bash("b", ["a"]), bash("c", ["b"]), bash("d", ["c"])], None,
     r"dependency cycle: (\w) -> (\w) -> (\w) -> (\w) -> \1"),
    ([bash("a", ["a"])], "a", "dependency cycle: a -> a"),
    ([{"id": "a", "type": "powershell", "command": "x", "depends": []}], "a", "unknown type 'powershell'"),
    ([{"id": "a", "type": "bash", "depends": []}], "a", "bash task needs field 'command'"),
    ([{"id": "a", "type": "bash", "command": ["ls"], "depends": []}], "a", "field 'command' must be str, got list"),
    ([bash("a", retries="3")], "a", "retries must be a whole number"),
    ([bash("a", timeout_s=0)], "a", "timeout_s must be a number"),
    ([{"id": "a", "type": "bash", "command": "true", "depends": "b"}], "a", "depends must be a list"),
    ([bash("a", password="hunter2")], "a", "field 'password' holds a secret"),
    ([{"id": "a", "type": "oracle", "command": "select 1", "db": "warehouse",
       "dsn": "postgresql://u:pw@db/x", "depends": []}], "a", "field 'dsn' holds a secret"),
    ([{"id": "a", "type": "oracle", "command": "select 1", "db": "crm", "depends": []}], "a",
     "db 'crm' is not a connection of the datasources file"),
    ([{"id": "a", "type": "spark", "master": "local[1]", "ingestor-file": "job.sh", "depends": []}], "a",
     "ingestor-file must be a .py or .jar"),
    ([{"id": "a", "type": "spark", "master": "local[1]", "ingestor-file": "j.py", "parameters": ["x"]}], "a",
     "parameters entries must be"),
    ([{"id": "a/../b", "type": "bash", "command": "true"}], None, "task id must be"),
    (["not an object"], None, "every task must be an object"),
])
def test_bad_files_name_file_task_and_problem(tmp_path, tasks, task, problem):
    path = write_graph(tmp_path, tasks, datasources=PG)
    with pytest.raises(GraphSpecError, match=problem) as err:
        load_graph(path, tmp_path)
    assert err.value.file == str(path)
    if task:
        assert err.value.task == task and f"task '{task}'" in str(err.value)


def test_cycle_of_four_is_reported_with_its_path(tmp_path):
    path = write_graph(tmp_path, [bash("a", ["d"]), bash("b", ["a"]), bash("c", ["b"]), bash("d", ["c"]), bash("e")])
    with pytest.raises(GraphSpecError) as err:
        load_graph(path, tmp_path)
    cycle = str(err.value).split("dependency cycle: ")[1].split(" -> ")
    assert len(cycle) == 5 and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c", "d"}


def test_other_graphs_still_load_and_bad_json_is_reported(tmp_path):
    write_graph(tmp_path / "good", [bash("a"), bash("b", ["a"])])
    write_graph(tmp_path / "cyclic", [bash("a", ["b"]), bash("b", ["a"])])
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "tasks.json").write_text('{"tasks": [')
    (tmp_path / "nightly.tasks.json").write_text(json.dumps({"tasks": [bash("x")], "schedule": "0 2 * * *"}))
    (tmp_path / "badcron.tasks.json").write_text(json.dumps({"tasks": [bash("x")], "schedule": "every night"}))
    graphs, errors = load_graphs(tmp_path)
    assert sorted(g.name for g in graphs) == ["good", "nightly"]
    assert next(g for g in graphs if g.name == "nightly").schedule == "0 2 * * *"
    problems = {name: str(err) for name, err in errors}
    assert set(problems) == {"cyclic", "broken", "badcron"}
    assert "tasks file is not readable JSON" in problems["broken"] and "broken/tasks.json" in problems["broken"]
    assert "schedule must be a cron string" in problems["badcron"]


def test_config_and_datasources_are_read_from_the_graph_folder_then_the_top(tmp_path):
    write_graph(tmp_path / "g", [{"id": "q", "type": "oracle", "command": "select 1", "db": "warehouse",
                                  "depends": []}], concurrency=3)
    (tmp_path / "datasources.json").write_text(json.dumps({"connections": PG}))
    (tmp_path / "g" / "config.json").write_text(json.dumps({"max_process_concurrency": 0}))
    graphs, errors = load_graphs(tmp_path)
    assert not graphs and "max_process_concurrency must be a whole number >= 1" in str(errors[0][1])
    (tmp_path / "g" / "config.json").write_text(json.dumps({"max_process_concurrency": 3, "log_directory": "/tmp/x"}))
    [graph], _ = load_graphs(tmp_path)
    assert graph.max_process_concurrency == 3 and graph.log_directory == "/tmp/x"
    assert graph.connections["warehouse"].password == "p" and "p'" not in repr(graph.connections["warehouse"])


def test_an_undefined_dependency_blocks_only_the_tasks_below_it(tmp_path):
    """The original README's example depends on tarea5, which it never defines: the runner ran the
    rest, and so does Weir; tarea6 and whatever depends on it are marked not runnable, with why."""
    tasks = [bash("tarea1"), bash("tarea2", ["tarea1"]), bash("tarea6", ["tarea5", "tarea2"]),
             bash("tarea8", ["tarea6"]), bash("tarea7")]
    graph = load_graph(write_graph(tmp_path, tasks), tmp_path)
    blocked = {t.id: t.not_runnable for t in graph.tasks if t.not_runnable}
    assert blocked == {"tarea6": "depends on undefined task 'tarea5'",
                       "tarea8": "depends on task 'tarea6' that cannot run"}
    assert "task tarea6: not runnable, depends on undefined task 'tarea5'" in graph.warnings


def test_check_new_config_interval_and_unknown_config_keys_are_reported_not_dropped(tmp_path):
    path = write_graph(tmp_path, [bash("a")])
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "log_level": "debug"}))
    warnings = load_graph(path, tmp_path).warnings
    assert any(w.startswith("check_new_config_interval is ignored") for w in warnings)
    assert any(w.endswith("unknown key(s) ignored: log_level") for w in warnings)


def test_the_runners_own_field_forms_are_accepted(tmp_path):
    """oracle.json as the datasources file, env as a list of {key, value} (graph- and task-level, with
    $VARS expanded), numbers as strings, db on bash tasks, spark parameters/verbose/supervise."""
    (tmp_path / "oracle.json").write_text(json.dumps({"connections": PG}))
    path = write_graph(tmp_path, [
        {"id": "sp1", "type": "spark", "command": "", "db": "", "master": "spark://hdp:7077", "deploy-mode": "client",
         "name": "tickets", "verbose": "yes", "supervise": "no", "class": "x.Main", "driver-memory": "1g",
         "num-executors": "2", "executor-memory": "4g", "executor-cores": "5", "total-executor-cores": "10",
         "ingestor-file": "/opt/ingestion/tickets.jar", "parameters": [{"parameter": "2026-03-01"}],
         "confs": [{"key": "spark.driver.maxResultSize", "value": "4g"}],
         "env": [{"key": "HADOOP_USER_NAME", "value": "$WEIR_TEST_USER"}], "depends": None},
        {"id": "q", "type": "oracle", "command": "begin null; end;", "db": "warehouse", "depends": ["sp1"]},
    ])
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "env": [{"key": "TZ", "value": "UTC"}]}))
    import os

    os.environ["WEIR_TEST_USER"] = "etl"
    try:
        graph = load_graph(path, tmp_path)
    finally:
        del os.environ["WEIR_TEST_USER"]
    from platform_assets.taskflows.task_types.spark import spark_submit_command

    spark = graph.task("sp1")
    assert spark.env == {"TZ": "UTC", "HADOOP_USER_NAME": "etl"} and graph.task("q").env == {"TZ": "UTC"}
    assert spark_submit_command(spark, "spark-submit") == [
        "spark-submit", "--master", "spark://hdp:7077", "--deploy-mode", "client", "--name", "tickets", "--verbose",
        "--class", "x.Main", "--driver-memory", "1g", "--num-executors", "2", "--executor-memory", "4g",
        "--executor-cores", "5", "--total-executor-cores", "10", "--conf", "spark.driver.maxResultSize=4g",
        "/opt/ingestion/tickets.jar", "2026-03-01"]
    assert set(graph.connections) == {"warehouse"}
