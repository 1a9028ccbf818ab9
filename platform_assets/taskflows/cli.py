"""The task runner's command line, kept for its users: one graph file, run through Dagster.

    python -m platform_assets.taskflows run --taskfile dag1.json [--datasources desa.json]
                                            [--config config.json]
    python -m platform_assets.taskflows validate --taskfile dag1.json [--datasources desa.json]

``run`` executes the graph as the job ``taskflow_<name>`` on the instance ``DAGSTER_HOME`` names (so
the run, its per-task materializations and logs show in the UI; without ``DAGSTER_HOME`` an
in-memory instance is used and the command says so) and exits 0 only when every task succeeded.
``validate`` loads the files and prints what loading noticed; it exits 0 when every task can run, 1
when the file loads but some task cannot (an undefined dependency), 2 when the file is refused.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import dagster as dg

from platform_assets.taskflows.assets import graph_assets
from platform_assets.taskflows.loading import load_graph
from platform_assets.taskflows.spec import GraphSpec, GraphSpecError
from resources.spark_submit import SparkSubmitResource

REFUSED = 2


def _load(opts: argparse.Namespace) -> GraphSpec:
    return load_graph(
        Path(opts.taskfile).resolve(),
        datasources=Path(opts.datasources).resolve() if opts.datasources else None,
        config=Path(opts.config).resolve() if opts.config else None,
    )


def _job(graph: GraphSpec) -> dg.JobDefinition:
    defs = dg.Definitions(
        assets=[graph_assets(graph)],
        jobs=[
            dg.define_asset_job(
                f"taskflow_{graph.name}",
                selection=dg.AssetSelection.groups(f"taskflow_{graph.name}"),
                description=graph.description or f"Every task of {graph.shown_file}",
            )
        ],
        resources={"spark_submit": SparkSubmitResource(spark_home=os.environ.get("SPARK_HOME"))},
    )
    return defs.resolve_job_def(f"taskflow_{graph.name}")


def _outcomes(result: dg.ExecuteInProcessResult) -> dict[str, tuple[str, str]]:
    """Task id -> (status, reason or log file), from the run's asset events."""
    found: dict[str, tuple[str, str]] = {}
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            record: dg.AssetMaterialization | dg.AssetObservation = (
                event.step_materialization_data.materialization
            )
        elif event.event_type == dg.DagsterEventType.ASSET_OBSERVATION:
            record = event.asset_observation_data.asset_observation
        else:
            continue
        meta = {k: getattr(v, "value", v) for k, v in record.metadata.items()}
        found[record.asset_key.path[-1]] = (
            str(meta.get("status", "")),
            str(meta.get("reason") or meta.get("log_file", "")),
        )
    return found


def _loaded(opts: argparse.Namespace, warnings_to: TextIO) -> GraphSpec | None:
    """The graph with what loading noticed printed; None (the reason on stderr) when refused."""
    try:
        graph = _load(opts)
    except GraphSpecError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return None
    for warning in graph.warnings:
        print(f"warning: {warning}", file=warnings_to)
    return graph


def run(opts: argparse.Namespace) -> int:
    graph = _loaded(opts, sys.stderr)  # stdout holds the per-task lines
    if graph is None:
        return REFUSED
    if os.environ.get("DAGSTER_HOME"):
        instance = dg.DagsterInstance.get()
    else:
        print("DAGSTER_HOME is not set: the run is kept in memory only", file=sys.stderr)
        instance = dg.DagsterInstance.ephemeral()
    with instance:
        result = _job(graph).execute_in_process(instance=instance, raise_on_error=False)
    outcomes = _outcomes(result)
    for task in graph.tasks:
        status, note = outcomes.get(task.id, ("not run", ""))
        print(f"{task.id}\t{status}\t{note}")
    print(f"run {result.run_id}: {'succeeded' if result.success else 'failed'}")
    every_task_succeeded = all(outcomes.get(t.id, ("",))[0] == "succeeded" for t in graph.tasks)
    return 0 if result.success and every_task_succeeded else 1


def validate(opts: argparse.Namespace) -> int:
    graph = _loaded(opts, sys.stdout)  # the report is the output
    if graph is None:
        return REFUSED
    blocked = [t.id for t in graph.tasks if t.not_runnable]
    print(
        f"graph {graph.name}: {len(graph.tasks)} task(s)"
        + (f", {len(blocked)} cannot run: {', '.join(blocked)}" if blocked else ", all runnable")
    )
    return 1 if blocked else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platform_assets.taskflows")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("run", "run one graph file through Dagster"),
        ("validate", "check one graph file"),
    ):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("--taskfile", required=True, help="the graph file (tasks.json)")
        command.add_argument("--datasources", help="the connections file (oracle.json)")
        command.add_argument("--config", help="the runner's config.json")
    opts = parser.parse_args(argv)
    return run(opts) if opts.command == "run" else validate(opts)
