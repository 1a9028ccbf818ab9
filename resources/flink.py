"""A Flink session cluster through its REST API.

Upload a jar (reused when the same content was uploaded before: the uploaded name carries a
content hash), run it, wait for a terminal state, cancel, stop with a savepoint, find a running job
by name. A FAILED job raises with the root cause from the job's exception history; an unreachable
JobManager is an error naming its URL. Secrets passed in arguments are masked in everything this
module logs, returns as metadata or raises.
"""

import hashlib
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import requests

from resources.model.secrets import flag_values, mask_args, mask_text

TERMINAL = frozenset({"FINISHED", "FAILED", "CANCELED", "SUSPENDED"})


class FlinkError(RuntimeError):
    """The cluster refused a request or is unreachable."""


class FlinkJobFailed(FlinkError):
    """A job ended FAILED (the message carries the root cause)."""


def secrets_in(args: Sequence[str]) -> list[str]:
    """Values of secret-looking flags: ``--token X``, ``--api-key=X``, ``-password X``."""
    return flag_values(args)


def masked(args: Sequence[str]) -> list[str]:
    """``args`` as they may be shown: secret flags' values, URL/DSN passwords, secret parameters
    and the values of secret variables hidden (``resources.model.secrets``)."""
    return mask_args(args)


def root_cause(exceptions: dict[str, Any]) -> str:
    """The innermost ``Caused by`` of the newest entry of a job's exception history."""
    entries = (exceptions.get("exceptionHistory") or {}).get("entries") or []
    if not entries:
        return "no exception recorded"
    trace = entries[0].get("stacktrace", "")
    causes = re.findall(r"^Caused by: (.+)$", trace, flags=re.MULTILINE)
    return (
        causes[-1].strip()
        if causes
        else trace.splitlines()[0]
        if trace
        else entries[0].get("exceptionName", "")
    )


class FlinkResource(dg.ConfigurableResource):
    rest_url: str
    request_timeout_s: float = 30.0
    poll_interval_s: float = 0.5

    def _call(self, method: str, path: str, secrets: Sequence[str] = (), **kwargs: Any) -> Any:
        url = f"{self.rest_url.rstrip('/')}{path}"
        try:
            response = requests.request(method, url, timeout=self.request_timeout_s, **kwargs)
        except requests.ConnectionError:
            raise FlinkError(f"Flink JobManager at {self.rest_url} is unreachable") from None
        except requests.Timeout:
            raise FlinkError(
                f"Flink JobManager at {self.rest_url} did not answer {method} {path} in time"
            ) from None
        if response.status_code >= 400:
            try:
                errors = response.json().get("errors", [])
            except ValueError:
                errors = [response.text]
            detail = " | ".join(e.strip().splitlines()[-1] if e.strip() else "" for e in errors)[
                :2000
            ]
            raise FlinkError(
                mask_text(f"{method} {path} -> {response.status_code}: {detail}", secrets)
            )
        return response.json() if response.content else {}

    def upload_jar(self, jar: Path) -> str:
        """The cluster's id for ``jar``; uploads only if this content is not there yet."""
        digest = hashlib.sha256(jar.read_bytes()).hexdigest()[:16]
        name = f"{jar.stem}-{digest}.jar"
        for entry in self._call("GET", "/jars").get("files", []):
            if entry.get("name") == name:
                return entry["id"]
        with jar.open("rb") as handle:
            uploaded = self._call(
                "POST",
                "/jars/upload",
                files={"jarfile": (name, handle, "application/java-archive")},
            )
        return Path(uploaded["filename"]).name

    def jar_ids(self) -> list[str]:
        return [entry["id"] for entry in self._call("GET", "/jars").get("files", [])]

    def run(
        self,
        jar_id: str,
        entry_class: str,
        args: Sequence[str],
        parallelism: int = 1,
        savepoint_path: str | None = None,
        job_name: str | None = None,
    ) -> str:
        """Start a job; ``job_name`` is passed as ``pipeline.name`` (used by jobs that do not name
        themselves)."""
        body: dict[str, Any] = {
            "entryClass": entry_class,
            "programArgsList": list(args),
            "parallelism": parallelism,
        }
        if savepoint_path:
            body["savepointPath"] = savepoint_path
        if job_name:
            body["flinkConfiguration"] = {"pipeline.name": job_name}
        return self._call("POST", f"/jars/{jar_id}/run", secrets=secrets_in(args), json=body)[
            "jobid"
        ]

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{job_id}")

    def wait(self, job_id: str, timeout_s: float = 120, until: frozenset[str] = TERMINAL) -> str:
        """Poll until the job reaches a state in ``until``; FAILED raises with the root cause.
        RUNNING counts only when all its tasks run."""
        deadline = time.monotonic() + timeout_s
        while True:
            detail = self.job(job_id)
            state = detail["state"]
            if state == "RUNNING" and any(
                v.get("status") != "RUNNING" for v in detail.get("vertices", [])
            ):
                state = "DEPLOYING"  # RUNNING only once every task runs (a savepoint needs that)
            if state == "FAILED":
                cause = root_cause(self._call("GET", f"/jobs/{job_id}/exceptions"))
                raise FlinkJobFailed(f"Flink job {job_id} failed: {cause}")
            if state in until:
                return state
            if time.monotonic() > deadline:
                raise FlinkError(f"Flink job {job_id} still {state} after {timeout_s:.0f}s")
            time.sleep(self.poll_interval_s)

    def cancel(self, job_id: str) -> None:
        self._call("PATCH", f"/jobs/{job_id}?mode=cancel")

    def stop_with_savepoint(
        self, job_id: str, target_directory: str | None = None, timeout_s: float = 120
    ) -> str:
        """Stop the job after a savepoint; returns the savepoint's location."""
        body: dict[str, Any] = {"drain": False}
        if target_directory:
            body["targetDirectory"] = target_directory
        request_id = self._call("POST", f"/jobs/{job_id}/stop", json=body)["request-id"]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self._call("GET", f"/jobs/{job_id}/savepoints/{request_id}")
            if status["status"]["id"] == "COMPLETED":
                operation = status.get("operation") or {}
                if "location" in operation:
                    return operation["location"]
                cause = (
                    (operation.get("failure-cause") or {})
                    .get("stack-trace", "unknown")
                    .splitlines()[0]
                )
                raise FlinkError(f"savepoint of job {job_id} failed: {cause}")
            time.sleep(self.poll_interval_s)
        raise FlinkError(f"savepoint of job {job_id} not completed within {timeout_s:.0f}s")

    def list_jobs(self) -> list[dict[str, Any]]:
        return self._call("GET", "/jobs/overview").get("jobs", [])

    def find_running(self, name: str) -> str | None:
        """Id of the RUNNING (or starting) job called ``name``, if any."""
        for job in self.list_jobs():
            if job.get("name") == name and job.get("state") in {
                "RUNNING",
                "CREATED",
                "INITIALIZING",
                "RESTARTING",
            }:
                return job["jid"]
        return None
