"""Benchmark: a 200-task random DAG of `true` commands, concurrency 4, run through Weir and through
a plain Python reference scheduler (subprocess + thread pool, the same DAG and the same commands).

    .venv/bin/python benchmarks/taskflow_overhead.py [--tasks 200] [--concurrency 4] [--seed 7]

Weir is timed twice: in process (what `execute_in_process` and tests do) and as a launched run
would execute (multiprocess executor: one step subprocess for the whole graph). Per-task overhead
is the median task duration (start to end, as each scheduler records it) minus the reference's.
Targets (issue 7): Weir's whole run <= 20 s on 2 cores; per-task overhead <= 50 ms median.
Prints figures; asserts nothing about time.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg  # noqa: E402

from platform_assets.taskflows.jobs import taskflow_definitions  # noqa: E402
from platform_assets.taskflows.loading import load_graphs  # noqa: E402
from resources.spark_submit import SparkSubmitResource  # noqa: E402

COMMAND = "true"


def random_dag(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        parents = rng.sample(range(max(0, i - 20), i), k=min(i, rng.randint(0, 3))) if i else []
        tasks.append({"id": f"t{i:03d}", "type": "bash", "command": COMMAND, "depends": [f"t{p:03d}" for p in parents]})
    return tasks


def reference(tasks: list[dict], concurrency: int) -> tuple[float, list[float]]:
    """The simplest correct scheduler: start every task whose parents finished, at most N at once."""
    parents = {t["id"]: set(t["depends"]) for t in tasks}
    done: set[str] = set()
    durations: list[float] = []

    def run(tid: str) -> str:
        started = time.perf_counter()
        subprocess.run(["bash", "-c", COMMAND], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        durations.append(time.perf_counter() - started)
        return tid

    started = time.perf_counter()
    running: dict = {}
    with ThreadPoolExecutor(concurrency) as pool:
        while len(done) < len(tasks):
            for t in tasks:
                if len(running) >= concurrency:
                    break
                if t["id"] not in done and t["id"] not in running.values() and parents[t["id"]] <= done:
                    running[pool.submit(run, t["id"])] = t["id"]
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done.add(future.result())
                running.pop(future)
    return time.perf_counter() - started, durations


def definitions() -> dg.Definitions:
    graphs, errors = load_graphs(os.environ["WEIR_BENCH_TASKFLOWS"])
    assert not errors, errors
    return dg.Definitions(**taskflow_definitions(graphs, errors), resources={"spark_submit": SparkSubmitResource()})


def bench_job() -> dg.JobDefinition:
    return definitions().resolve_job_def("taskflow_bench")


def task_durations(instance: dg.DagsterInstance, run_id: str) -> list[float]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return [r.event_log_entry.dagster_event.event_specific_data.materialization.metadata["duration_s"].value
            for r in records]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="weir-taskflow-bench-"))
    tasks = random_dag(opts.tasks, opts.seed)
    (work / "bench").mkdir()
    (work / "bench" / "tasks.json").write_text(json.dumps({"tasks": tasks}))
    (work / "bench" / "config.json").write_text(json.dumps({"max_process_concurrency": opts.concurrency,
                                                           "log_directory": str(work / "logs")}))
    os.environ["WEIR_BENCH_TASKFLOWS"] = str(work)
    ref_seconds, ref_durations = reference(tasks, opts.concurrency)
    with dg.instance_for_test() as instance:
        started = time.perf_counter()
        result = bench_job().execute_in_process(instance=instance)
        in_process = time.perf_counter() - started
        assert result.success
        weir_durations = task_durations(instance, result.run_id)
        started = time.perf_counter()
        with dg.execute_job(dg.reconstructable(bench_job), instance=instance) as launched:
            assert launched.success
        multiprocess = time.perf_counter() - started
    per_task = statistics.median(weir_durations) - statistics.median(ref_durations)
    print(f"DAG: {opts.tasks} tasks of `{COMMAND}`, {sum(len(t['depends']) for t in tasks)} edges, "
          f"concurrency {opts.concurrency}")
    print(f"reference scheduler (subprocess + thread pool): {ref_seconds:6.2f} s  "
          f"median task {statistics.median(ref_durations) * 1000:.1f} ms")
    print(f"Weir, in process:                                {in_process:6.2f} s  "
          f"median task {statistics.median(weir_durations) * 1000:.1f} ms")
    print(f"Weir, as a launched run (multiprocess executor): {multiprocess:6.2f} s  (target <= 20 s)")
    print(f"per-task overhead over the reference (median):   {per_task * 1000:6.1f} ms (target <= 50 ms)")
    print(f"whole-run overhead per task (in process):        {(in_process - ref_seconds) / opts.tasks * 1000:6.1f} ms")
    print(f"materializations recorded: {len(weir_durations)} of {opts.tasks}")


if __name__ == "__main__":
    main()
