"""Launching accepted requests as Dagster runs through the GraphQL API.

The REST front door only validates and records a request (a few milliseconds); launching a run
costs the Dagster webserver far more (execution plan, snapshots), and under load that cost would
be every caller's latency. So the service answers at once and this launcher, in the background,
turns accepted requests into `job_template_run` runs, oldest first.

Each request is launched once: it is claimed (``launching``), one at a time, right before the
GraphQL call and marked ``launched`` with the Dagster run id after it; the run carries the tag
``weir/request_id``. A launch whose answer is lost (a timeout, a 5xx: Dagster may have started the
run anyway) is never handed back at once: it stays claimed until the claim is older than
``STALE_AFTER_S`` (far longer than any launch takes), and then recovery, taken over by one replica
only, looks the tag up in Dagster and either records the run it finds or hands the request back.
A launcher that died mid-launch is recovered the same way. Dagster refusing the connection (nothing
was sent) puts a request back with a growing delay; Dagster refusing the run (bad config, job
absent) fails it with Dagster's message, visible through GET.
"""

import logging
import threading
import time
from collections.abc import Callable
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
    """The GraphQL endpoint did not answer (transient). ``delivered``: the request may have reached
    Dagster (a timeout or an error answer), so its effect is unknown."""

    def __init__(self, message: str, delivered: bool):
        super().__init__(message)
        self.delivered = delivered


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
        stale_after_s: float = STALE_AFTER_S,
        busy: Callable[[], bool] | None = None,
        max_defer_s: float = 5.0,
    ):
        self.store = store
        self.graphql_url = graphql_url
        self.location = location
        self.timeout_s = timeout_s
        self.stale_after_s = stale_after_s  # must exceed timeout_s and any launch Dagster finishes
        # the front door answering requests comes first: while ``busy()``, launches wait (a launch
        # costs the Dagster webserver, on the same cores, far more than a POST), but never more
        # than ``max_defer_s`` since the last one
        self.busy = busy or (lambda: False)
        self.max_defer_s = max_defer_s
        self._last_launch = time.monotonic()
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
            # a refused or timed-out connection sent nothing; anything else may have been executed
            delivered = not isinstance(exc, requests.ConnectionError)
            raise DagsterUnreachable(
                f"Dagster GraphQL at {self.graphql_url} did not answer: {exc}"[:500], delivered
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
            if exc.delivered:  # the run may exist: recovery looks it up once the claim is stale
                LOG.warning("request %s: launch answer lost, left to recovery: %s", request.id, exc)
            elif request.attempts >= MAX_ATTEMPTS:
                self.store.fail_request(
                    request.id, f"gave up after {request.attempts} attempts: {exc}"
                )
            else:
                self.store.release_request(request.id, str(exc), retry_delay_s(request.attempts))
        return False

    def launch_batch(self, limit: int = 20) -> int:
        """Launch up to ``limit`` due requests, each claimed just before its launch (a claim never
        waits behind other launches, so it cannot go stale while its launcher works); returns how
        many became runs."""
        launched = 0
        for _ in range(limit):
            if self.busy() and time.monotonic() - self._last_launch < self.max_defer_s:
                break
            claimed = self.store.claim_requests(1)
            if not claimed:
                break
            launched += self.launch(claimed[0])
            self._last_launch = time.monotonic()
        return launched

    def recover(self, older_than_s: float | None = None) -> int:
        """Settle the requests whose claim went stale (a dead launcher, a lost launch answer):
        record the run Dagster has for the request, or hand the request back. Returns how many
        were settled."""
        settled = 0
        stale_after_s = self.stale_after_s if older_than_s is None else older_than_s
        for request in self.store.stale_launching(stale_after_s):
            try:
                run_id = self.existing_run(request.id)
            except DagsterUnreachable:
                break
            if run_id:
                self.store.mark_launched(request.id, run_id)
            else:
                self.store.release_request(
                    request.id, "no run was started for the last claim; launching again", 0
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
