"""The task-graphs slice: every graph file under ``TaskflowsSettings.directory`` becomes one asset
per task, a job and (if it names one) a schedule. Built when the code location loads."""

import logging

import dagster as dg

from platform_assets.taskflows.jobs import taskflow_definitions
from platform_assets.taskflows.loading import load_graphs
from platform_assets.taskflows.settings import TaskflowsSettings


def build_defs(settings: TaskflowsSettings | None = None) -> dg.Definitions:
    """A file that does not load is logged and becomes a job that fails with the reason."""
    settings = settings or TaskflowsSettings.from_env()
    graphs, errors = load_graphs(settings.directory)
    for name, error in errors:
        logging.getLogger("weir.taskflows").error(f"task graph {name!r} not loaded: {error}")
    return dg.Definitions(**taskflow_definitions(graphs, errors))
