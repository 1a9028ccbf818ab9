"""A local HTTP stand-in of the StreamSets Control Hub endpoints the StreamSets SDK (7.x) calls for
Weir's adapter (``resources.streamsets.SdkControlHub``), so that the adapter runs with the real SDK
installed and only the network is faked.

What the SDK does, and so what is served here:
- ``ControlHub(credential_id, token, aster_url=...)`` reads the organisation from the token (a JWT
  whose payload carries ``o``; no signature check), asks ``<aster_url>/api/security/public/v3/orgs/
  <org>/info`` for the landing URL (this server's own address), then reads the current user, the
  roles, each application's ``openapi.json`` (jobrunner's must describe
  ``JobTemplateCreationInfoJson``: the SDK builds the start request's body from its properties) and
  the engine lists.
- ``jobs.get(job_id=...)``: ``GET jobrunner/rest/v1/job/<id>`` and ``jobs/count``.
- ``start_job_template(...)``: ``POST job/<template>/createAndStartJobInstances``.
- ``job.refresh()``, ``job.status``, ``job.metrics``, ``job.history``: the job, its
  ``recordCountsForAllRuns`` and its ``history``.
- ``stop_job``: ``POST jobs/stopJobs``, ``currentStatus`` until INACTIVE, ``POST jobs``.

Every request except the organisation lookup must carry the credential id and token
(``X-SS-App-Component-Id``, ``X-SS-App-Auth-Token``), else 401. Instances run ``WEIR_RUN_SECONDS``
(runtime parameter) and end as ``WEIR_SIMULATE`` says: finish (INACTIVE, GRAY), fail
(INACTIVE_ERROR, RED) or hang (ACTIVE until stopped). ``requests`` records every call, so a test
can assert which endpoints the adapter used. An unknown route is a 404: nothing is answered by
accident.
"""

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

APPS = ("connection", "jobrunner", "pipelinestore", "provisioning", "security", "sequencing",
        "topology", "scheduler", "notification", "sla")
START_BODY_KEYS = ("attachToTemplate", "deleteAfterCompletion", "description", "name",
                   "namePostfixType", "paramName", "rawJobTags", "runtimeParametersList")
LANDING_SUFFIX = "/security/public-rest/v1/aster/landing"


