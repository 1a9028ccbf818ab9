"""What Weir asks of StreamSets Control Hub: start a job template's instances, read an instance's
state, stop it. ``resources.streamsets`` implements it (the SDK, or the stand-in); the job-template
slice's kernels take it as an argument."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class InstanceState:
    job_id: str
    finished: bool
    successful: bool
    error_message: str | None = None
    engine_id: str | None = None
    pipeline_id: str | None = None
    input_count: int | None = None
    output_count: int | None = None
    error_count: int | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None


class ControlHubClient(Protocol):
    def start_template(
        self,
        template_id: str,
        parameter_sets: Sequence[Mapping[str, Any]],
        delete_after_completion: bool,
    ) -> list[str]: ...

    def state(self, job_id: str) -> InstanceState: ...

    def stop(self, job_id: str) -> None: ...
