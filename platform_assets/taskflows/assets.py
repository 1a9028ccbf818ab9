"""Task graphs as Dagster assets: one asset per task (``taskflows/<graph>/<task id>``), all of a
graph's tasks in one subsettable multi-asset run by one step.

The step schedules the selected tasks itself (scheduler.py) and reports each task as its own
materialization the moment it succeeds; a failed task and the dependents skipped because of it are
recorded as observations with the reason, and the step then fails naming them, so "re-execute from
failure" runs exactly what did not succeed. Selecting one asset runs that task alone.
"""

import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from platform_assets.taskflows.scheduler import TaskOutcome, run_graph
from platform_assets.taskflows.spec import GraphSpec, TaskSpec
from platform_assets.taskflows.task_types import TASK_TYPES
from platform_assets.taskflows.task_types.base import TaskEnv
from resources.spark_submit import SparkSubmitResource


def task_key(graph: str, task_id: str) -> dg.AssetKey:
    return dg.AssetKey(["taskflows", graph, task_id])


def _stamp(seconds: float | None) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds") if seconds else "-"
    )


class _Logs:
    """Per-task log files under ``<log_directory>/<run id>/``, echoed to the step's stdout
    (Dagster's compute logs) with the task id in front; one graph log summarising every task."""

    def __init__(self, graph: GraphSpec, run_id: str):
        self.folder = Path(graph.log_directory) / run_id
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()

    def task_path(self, task_id: str) -> Path:
        return self.folder / f"{task_id}.log"

    def writer(self, task_id: str, attempt: int):  # noqa: ANN201 - a line callback
        handle = self.task_path(task_id).open("a", encoding="utf-8")
        handle.write(f"--- attempt {attempt} at {_stamp(time.time())}\n")

        def line(text: str) -> None:
            handle.write(text + "\n")
            handle.flush()
            with self.lock:
                sys.stdout.write(f"[{task_id}] {text}\n")

        return line, handle

    def summary(self, outcome: TaskOutcome) -> None:
        with (self.folder / "graph.log").open("a", encoding="utf-8") as handle:
            handle.write(
                f"{outcome.task_id}\t{outcome.status}\tstart={_stamp(outcome.started)}\t"
                f"end={_stamp(outcome.ended)}\tduration={outcome.duration_s:.3f}s"
                f"\tattempts={outcome.attempts}"
                + (f"\terror={outcome.error}" if outcome.error else "")
                + "\n"
            )


def _run_one(graph: GraphSpec, logs: _Logs, spark_submit: str):  # noqa: ANN202 - RunTask
    def run(task: TaskSpec, attempt: int):  # noqa: ANN202
        line, handle = logs.writer(task.id, attempt)
        try:
            env = TaskEnv(
                log=line,
                timeout_s=task.timeout_s,
                connections=graph.connections,
                env=task.env,
                spark_submit=spark_submit if task.type == "spark" else "",
                workdir=str(Path(graph.file).parent),
                passthrough=graph.env_passthrough,
            )
            return TASK_TYPES[task.type].run(task, env)
        except Exception as exc:
            line(f"FAILED: {exc}")
            raise
        finally:
            handle.close()

    return run


def _succeeded_in_earlier_attempts(context: dg.AssetExecutionContext, graph: GraphSpec) -> set[str]:
    """The graph's tasks that a run this one retries or re-executes (its parents, transitively)
    materialized: a retry runs only what did not succeed."""
    done: set[str] = set()
    parent = context.run.parent_run_id
    while parent:
        records = context.instance.get_records_for_run(
            parent, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        for record in records:
            event = record.event_log_entry.dagster_event
            key = event.asset_key if event else None
            if key is not None and list(key.path[:2]) == ["taskflows", graph.name]:
                done.add(key.path[-1])
        earlier = context.instance.get_run_by_id(parent)
        parent = earlier.parent_run_id if earlier else None
    return done


def _description(graph: GraphSpec, task: TaskSpec) -> str:
    text = task.description or f"{task.type} task {task.id!r} of {graph.shown_file}"
    return f"NOT RUNNABLE ({task.not_runnable}). {text}" if task.not_runnable else text


def _specs(graph: GraphSpec) -> list[dg.AssetSpec]:
    defined = {t.id for t in graph.tasks}
    return [
        dg.AssetSpec(
            key=task_key(graph.name, t.id),
            deps=[task_key(graph.name, d) for d in t.depends if d in defined],
            description=_description(graph, t),
            group_name=f"taskflow_{graph.name}",
            kinds={t.type},
            skippable=True,
            metadata={
                "task_type": t.type,
                "graph_file": graph.file,
                "retries": t.retries,
                "timeout_s": t.timeout_s or "none",
                **({"not_runnable": t.not_runnable} if t.not_runnable else {}),
            },
        )
        for t in graph.tasks
    ]


def graph_assets(graph: GraphSpec) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{graph.name}_tasks",
        specs=_specs(graph),
        can_subset=True,
        description=graph.description or f"Tasks of {graph.shown_file}",
        pool="taskflows",
    )
    def _graph(
        context: dg.AssetExecutionContext, spark_submit: SparkSubmitResource
    ) -> Iterator[dg.MaterializeResult]:
        selected = [k.path[-1] for k in context.selected_asset_keys]
        done_before = _succeeded_in_earlier_attempts(context, graph)
        if done_before & set(selected):
            context.log.info(
                f"not run again: {', '.join(sorted(done_before & set(selected)))} succeeded in an "
                "earlier attempt of this run (run retry or re-execution)"
            )
            selected = [t for t in selected if t not in done_before]
        logs = _Logs(graph, context.run.run_id)
        submit = (
            spark_submit.executable()
            if any(graph.task(t).type == "spark" for t in selected)
            else ""
        )
        context.log.info(
            f"graph {graph.name}: {len(selected)} task(s), at most {graph.max_process_concurrency} "
            f"at once; logs in {logs.folder}"
        )
        for warning in graph.warnings:
            context.log.warning(f"graph {graph.name}: {warning}")
        failed: list[str] = []
        skipped: list[str] = []
        not_runnable: list[str] = []
        for outcome in run_graph(graph, _run_one(graph, logs, submit), selected):
            logs.summary(outcome)
            key = task_key(graph.name, outcome.task_id)
            meta: dict[str, Any] = {
                "status": outcome.status,
                "started": _stamp(outcome.started),
                "ended": _stamp(outcome.ended),
                "duration_s": round(outcome.duration_s, 3),
                "attempts": outcome.attempts,
                "log_file": dg.MetadataValue.path(str(logs.task_path(outcome.task_id))),
            }
            if outcome.status == "succeeded":
                metadata: dict[str, Any] = {**meta, **(outcome.details or {})}
                yield dg.MaterializeResult(asset_key=key, metadata=metadata)
                continue
            {"failed": failed, "not_runnable": not_runnable}.get(outcome.status, skipped).append(
                outcome.task_id
            )
            context.log.error(f"task {outcome.task_id} {outcome.status}: {outcome.error}")
            context.log_event(
                dg.AssetObservation(asset_key=key, metadata={**meta, "reason": outcome.error or ""})
            )
        if failed or not_runnable:
            parts = [
                f"{what} {', '.join(ids)}"
                for what, ids in (
                    ("failed", failed),
                    ("not runnable", not_runnable),
                    ("skipped", skipped),
                )
                if ids
            ]
            raise dg.Failure(
                f"graph {graph.name}: " + "; ".join(parts),
                metadata={"failed": failed, "not_runnable": not_runnable, "skipped": skipped},
                allow_retries=False,
            )

    return _graph
