"""The demo's runs as runs of the ``weir`` code location.

A run made by ``execute_in_process`` belongs to no code location, so the UI lists it under Runs
but never on the Overview timeline or its job's page. The demo creates each run with the origin
of the location ``workspace.yaml`` names (``weir``, module ``platform_assets.definitions``) and
executes it in this process: ``make dev`` then shows the demo's runs where a scheduled run would
be.
"""

import os
import sys
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.execution.api import execute_run
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

MODULE = "platform_assets.definitions"
LOCATION = "weir"  # workspace.yaml's location_name
REPOSITORY = "__repository__"  # the name Dagster gives a module's Definitions


def run_job(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    job_name: str,
    run_config: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> bool:
    """Run ``job_name`` of ``defs`` (the module's own definitions) as the ``weir`` location would;
    True when it succeeded."""
    job = defs.resolve_job_def(job_name)
    folder = os.getcwd()
    recon = ReconstructableRepository.for_module(
        MODULE, "defs", working_directory=folder
    ).get_reconstructable_job(job_name)
    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        LoadableTargetOrigin(
            executable_path=sys.executable, module_name=MODULE, working_directory=folder
        ),
        LOCATION,
    )
    all_tags = dict(tags or {})
    if partition_key is not None and job.partitions_def is not None:
        all_tags.update(job.partitions_def.get_tags_for_partition_key(partition_key))
    run = instance.create_run_for_job(
        job,
        run_config=dict(run_config or {}),
        tags=all_tags,
        remote_job_origin=RemoteJobOrigin(RemoteRepositoryOrigin(location, REPOSITORY), job_name),
        job_code_origin=recon.get_python_origin(),
    )
    return execute_run(recon, run, instance).success