def fake_token(org: str, credential_id: str) -> str:
    """A JWT-shaped token naming ``org`` (what the SDK decodes; standard base64, no padding)."""
    def part(value: dict) -> str:
        return base64.b64encode(json.dumps(value).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none'})}.{part({'o': org, 's': credential_id})}.c2ln"


def _ms() -> int:
    return int(time.time() * 1000)


class ControlHubState:
    """Templates and instances in memory, advanced lazily as they are read."""

    def __init__(self, org: str):
        self.org = org
        self.lock = threading.RLock()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every authorised call
        self.start_bodies: list[dict[str, Any]] = []

    def add_template(self, template_id: str, pipeline_id: str = "pipe-1") -> None:
        self.jobs[template_id] = {"id": template_id, "template": True, "pipelineId": pipeline_id,
                                  "params": {}, "run": None, "count": 0}

    def start(self, template_id: str, body: dict[str, Any]) -> list[dict[str, Any]] | None:
        template = self.jobs.get(template_id)
        if template is None or not template["template"]:
            return None
        self.start_bodies.append(body)
        started = []
        for params in body.get("runtimeParametersList") or [{}]:
            template["count"] += 1
            job_id = f"{uuid.uuid4()}:{self.org}"
            mode = str(params.get("WEIR_SIMULATE", "finish"))
            self.jobs[job_id] = {
                "id": job_id, "template": False, "pipelineId": template["pipelineId"],
                "name": f"{body.get('name') or template_id} - {template['count']}", "params": params,
                "templateJobId": template_id if body.get("attachToTemplate") else None,
                "run": {"status": "ACTIVE", "color": "GREEN", "errorMessage": None, "startTime": _ms(),
                        "finishTime": 0, "mode": mode, "ends": time.time() + float(params.get("WEIR_RUN_SECONDS", 0)),
                        "input": 0, "output": 0, "errors": 0, "stageErrors": 0, "sdcId": f"sdc-{len(self.jobs)}"},
            }
            started.append(self.jobs[job_id])
        return started

    def advance(self, job: dict[str, Any]) -> dict[str, Any] | None:
        run = job["run"]
        if run is None:
            return None
        if run["status"] == "DEACTIVATING":
            run.update(status="INACTIVE", color="GRAY", finishTime=_ms())
        elif run["status"] == "ACTIVE" and run["mode"] != "hang" and time.time() >= run["ends"]:
            records = 100 + 10 * len(job["params"])
            if run["mode"] == "fail":
                run.update(status="INACTIVE_ERROR", color="RED", finishTime=_ms(),
                           errorMessage="RUN_ERROR: stage failed", input=records, output=records - 7,
                           errors=4, stageErrors=3)
            else:
                run.update(status="INACTIVE", color="GRAY", finishTime=_ms(), input=records, output=records)
        return run

    def status(self, job: dict[str, Any]) -> dict[str, Any] | None:
        run = self.advance(job)
        if run is None:
            return None
        return {"jobId": job["id"], "status": run["status"], "color": run["color"],
                "errorMessage": run["errorMessage"], "startTime": run["startTime"],
                "finishTime": run["finishTime"], "runCount": 1, "sdcIds": [run["sdcId"]]}

    def job(self, job: dict[str, Any]) -> dict[str, Any]:
        return {"id": job["id"], "name": job.get("name", job["id"]), "jobTemplate": job["template"],
                "templateJobId": job.get("templateJobId"), "pipelineId": job["pipelineId"],
                "runtimeParameters": json.dumps(job["params"]), "executorType": "COLLECTOR",
                "organization": self.org, "currentJobStatus": self.status(job)}

    def metrics(self, job: dict[str, Any]) -> dict[str, Any]:
        run = self.advance(job)
        if run is None:
            return {}
        return {"0": {"inputCount": run["input"], "outputCount": run["output"], "errorCount": run["errors"],
                      "stageErrorsCount": run["stageErrors"], "sdcId": run["sdcId"]}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: ControlHubState
    credential_id: str
    token: str

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, code: int, value: Any) -> None:
        data = json.dumps(value).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        found = re.fullmatch(r"/api/security/public/v3/orgs/([^/]+)/info", path)
        if found and method == "GET":  # unauthenticated in Control Hub too
            host = self.headers.get("Host")
            return self._reply(200, {"data": {"id": found[1], "landingUrl": f"http://{host}{LANDING_SUFFIX}"}})
        if (self.headers.get("X-SS-App-Component-Id"), self.headers.get("X-SS-App-Auth-Token")) != (
                self.credential_id, self.token):
            return self._reply(401, {"ISSUES": [{"code": "SSO_01", "message": "not authenticated"}]})
        with self.state.lock:
            self.state.requests.append((method, path))
            answer = self._route(method, path, body)
        if answer is None:
            return self._reply(404, {"ISSUES": [{"code": "JOBRUNNER_01", "message": f"no route {path}"}]})
        self._reply(*answer)

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:  # noqa: PLR0911
        state = self.state
        if method == "GET" and path == "/security/rest/v1/currentUser":
            return 200, {"principalId": self.credential_id, "organizationId": state.org}
        if method == "GET" and path == "/security/rest/v1/roles":
            return 200, [{"id": "user", "label": "Organization User"}]
        found = re.fullmatch(r"/([a-z]+)/rest/openapi\.json", path)
        if method == "GET" and found and found[1] in APPS:
            schemas = ({"JobTemplateCreationInfoJson": {"properties": {k: {} for k in START_BODY_KEYS}}}
                       if found[1] == "jobrunner" else {})
            return 200, {"openapi": "3.0.1", "components": {"schemas": schemas}}
        if method == "GET" and path == "/assets/i18n/en.json":
            return 200, {}
        if method == "GET" and path == "/jobrunner/rest/v1/sdcs":
            return 200, {"data": [], "totalCount": 0, "offset": 0, "len": 0}
        if method == "GET" and path == "/jobrunner/rest/v1/jobs/count":
            return 200, {"count": len(state.jobs)}
        if method == "POST" and path == "/jobrunner/rest/v1/jobs/stopJobs":
            for job_id in body:
                run = state.jobs[job_id]["run"] if job_id in state.jobs else None
                if run is not None and run["status"] == "ACTIVE":
                    run["status"] = "DEACTIVATING"
            return 200, [{"jobId": job_id, "status": "DEACTIVATING"} for job_id in body]
        if method == "POST" and path == "/jobrunner/rest/v1/jobs":
            return 200, [state.job(state.jobs[i]) for i in body if i in state.jobs]
        found = re.fullmatch(r"/jobrunner/rest/v1/job/([^/]+)/createAndStartJobInstances", path)
        if method == "POST" and found:
            started = state.start(found[1], body or {})
            return None if started is None else (200, [state.status(job) for job in started])
        found = re.fullmatch(r"/timeseries/rest/v1/metrics/job/([^/]+)/recordCountsForAllRuns", path)
        if method == "GET" and found and found[1] in state.jobs:
            return 200, state.metrics(state.jobs[found[1]])
        found = re.fullmatch(r"/jobrunner/rest/v1/job/([^/]+)(/currentStatus|/history)?", path)
        if method == "GET" and found and found[1] in state.jobs:
            job = state.jobs[found[1]]
            if found[2] == "/currentStatus":
                return 200, state.status(job)
            if found[2] == "/history":
                status = state.status(job)
                return 200, [status] if status else []
            return 200, state.job(job)
        return None

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


@contextmanager
def control_hub_standin(credential_id: str = "cred-1", org: str = "org1") -> Iterator[tuple[str, str, ControlHubState]]:
    """A running stand-in: (its URL, a token for ``credential_id``, its state)."""
    state = ControlHubState(org)
    token = fake_token(org, credential_id)
    handler = type("Handler", (_Handler,), {"state": state, "credential_id": credential_id, "token": token})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", token, state
    finally:
        time.sleep(0.3)  # the SDK's engine-list thread may still be asking
        server.shutdown()
        server.server_close()
