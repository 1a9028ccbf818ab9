"""``bash``: a shell command in its own process group; a non-zero exit fails the task."""

from collections.abc import Mapping
from typing import Any

from platform_assets.taskflows.process import run_process
from platform_assets.taskflows.spec import Connection, TaskSpec
from platform_assets.taskflows.task_types.base import FieldRule, TaskEnv


class BashTask:
    name = "bash"
    fields: Mapping[str, FieldRule] = {"command": FieldRule((str,), required=True)}

    def problems(self, task: TaskSpec, connections: Mapping[str, Connection]) -> list[str]:
        return [] if task.fields["command"].strip() else ["command is empty"]

    def run(self, task: TaskSpec, env: TaskEnv) -> Mapping[str, Any]:
        run_process(
            ["bash", "-c", task.fields["command"]],
            env.log,
            env.timeout_s,
            env.env,
            env.workdir,
            env.passthrough,
        )
        return {"exit_code": 0}
