"""The task-graphs slice's settings, read when the code location loads (never at import).

| variable              | field     | default            |
|-----------------------|-----------|--------------------|
| ``WEIR_TASKFLOWS_DIR``| directory | <repo>/conf/taskflows |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "conf" / "taskflows"


@dataclass(frozen=True)
class TaskflowsSettings:
    directory: str = str(DEFAULT_DIRECTORY)  # every graph file (tasks.json) below it becomes a job

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TaskflowsSettings:
        return cls(directory=env.get("WEIR_TASKFLOWS_DIR") or str(DEFAULT_DIRECTORY))
