"""StreamSets Control Hub behind a narrow interface: start template instances, read an instance's
state and metrics, stop it.

``SdkControlHub`` wraps the StreamSets Platform SDK (``streamsets`` package; credential id and token
from the environment). No Control Hub can run on this machine, so everything around it is tested
against ``StandInControlHub``, which simulates instances that finish, fail or hang, with metrics.
"""

import json
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from resources.model.control_hub import ControlHubClient, InstanceState

SIMULATE = "WEIR_SIMULATE"  # stand-in only: finish | fail | hang
RUN_SECONDS = "WEIR_RUN_SECONDS"  # stand-in only: how long an instance runs
STOP_TIMEOUT_S = 120  # how long a stop waits for Control Hub to report the instance inactive


def _sdk_job_id(job: Any) -> str:
    """A job's id: ``id`` in SDK 7.x, ``job_id`` in 6.x (each raises for the other)."""
    try:
        return str(job.id)
    except AttributeError:
        return str(job.job_id)


class SdkControlHub:
    """The real Control Hub through the SDK (as the service Weir replaces used it). ``aster_url``:
    where the SDK looks the organisation's Control Hub up (default: StreamSets' cloud login);
    tests point it at a local HTTP stand-in of Control Hub."""

    def __init__(self, credential_id: str, token: str, aster_url: str | None = None):
        from streamsets.sdk import ControlHub  # imported only where a Control Hub is configured

        options = {"aster_url": aster_url} if aster_url else {}
        self._sch = ControlHub(credential_id=credential_id, token=token, **options)
        self._jobs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _job(self, job_id: str) -> Any:
        """The SDK's job object; one started by an earlier attempt (another process) is looked up
        in Control Hub by its id."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            job = self._sch.jobs.get(job_id=job_id)
            with self._lock:
                self._jobs[job_id] = job
        return job

    def start_template(
        self,
        template_id: str,
        parameter_sets: Sequence[Mapping[str, Any]],
        delete_after_completion: bool,
    ) -> list[str]:
        template = self._sch.jobs.get(job_id=template_id)
        # wait=False: Weir tracks the instances itself; the SDK's own wait raises when an instance
        # fails before it is seen ACTIVE and waits 300 s for one that finished before that
        instances = self._sch.start_job_template(
            template,
            runtime_parameters=[dict(p) for p in parameter_sets],
            instance_name_suffix="COUNTER",
            attach_to_template=True,
            delete_after_completion=delete_after_completion,
            wait=False,
        )
        ids = [_sdk_job_id(job) for job in instances]
        with self._lock:
            self._jobs.update(zip(ids, instances, strict=True))
        return ids

    def state(self, job_id: str) -> InstanceState:
        job = self._job(job_id)
        job.refresh()
        status = job.status.status if job.status is not None else None
        if status not in ("INACTIVE", "INACTIVE_ERROR"):
            return InstanceState(job_id, finished=False, successful=False)
        try:
            history = job.history[0]
        except IndexError:
            history = None
        try:
            metrics = job.metrics[0]
        except IndexError:  # an instance that never ran has no record counts
            metrics = None
        stamp = lambda ms: datetime.fromtimestamp(ms / 1000, UTC) if ms else None  # noqa: E731
        return InstanceState(
            job_id,
            True,
            status == "INACTIVE" and getattr(history, "color", None) == "GRAY",
            getattr(history, "error_message", None),
            getattr(metrics, "sdc_id", None),
            job.pipeline_id,
            getattr(metrics, "input_count", None),
            getattr(metrics, "output_count", None),
            getattr(metrics, "total_error_count", None),
            stamp(getattr(history, "start_time", None)),
            stamp(getattr(history, "finish_time", None)),
        )

    def stop(self, job_id: str) -> None:
        from streamsets.sdk.exceptions import JobInactiveError

        try:
            self._sch.stop_job(self._job(job_id), timeout_sec=STOP_TIMEOUT_S)
        except JobInactiveError:
            pass  # it ended in error while stopping: stopped all the same (its state says why)


class StandInControlHub:
    """Simulated instances: each runs ``WEIR_RUN_SECONDS`` (default 0) and then finishes, fails, or
    (``hang``) never ends until stopped. Record counts follow the parameters, so tests can tell
    instances apart. Like Control Hub, it outlives a run: instances are kept as files under
    ``folder`` (default: the machine's temp dir), so a retry in another process finds them."""

    def __init__(self, folder: str | None = None) -> None:
        self._lock = threading.Lock()
        self._instances: dict[str, dict[str, Any]] = {}
        self._folder = Path(folder or Path(tempfile.gettempdir()) / "weir-control-hub-stand-in")

    def _file(self, job_id: str) -> Path:
        return self._folder / f"{job_id.replace(':', '_')}.json"

    def _instance(self, job_id: str) -> dict[str, Any]:
        if job_id not in self._instances:  # started by another process (an earlier attempt)
            self._instances[job_id] = json.loads(self._file(job_id).read_text())
        return self._instances[job_id]

    def _save(self, job_id: str) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        self._file(job_id).write_text(json.dumps(self._instances[job_id], default=str))

    def started_count(self) -> int:
        """How many instances this stand-in has started, across processes (for tests)."""
        return len(list(self._folder.glob("*.json"))) if self._folder.is_dir() else 0

    def start_template(
        self,
        template_id: str,
        parameter_sets: Sequence[Mapping[str, Any]],
        delete_after_completion: bool,
    ) -> list[str]:
        ids = []
        with self._lock:
            for number, params in enumerate(parameter_sets, start=1):
                job_id = f"{template_id}:{number}:{uuid.uuid4().hex[:8]}"
                self._instances[job_id] = {
                    "params": dict(params),
                    "started": time.time(),
                    "stopped": None,
                }
                self._save(job_id)
                ids.append(job_id)
        return ids

    def state(self, job_id: str) -> InstanceState:
        with self._lock:
            instance = self._instance(job_id)
        params, started = instance["params"], instance["started"]
        mode = str(params.get(SIMULATE, "finish"))
        ends = started + float(params.get(RUN_SECONDS, 0))
        start = datetime.fromtimestamp(started, UTC)
        records = 100 + len(params) * 10
        if instance["stopped"] is not None:
            return InstanceState(
                job_id,
                True,
                False,
                "stopped",
                "engine-1",
                f"pipe-{job_id}",
                records // 2,
                records // 2,
                0,
                start,
                datetime.fromtimestamp(instance["stopped"], UTC),
            )
        if mode == "hang" or time.time() < ends:
            return InstanceState(job_id, False, False, start_time=start)
        finish = datetime.fromtimestamp(ends, UTC)
        if mode == "fail":
            return InstanceState(
                job_id,
                True,
                False,
                "RUN_ERROR: simulated stage failure",
                "engine-1",
                f"pipe-{job_id}",
                records,
                records - 7,
                7,
                start,
                finish,
            )
        return InstanceState(
            job_id,
            True,
            True,
            None,
            "engine-1",
            f"pipe-{job_id}",
            records,
            records,
            0,
            start,
            finish,
        )

    def stop(self, job_id: str) -> None:
        with self._lock:
            self._instance(job_id)["stopped"] = time.time()
            self._save(job_id)


_STAND_IN = StandInControlHub()


class StreamSetsResource(dg.ConfigurableResource):
    """``stand_in=True`` (the embedded default and tests) or a Control Hub credential from the
    environment (``STREAMSETS_CRED_ID``, ``STREAMSETS_CRED_TOKEN``; ``STREAMSETS_ASTER_URL`` where
    the organisation is looked up, if not StreamSets' cloud login). ``stand_in_folder``: where the
    stand-in keeps its instances (default: the machine's temp dir)."""

    stand_in: bool = True
    credential_id: str | None = None
    token: str | None = None
    aster_url: str | None = None
    stand_in_folder: str | None = None

    def client(self) -> ControlHubClient:
        if self.stand_in:
            return StandInControlHub(self.stand_in_folder) if self.stand_in_folder else _STAND_IN
        if not (self.credential_id and self.token):
            raise dg.Failure(
                "StreamSets Control Hub credentials are not configured "
                "(STREAMSETS_CRED_ID, STREAMSETS_CRED_TOKEN)",
                allow_retries=False,
            )
        try:
            return SdkControlHub(self.credential_id, self.token, self.aster_url)
        except ImportError:
            raise dg.Failure(
                "Control Hub credentials are set but the StreamSets SDK is not installed: "
                "pip install -e '.[streamsets]'",
                allow_retries=False,
            ) from None
