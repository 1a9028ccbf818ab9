"""The REST front door of the job-template service, compatible with the one it replaces.

    POST /streamsets/job-template-runner
        the original payload -> {"status": "OK", "run_id"}
    GET  /streamsets/job-template-runner/<user-run-id>
        the instances recorded for that run, with metrics

Bearer-token auth (``JOB_TEMPLATE_API_TOKEN``). A request is validated and its template looked up
(4xx before anything is recorded), then recorded durably in the store and answered with its
``run_id``; the service's launcher thread launches it as a run of ``job_template_run`` through the
Dagster GraphQL API (``DAGSTER_GRAPHQL_URL``), tagged ``weir/request_id=<run_id>`` (see launcher.py
for why the POST does not wait for Dagster). GET shows each request's state and Dagster run id.
Run it with:

    .venv/bin/python -m platform_assets.job_templates.service --port 8080
"""

import argparse
import contextlib
import hmac
import json
import threading
import uuid
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from platform_assets.job_templates.launcher import RequestLauncher
from platform_assets.job_templates.requests import RequestError, merge_parameters, parse_request
from platform_assets.job_templates.settings import JobTemplatesSettings
from resources.job_template_store import JobTemplateStore, TemplateNotFound

MAX_BODY_BYTES = 1_000_000
CONFIG_KEYS = ("user-id", "user-run-id", "source-type", "target-type", "runtime-parameters")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "ERROR", "message": message}, status_code=status)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def create_app(
    store: JobTemplateStore,
    graphql_url: str,
    api_token: str,
    location: str = "weir",
    launcher_threads: int = 2,
) -> Starlette:
    """The ASGI app; with ``launcher_threads`` > 0 it launches accepted requests while it runs."""
    if not api_token:
        raise ValueError("JOB_TEMPLATE_API_TOKEN must be set: the service never runs without auth")

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and hmac.compare_digest(
            header[7:].encode(), api_token.encode()
        )

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
            template = await run_in_threadpool(
                store.find_template, parsed.source_type, parsed.target_type
            )
            for parameter_set in parsed.parameter_sets:
                merge_parameters(parameter_set, template.static_parameters, template.connections)
        except (ValueError, RequestError) as exc:  # JSONDecodeError is a ValueError
            return _error(
                400, str(exc) if isinstance(exc, RequestError) else "body is not valid JSON"
            )
        except TemplateNotFound as exc:
            return _error(404, str(exc))
        run_id = str(uuid.uuid4())
        try:
            await run_in_threadpool(
                store.accept_request,
                run_id,
                parsed.user_id,
                parsed.user_run_id,
                {k: payload[k] for k in CONFIG_KEYS},
            )
        except (psycopg.Error, PoolTimeout):
            return _error(503, "the request store is unavailable; nothing was recorded")
        return JSONResponse({"status": "OK", "run_id": run_id})

    async def instances(request: Request) -> JSONResponse:
        if not authorized(request):
            return _error(401, "missing or wrong bearer token")
        user_run_id = request.path_params["user_run_id"]
        if len(user_run_id) > 128:
            return _error(400, "user-run-id: at most 128 characters")
        accepted = await run_in_threadpool(store.requests, user_run_id)
        rows = await run_in_threadpool(store.instances, user_run_id)
        return JSONResponse(
            {
                "user-run-id": user_run_id,
                "requests": [{k: _json(v) for k, v in row.items()} for row in accepted],
                "instances": [{k: _json(v) for k, v in row.items()} for row in rows],
            }
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        stop = threading.Event()
        launcher = RequestLauncher(store, graphql_url, location)
        threads = [
            threading.Thread(target=launcher.run, args=(stop,), name=f"launcher-{n}", daemon=True)
            for n in range(launcher_threads)
        ]
        for thread in threads:
            thread.start()
        yield
        stop.set()
        for thread in threads:
            thread.join(timeout=35)

    return Starlette(
        routes=[
            Route("/streamsets/job-template-runner", launch, methods=["POST"]),
            Route("/streamsets/job-template-runner/{user_run_id:path}", instances, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Weir's job-template REST front door")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    opts = parser.parse_args()
    settings = JobTemplatesSettings.from_env()
    store = JobTemplateStore(dsn=settings.store_dsn, pool_size=16)
    app = create_app(store, settings.graphql_url, settings.api_token)
    uvicorn.run(app, host=opts.host, port=opts.port, log_level="warning")


if __name__ == "__main__":
    main()
