"""The in-process graph scheduler with real bash tasks: order, concurrency cap, failure ->
dependents skipped, retries, timeout."""

import time
from pathlib import Path

from platform_assets.taskflows.loading import load_graph
from platform_assets.taskflows.scheduler import run_graph
from platform_assets.taskflows.task_types import TASK_TYPES
from platform_assets.taskflows.task_types.base import TaskEnv
from tests.taskflows.graphs import example_tasks, max_overlap, read_times, write_graph
import pytest

pytestmark = pytest.mark.fast  # no external service: make test-fast


def _run(graph, selected=None, lines=None):
    def run_task(task, attempt):
        return TASK_TYPES[task.type].run(task, TaskEnv(log=(lines.append if lines is not None else (lambda _: None)),
                                                       timeout_s=task.timeout_s, connections=graph.connections))
    return {o.task_id: o for o in run_graph(graph, run_task, selected, sleep=lambda _: None)}


def test_order_and_the_concurrency_cap(tmp_path):
    graph = load_graph(write_graph(tmp_path, example_tasks(tmp_path), concurrency=2), tmp_path)
    outcomes = _run(graph)
    assert {o.status for o in outcomes.values()} == {"succeeded"}
    spans = read_times(tmp_path)
    for task in graph.tasks:
        for dep in task.depends:
            assert spans[dep][1] <= spans[task.id][0], f"{task.id} started before {dep} ended"
    assert max_overlap(spans) == 2  # three roots (tarea1, tarea5, tarea7), yet never more than two at once


def test_a_failure_skips_its_dependents_and_independent_branches_go_on(tmp_path):
    graph = load_graph(write_graph(tmp_path, example_tasks(tmp_path, fail="tarea2")), tmp_path)
    outcomes = _run(graph)
    assert outcomes["tarea2"].status == "failed" and outcomes["tarea2"].error == "exit code 1"
    assert {t: outcomes[t].status for t in ("tarea3", "tarea4", "tarea6")} == dict.fromkeys(
        ("tarea3", "tarea4", "tarea6"), "skipped")
    assert outcomes["tarea3"].error == "upstream task 'tarea2' failed"
    assert {t: outcomes[t].status for t in ("tarea1", "tarea5", "tarea7")} == dict.fromkeys(
        ("tarea1", "tarea5", "tarea7"), "succeeded")
    assert set(read_times(tmp_path)) == {"tarea1", "tarea2", "tarea5", "tarea7"}


def test_retries_until_success(tmp_path):
    counter = tmp_path / "count"
    command = f"n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}; [ $n -ge 2 ]"
    graph = load_graph(write_graph(tmp_path, [{"id": "flaky", "type": "bash", "command": command, "depends": [],
                                               "retries": 3, "retry_backoff_s": 0}]), tmp_path)
    outcome = _run(graph)["flaky"]
    assert (outcome.status, outcome.attempts, counter.read_text().strip()) == ("succeeded", 3, "3")
    graph = load_graph(write_graph(tmp_path, [{"id": "never", "type": "bash", "command": "exit 3", "depends": [],
                                               "retries": 1, "retry_backoff_s": 0}]), tmp_path)
    outcome = _run(graph)["never"]
    assert (outcome.status, outcome.attempts, outcome.error) == ("failed", 2, "exit code 3")


def test_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    command = f"sleep 30 & echo $! > {pid_file}; wait"
    graph = load_graph(write_graph(tmp_path, [{"id": "slow", "type": "bash", "command": command, "depends": [],
                                               "timeout_s": 1}]), tmp_path)
    started = time.monotonic()
    outcome = _run(graph)["slow"]
    assert outcome.status == "failed" and "timed out after 1s" in outcome.error
    assert time.monotonic() - started < 10
    time.sleep(0.2)
    assert not _alive(int(pid_file.read_text())), "the task's background child survived the timeout"


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_one_task_alone_ignores_unselected_dependencies(tmp_path):
    graph = load_graph(write_graph(tmp_path, example_tasks(tmp_path)), tmp_path)
    outcomes = _run(graph, selected=["tarea4"])
    assert list(outcomes) == ["tarea4"] and set(read_times(tmp_path)) == {"tarea4"}


def test_stdout_and_stderr_reach_the_task_log_in_order(tmp_path):
    graph = load_graph(write_graph(tmp_path, [{"id": "talk", "type": "bash", "depends": [],
                                               "command": "echo out; echo err >&2; printf '\\xff\\n'"}]), tmp_path)
    lines: list[str] = []
    assert _run(graph, lines=lines)["talk"].status == "succeeded"
    assert lines == ["out", "err", "\ufffd"]


def test_a_task_with_an_undefined_dependency_never_starts_and_the_rest_runs(tmp_path):
    tasks = [t for t in example_tasks(tmp_path) if t["id"] != "tarea5"]  # as in the README: tarea5 undefined
    tasks.append({"id": "tarea8", "type": "bash", "command": "echo tarea8 >> never.log", "depends": ["tarea6"]})
    graph = load_graph(write_graph(tmp_path, tasks), tmp_path)
    outcomes = _run(graph)
    assert outcomes["tarea6"].status == "not_runnable"
    assert outcomes["tarea6"].error == "depends on undefined task 'tarea5'"
    assert outcomes["tarea8"].status == "not_runnable"
    assert outcomes["tarea8"].error == "depends on task 'tarea6' that cannot run"
    assert {t for t, o in outcomes.items() if o.status == "succeeded"} == {"tarea1", "tarea2", "tarea3", "tarea4",
                                                                           "tarea7"}
    assert set(read_times(tmp_path)) == {"tarea1", "tarea2", "tarea3", "tarea4", "tarea7"}



def test_every_blocked_task_is_not_runnable_whatever_the_file_order(tmp_path):
    tasks = [{"id": "b", "type": "bash", "command": "true", "depends": ["a"]},   # listed before its parent
             {"id": "a", "type": "bash", "command": "true", "depends": ["ghost"]},
             {"id": "c", "type": "bash", "command": "true", "depends": ["b"]}]
    outcomes = _run(load_graph(write_graph(tmp_path, tasks), tmp_path))
    assert {t: o.status for t, o in outcomes.items()} == dict.fromkeys("abc", "not_runnable")
