"""The REST front door of the job-template service, compatible with the one it replaces.

    POST /streamsets/job-template-runner             the original payload -> {"status": "OK", "run_id"}
    GET  /streamsets/job-template-runner/<user-run-id>  the instances recorded for that run, with metrics

Bearer-token auth (``JOB_TEMPLATE_API_TOKEN``). A request is validated, its template looked up (4xx
before anything starts), then a run of ``job_template_run`` is launched through the Dagster GraphQL
API (``DAGSTER_GRAPHQL_URL``). Run it with:

    .venv/bin/python -m platform_assets.job_templates.service --port 8080
"""

import argparse
import hmac
import json
import os
from datetime import datetime
from typing import Any

import requests
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from platform_assets.job_templates.requests import RequestError, merge_parameters, parse_request
from resources.job_template_store import JobTemplateStore, TemplateNotFound

MAX_BODY_BYTES = 1_000_000
LAUNCH = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidStepError { invalidStepKey } } }"""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "ERROR", "message": message}, status_code=status)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def create_app(store: JobTemplateStore, graphql_url: str, api_token: str, location: str = "weir") -> Starlette:
    if not api_token:
        raise ValueError("JOB_TEMPLATE_API_TOKEN must be set: the service never runs without auth")
    session = requests.Session()

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), api_token.encode())

    async def launch(request: Request) -> JSONResponse:
        if not authorized(request):
            return _error(401, "missing or wrong bearer token")
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            payload = json.loads(body)
            parsed = parse_request(payload)
            template = await run_in_threadpool(store.find_template, parsed.source_type, parsed.target_type)
            for parameter_set in parsed.parameter_sets:
                merge_parameters(parameter_set, template.static_parameters, template.connections)
        except (ValueError, RequestError) as exc:  # JSONDecodeError is a ValueError
            return _error(400, str(exc) if isinstance(exc, RequestError) else "body is not valid JSON")
        except TemplateNotFound as exc:
            return _error(404, str(exc))
        config = {k: payload[k] for k in ("user-id", "user-run-id", "source-type", "target-type", "runtime-parameters")}
        params = {"selector": {"repositoryLocationName": location, "repositoryName": "__repository__",
                               "jobName": "job_template_run"},
                  "runConfigData": {"ops": {"run_job_templates": {"config": config}}},
                  "executionMetadata": {"tags": [{"key": "weir/user_run_id", "value": parsed.user_run_id}]}}
        try:
            answer = await run_in_threadpool(session.post, graphql_url, timeout=30,
                                             json={"query": LAUNCH, "variables": {"params": params}})
            result = answer.json()["data"]["launchRun"]
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return _error(503, "the Dagster instance did not accept the run")
        if result["__typename"] != "LaunchRunSuccess":
            return _error(502, f"run not launched: {result['__typename']}")
        return JSONResponse({"status": "OK", "run_id": result["run"]["runId"]})

    async def instances(request: Request) -> JSONResponse:
        if not authorized(request):
            return _error(401, "missing or wrong bearer token")
        user_run_id = request.path_params["user_run_id"]
        if len(user_run_id) > 128:
            return _error(400, "user-run-id: at most 128 characters")
        rows = await run_in_threadpool(store.instances, user_run_id)
        return JSONResponse({"user-run-id": user_run_id,
                             "instances": [{k: _json(v) for k, v in row.items()} for row in rows]})

    return Starlette(routes=[Route("/streamsets/job-template-runner", launch, methods=["POST"]),
                             Route("/streamsets/job-template-runner/{user_run_id:path}", instances, methods=["GET"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Weir's job-template REST front door")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    opts = parser.parse_args()
    graphql = os.environ.get("DAGSTER_GRAPHQL_URL", "http://127.0.0.1:3000/graphql")
    app = create_app(JobTemplateStore(dsn=os.environ.get("JOB_TEMPLATE_PG_DSN", "")), graphql,
                     os.environ.get("JOB_TEMPLATE_API_TOKEN", ""))
    uvicorn.run(app, host=opts.host, port=opts.port, log_level="warning")


if __name__ == "__main__":
    main()
