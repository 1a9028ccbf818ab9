"""What runs when in the task-graphs slice: one job per graph file (all its tasks), its cron
schedule if the file names one, and a failing job with the reason for a file that did not load."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

import dagster as dg

from platform_assets.taskflows.assets import graph_assets
from platform_assets.taskflows.spec import GraphSpec

if TYPE_CHECKING:  # what dg.define_asset_job returns (not exported by dagster)
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )


class TaskflowDefinitions(TypedDict):
    """Keyword arguments of ``dg.Definitions``."""

    assets: list[dg.AssetsDefinition]
    jobs: list["UnresolvedAssetJobDefinition | dg.JobDefinition"]
    schedules: list[dg.ScheduleDefinition]


def invalid_graph_job(name: str, error: Exception) -> dg.JobDefinition:
    """A graph whose file is not acceptable still shows up, as a job that fails with the reason."""

    @dg.op(name=f"taskflow_{name}_invalid")
    def _refuse() -> None:
        raise dg.Failure(str(error), allow_retries=False)

    @dg.job(name=f"taskflow_{name}", description=f"INVALID task graph: {error}")
    def _job() -> None:
        _refuse()

    return _job


def taskflow_definitions(
    graphs: list[GraphSpec], errors: Sequence[tuple[str, Exception]]
) -> TaskflowDefinitions:
    assets = [graph_assets(g) for g in graphs]
    jobs: list[UnresolvedAssetJobDefinition | dg.JobDefinition] = [
        dg.define_asset_job(
            f"taskflow_{g.name}",
            selection=dg.AssetSelection.groups(f"taskflow_{g.name}"),
            description=g.description or f"Every task of {g.shown_file}",
        )
        for g in graphs
    ]
    jobs += [invalid_graph_job(name, error) for name, error in errors]
    schedules = [
        dg.ScheduleDefinition(
            name=f"taskflow_{g.name}_schedule",
            job=job,
            cron_schedule=g.schedule,
            default_status=dg.DefaultScheduleStatus.RUNNING,
        )
        for g, job in zip(graphs, jobs, strict=False)
        if g.schedule
    ]
    return {"assets": assets, "jobs": jobs, "schedules": schedules}
