"""The one small interface every task type implements (a new type is one module). No Dagster
import."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from platform_assets.taskflows.spec import Connection, TaskSpec


@dataclass(frozen=True)
class FieldRule:
    types: tuple[type, ...]
    required: bool = False


@dataclass
class TaskEnv:
    """What a running task may use: its log, timeout, connections, environment and Spark's
    submit."""

    log: Callable[[str], None]
    timeout_s: float | None
    connections: Mapping[str, Connection]
    env: Mapping[str, str] = field(default_factory=dict)
    spark_submit: str = "spark-submit"
    workdir: str | None = None
    passthrough: Sequence[str] = ()  # variables of the Dagster process the graph passes through


class TaskType(Protocol):
    name: str
    fields: Mapping[str, FieldRule]

    def problems(self, task: TaskSpec, connections: Mapping[str, Connection]) -> list[str]:
        """What is wrong with the task beyond field types (e.g. an unknown connection)."""
        ...

    def run(self, task: TaskSpec, env: TaskEnv) -> Mapping[str, Any]:
        """Run one attempt; return details for metadata, raise TaskFailed on failure."""
        ...
