"""Running one task graph inside one process: dependencies, a concurrency cap, retries, skips.

Why not one Dagster step per task: a step costs about a second to launch, which would make a graph
of many short tasks far slower than the runner it replaces. Here a single step schedules the
graph's tasks on a thread pool and reports each task as it finishes, so the caller can turn every
outcome into its own asset event while the graph is still running. No Dagster import.
"""

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from platform_assets.taskflows.spec import GraphSpec, TaskSpec


class TaskFailed(RuntimeError):
    """A task ended unsuccessfully; the message says how (exit code, timeout, SQL error...)."""


@dataclass(frozen=True)
class TaskOutcome:
    task_id: str
    status: str  # "succeeded" | "failed" | "skipped" | "not_runnable"
    started: float | None = None
    ended: float | None = None
    attempts: int = 0
    error: str | None = None
    details: Mapping[str, object] | None = None  # what the task type reports (exit code, rows...)

    @property
    def duration_s(self) -> float:
        return (
            (self.ended - self.started)
            if self.started is not None and self.ended is not None
            else 0.0
        )


RunTask = Callable[[TaskSpec, int], Mapping[str, object]]
"""Runs one attempt of a task (the attempt number is 1-based); returns details or raises
TaskFailed."""


def _attempts(task: TaskSpec, run_task: RunTask, sleep: Callable[[float], None]) -> TaskOutcome:
    started = time.time()
    for attempt in range(1, task.retries + 2):
        try:
            details = run_task(task, attempt)
            return TaskOutcome(task.id, "succeeded", started, time.time(), attempt, None, details)
        except TaskFailed as exc:
            error = str(exc)
        except Exception as exc:  # a task type's bug must not take the whole graph down
            error = f"{type(exc).__name__}: {exc}"
        if attempt <= task.retries:
            sleep(task.retry_backoff_s * (2 ** (attempt - 1)))
    return TaskOutcome(task.id, "failed", started, time.time(), task.retries + 1, error)


def _dependents(graph: GraphSpec) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {t.id: [] for t in graph.tasks}
    for task in graph.tasks:
        for parent in task.depends:
            if parent in children:  # a dependency the file never defined has no children list
                children[parent].append(task.id)
    return children


def run_graph(
    graph: GraphSpec,
    run_task: RunTask,
    selected: Sequence[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[TaskOutcome]:
    """Yield each selected task's outcome as soon as it is known.

    A task starts once every selected dependency succeeded (dependencies outside the selection
    count as satisfied: that is how one task runs alone). A failed task's dependents, transitively,
    are yielded as skipped and never run; independent branches go on. A task marked not runnable
    (an undefined dependency) is yielded as such, at once, with its dependents skipped. At most
    ``graph.max_process_concurrency`` tasks run at once.
    """
    chosen = set(selected) if selected is not None else {t.id for t in graph.tasks}
    tasks = {t.id: t for t in graph.tasks if t.id in chosen}
    waiting_on = {tid: {d for d in t.depends if d in tasks} for tid, t in tasks.items()}
    children = _dependents(graph)
    done: set[str] = set()
    running: dict[Future[TaskOutcome], str] = {}
    order = [t.id for t in graph.tasks if t.id in tasks]  # file order breaks ties: predictable runs

    def skip_below(failed: str, why: str = "failed") -> Iterator[TaskOutcome]:
        stack = [failed]
        while stack:
            for child in children[stack.pop()]:
                if child in tasks and child not in done:
                    done.add(child)
                    stack.append(child)
                    yield TaskOutcome(child, "skipped", error=f"upstream task {failed!r} {why}")

    with ThreadPoolExecutor(
        max_workers=graph.max_process_concurrency, thread_name_prefix="task"
    ) as pool:
        blocked = [tid for tid in order if tasks[tid].not_runnable]
        for tid in blocked:  # all of them first: a blocked task is never reported as skipped
            done.add(tid)
            yield TaskOutcome(tid, "not_runnable", error=tasks[tid].not_runnable)
        for tid in blocked:
            yield from skip_below(tid, "cannot run")
        while len(done) < len(tasks):
            started = set(running.values())
            for tid in order:
                if len(running) >= graph.max_process_concurrency:
                    break
                if tid not in done and tid not in started and not waiting_on[tid]:
                    running[pool.submit(_attempts, tasks[tid], run_task, sleep)] = tid
            if not running:  # cannot happen for a validated (acyclic) graph; never spin
                raise RuntimeError(f"graph {graph.name!r}: no runnable task left (cycle?)")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                outcome = future.result()
                done.add(outcome.task_id)
                yield outcome
                if outcome.status == "succeeded":
                    for child in children[outcome.task_id]:
                        waiting_on.get(child, set()).discard(outcome.task_id)
                else:
                    yield from skip_below(outcome.task_id)
