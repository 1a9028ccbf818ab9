"""Launching accepted requests as Dagster runs through the GraphQL API.

The REST front door only validates and records a request (a few milliseconds); launching a run
costs the Dagster webserver far more (execution plan, snapshots), and under load that cost would
be every caller's latency. So the service answers at once and this launcher, in the background,
turns accepted requests into `job_template_run` runs, oldest first.

Each request is launched once: it is claimed (``launching``) before the GraphQL call and marked
``launched`` with the Dagster run id after it; the run carries the tag ``weir/request_id``. A
launcher that died between the two leaves the request ``launching``; recovery looks the tag up in
Dagster and either records the run it finds or hands the request back for launching. Dagster being
unreachable puts a request back with a growing delay; Dagster refusing it (bad config, job absent)
fails it with Dagster's message, visible through GET.
"""

import logging
import threading
import time
from typing import Any

import requests

from resources.job_template_store import JobTemplateStore, RunRequest

LOG = logging.getLogger("weir.job_templates.launcher")
REQUEST_TAG = "weir/request_id"
MAX_ATTEMPTS = 20
STALE_AFTER_S = 120.0

LAUNCH = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } }
  ... on InvalidStepError { invalidStepKey }
  ... on PipelineNotFoundError { message } ... on RunConflict { message } } }"""
RUNS_WITH_TAG = """query Runs($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) {
  ... on Runs { results { runId } } } }"""


class DagsterUnreachable(RuntimeError):
    """The GraphQL endpoint did not answer (transient: the request is retried)."""


class RunRefused(RuntimeError):
    """Dagster answered and refused the run (permanent: the request fails with the reason)."""


def retry_delay_s(attempts: int) -> float:
    return min(60.0, 0.5 * 2 ** max(0, attempts - 1))


class RequestLauncher:
    def __init__(
        self,
        store: JobTemplateStore,
        graphql_url: str,
        location: str = "weir",
        timeout_s: float = 30,
    ):
        self.store = store
        self.graphql_url = graphql_url
        self.location = location
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = self.session.post(
                self.graphql_url,
                json={"query": query, "variables": variables},
                timeout=self.timeout_s,
            )
            answer.raise_for_status()
            return answer.json()["data"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise DagsterUnreachable(
                f"Dagster GraphQL at {self.graphql_url} did not answer: {exc}"[:500]
            ) from None

    def launch_run(self, request: RunRequest) -> str:
        params = {
            "selector": {
                "repositoryLocationName": self.location,
                "repositoryName": "__repository__",
                "jobName": "job_template_run",
            },
            "runConfigData": {"ops": {"run_job_templates": {"config": request.config}}},
            "executionMetadata": {
                "tags": [
                    {"key": "weir/user_run_id", "value": request.user_run_id},
                    {"key": REQUEST_TAG, "value": request.id},
                ]
            },
        }
        result = self._graphql(LAUNCH, {"params": params})["launchRun"]
        if result["__typename"] == "LaunchRunSuccess":
            return result["run"]["runId"]
        detail = (
            result.get("message")
            or "; ".join(e["message"] for e in result.get("errors", []))
            or result.get("invalidStepKey")
            or ""
        )
        raise RunRefused(f"Dagster refused the run ({result['__typename']}): {detail}"[:2000])

    def existing_run(self, request_id: str) -> str | None:
        found = self._graphql(RUNS_WITH_TAG, {"tags": [{"key": REQUEST_TAG, "value": request_id}]})
        results = (found.get("runsOrError") or {}).get("results") or []
        return results[0]["runId"] if results else None

    def launch(self, request: RunRequest) -> bool:
        """Launch one claimed request; True when it became a run."""
        try:
            self.store.mark_launched(request.id, self.launch_run(request))
            return True
        except RunRefused as exc:
            LOG.error("request %s refused: %s", request.id, exc)
            self.store.fail_request(request.id, str(exc))
        except DagsterUnreachable as exc:
            if request.attempts >= MAX_ATTEMPTS:
                self.store.fail_request(
                    request.id, f"gave up after {request.attempts} attempts: {exc}"
                )
            else:
                self.store.release_request(request.id, str(exc), retry_delay_s(request.attempts))
        return False

    def launch_batch(self, limit: int = 20) -> int:
        """Claim and launch up to ``limit`` due requests; returns how many became runs."""
        return sum(self.launch(request) for request in self.store.claim_requests(limit))

    def recover(self, older_than_s: float = STALE_AFTER_S) -> int:
        """Settle requests a dead launcher left ``launching``: record the run it had launched, or
        hand the request back. Returns how many were settled."""
        settled = 0
        for request in self.store.stale_launching(older_than_s):
            try:
                run_id = self.existing_run(request.id)
            except DagsterUnreachable:
                break
            if run_id:
                self.store.mark_launched(request.id, run_id)
            else:
                self.store.release_request(
                    request.id, "launcher stopped mid-launch; launching again", 0
                )
            settled += 1
        return settled

    def run(
        self, stop: threading.Event, idle_s: float = 0.2, recover_every_s: float = 30.0
    ) -> None:
        """Loop until ``stop``: launch what is due, recover stale claims now and then."""
        next_recovery = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_recovery:
                    self.recover()
                    next_recovery = time.monotonic() + recover_every_s
                launched = self.launch_batch()
            except Exception:  # the store being down must not kill the launcher thread
                LOG.exception("launcher round failed; retrying")
                launched = 0
            if not launched:
                stop.wait(idle_s)
