"""What a task graph is, as plain data: the typed form of the runner's JSON files. No Dagster
import.

A graph is one tasks file plus the runner's ``config.json`` next to it (concurrency cap, log
directory) and a datasources file (named connections with their credentials). Weir reads these
files unchanged; the extensions it adds (retries, backoff, timeout, env, description, schedule)
are optional keys the original runner ignores.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class GraphSpecError(ValueError):
    """A task-graph file is not acceptable; the message names the file, the task and the problem."""

    def __init__(self, file: str, problem: str, task: str | None = None):
        self.file, self.task, self.problem = file, task, problem
        where = f"{file}, task {task!r}" if task else file
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Connection:
    """A named connection of the datasources file (the only place credentials may live)."""

    name: str
    connection_string: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TaskSpec:
    id: str
    type: str
    depends: tuple[str, ...]
    fields: Mapping[str, Any]  # the type-specific fields, as spelled in the file
    retries: int = 0
    retry_backoff_s: float = 1.0
    timeout_s: float | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    # why the task can never run (it depends on a task the file does not define), else None
    not_runnable: str | None = None


@dataclass(frozen=True)
class GraphSpec:
    name: str
    file: str
    tasks: tuple[TaskSpec, ...]
    max_process_concurrency: int = 4
    log_directory: str = "logs"
    schedule: str | None = None
    description: str | None = None
    connections: Mapping[str, Connection] = field(default_factory=dict)
    # variables of the Dagster process its tasks may see (config.json ``env_passthrough``)
    env_passthrough: tuple[str, ...] = ()
    # what loading the files noticed but accepted: ignored keys, tasks that cannot run
    warnings: tuple[str, ...] = ()

    @property
    def shown_file(self) -> str:
        """The graph file as the UI names it: its folder and name, not the machine's absolute
        path (the ``graph_file`` metadata keeps that)."""
        parts = self.file.replace("\\", "/").rstrip("/").split("/")
        return "/".join(parts[-2:])

    def task(self, task_id: str) -> TaskSpec:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)
