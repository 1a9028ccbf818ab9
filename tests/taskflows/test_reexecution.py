"""Dagster's "re-execute from failure" of a task graph runs only what did not succeed, like a run
retry (tests/test_retries_repeat_nothing.py): the succeeded task is not run again."""

from pathlib import Path

import dagster as dg

from platform_assets.taskflows.definitions import build_defs
from platform_assets.taskflows.settings import TaskflowsSettings
from resources.spark_submit import SparkSubmitResource
from tests.taskflows.graphs import write_graph


def graph_job(directory: str) -> dg.JobDefinition:
    """The task graph's job, rebuilt in the process that executes it (reconstructable)."""
    defs = dg.Definitions.merge(build_defs(TaskflowsSettings(directory=directory)),
                                dg.Definitions(resources={"spark_submit": SparkSubmitResource()},
                                               executor=dg.in_process_executor))
    return defs.resolve_job_def("taskflow_rerun")


def test_reexecution_from_failure_runs_only_the_failed_task(tmp_path: Path):
    counts = tmp_path / "counts"
    counts.mkdir()
    write_graph(tmp_path / "graphs" / "rerun", [
        {"id": "good", "type": "bash", "depends": [], "command": f"echo x >> {counts / 'good'}"},
        {"id": "bad", "type": "bash", "depends": [], "command": f"echo x >> {counts / 'bad'}; exit 3"},
    ])
    job = dg.build_reconstructable_job("tests.taskflows.test_reexecution", "graph_job",
                                       reconstructable_args=(str(tmp_path / "graphs"),))
    with dg.instance_for_test() as instance:
        first = dg.execute_job(job, instance, raise_on_error=False)
        assert not first.success
        again = dg.execute_job(job, instance, raise_on_error=False,
                               reexecution_options=dg.ReexecutionOptions.from_failure(first.run_id, instance))
        assert not again.success
    assert (counts / "good").read_text().count("x") == 1
    assert (counts / "bad").read_text().count("x") == 2
