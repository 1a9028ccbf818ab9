"""The REST front door of the job-template service, compatible with the one it replaces.

    POST /streamsets/job-template-runner
        the original payload -> {"status": "OK", "run_id"}
    GET  /streamsets/job-template-runner/<user-run-id>
        the instances recorded for that run, with metrics

Bearer-token auth (``JOB_TEMPLATE_API_TOKEN``) by default; ``--auth none`` serves the original
service's open door (its README's curl sends no token), and only on a loopback address, so an
unauthenticated service is never reachable from another machine. A request is validated and
its template looked up (4xx before anything is recorded), then recorded durably in the store and
answered with its ``run_id`` (requests arriving together share one transaction:
group_commit.py); the service's launcher thread launches it as a run of ``job_template_run``
through the Dagster GraphQL API (``DAGSTER_GRAPHQL_URL``), tagged ``weir/request_id=<run_id>``
(see launcher.py for why the POST does not wait for Dagster). GET shows each request's state
and Dagster run id. Run it with:

    .venv/bin/python -m platform_assets.job_templates.service [--port 8888] [--auth none]
"""

import argparse
import asyncio
import contextlib
import hmac
import json
import math
import threading
import time
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

from platform_assets.job_templates.group_commit import GroupCommit
from platform_assets.job_templates.http_server import (
    HEADER_TIMEOUT_S,
    MAX_CONNECTIONS,
    server_config,
)
from platform_assets.job_templates.launcher import RequestLauncher
from platform_assets.job_templates.requests import RequestError, merge_parameters, parse_request
from platform_assets.job_templates.settings import JobTemplatesSettings
from resources.job_template_store import (
    JobTemplate,
    JobTemplateStore,
    NewRequest,
    RequestConflict,
    TemplateNotFound,
)

MAX_BODY_BYTES = 1_000_000
DEFAULT_PORT = 8888  # the original service's port
AUTH_MODES = ("bearer", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
CONFIG_KEYS = ("user-id", "user-run-id", "source-type", "target-type", "runtime-parameters")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "ERROR", "message": message}, status_code=status)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


BUSY_FOR_S = 0.25  # a POST within this long: the front door is busy, launches wait
# after a (re)start the front door is busy first: clients that were cut off re-send at once, and
# the launcher, which would otherwise start on the backlog before the port even opens, waits
STARTUP_QUIET_S = 1.0
WARM_THREADS = 40  # anyio's default worker-thread limit
TEMPLATE_CACHE_S = 5.0


class TemplateCache:
    """Templates by (source, target) for ``TEMPLATE_CACHE_S``: a burst of POSTs for the same pattern
    looks it up once, not once per request (a template added or changed shows within 5 s). Misses
    are looked up one at a time, so requests that miss together wait for one lookup instead of each
    querying the store; ``preload`` fills the cache as the service starts."""

    def __init__(self, store: JobTemplateStore):
        self.store = store
        self.found: dict[tuple[str, str], tuple[float, JobTemplate]] = {}
        self.lock = threading.Lock()

    def cached(self, source: str, target: str) -> JobTemplate | None:
        """The template if looked up within ``TEMPLATE_CACHE_S`` (no I/O: the event loop calls
        it directly, sparing a thread hop per request)."""
        cached = self.found.get((source, target))
        if cached is not None and time.monotonic() - cached[0] < TEMPLATE_CACHE_S:
            return cached[1]
        return None

    def find(self, source: str, target: str) -> JobTemplate:
        cached = self.cached(source, target)
        if cached is not None:
            return cached
        with self.lock:
            cached = self.cached(source, target)  # looked up while this request waited
            if cached is not None:
                return cached
            template = self.store.find_template(source, target)
            self.found[(source, target)] = (time.monotonic(), template)
            return template

    def preload(self) -> None:
        for source, target in self.store.patterns():
            with contextlib.suppress(TemplateNotFound):
                self.find(source, target)


MAX_DEPTH = 32  # the payload is two levels deep; anything far deeper is refused, not recursed into
MAX_NUMBER_CHARS = 40


def _number(text: str) -> float | int:
    """A JSON number within bounds: no NaN/Infinity (refused before), nothing that overflows a
    double, no integer of thousands of digits."""
    if len(text) > MAX_NUMBER_CHARS:
        raise RequestError(f"number {text[:20]}... is longer than {MAX_NUMBER_CHARS} characters")
    value = float(text) if any(c in text for c in ".eE") else int(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise RequestError(f"number {text} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise RequestError(f"{name} is not a JSON number")


def _checked_strings(value: Any, depth: int = 0) -> None:
    """Refuse what JSON allows but nothing downstream can store: lone surrogates, NUL characters,
    absurd nesting."""
    if depth > MAX_DEPTH:
        raise RequestError(f"nested deeper than {MAX_DEPTH} levels")
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        for text in (key, item):
            if isinstance(text, str):
                if "\x00" in text:
                    raise RequestError("NUL characters are not allowed")
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise RequestError(
                        "a string holds a lone surrogate (not valid Unicode)"
                    ) from None
        if isinstance(item, (dict, list)):
            _checked_strings(item, depth + 1)


def parse_body(body: bytes) -> Any:
    """The request body as JSON, or RequestError saying why not (answered 400, never 500)."""
    try:
        payload = json.loads(
            body, parse_constant=_refuse_constant, parse_float=_number, parse_int=_number
        )
    except RecursionError:
        raise RequestError(f"nested deeper than {MAX_DEPTH} levels") from None
    except RequestError:
        raise
    except UnicodeDecodeError:
        raise RequestError("body is not UTF-8") from None
    except ValueError as exc:  # JSONDecodeError
        raise RequestError(f"body is not valid JSON ({str(exc)[:100]})") from None
    _checked_strings(payload if isinstance(payload, (dict, list)) else [payload])
    return payload


BODY_READ_TIMEOUT_S = 30.0


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as more than ``limit`` bytes arrived (nothing more is read).
    Raises TimeoutError when the body takes longer than ``BODY_READ_TIMEOUT_S`` to arrive."""
    chunks, size = [], 0

    async def read() -> bool:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return False
            chunks.append(chunk)
        return True

    complete = await asyncio.wait_for(read(), BODY_READ_TIMEOUT_S)
    return b"".join(chunks) if complete else None


def create_app(
    store: JobTemplateStore,
    graphql_url: str,
    api_token: str,
    location: str = "weir",
    launcher_threads: int = 2,
    auth: str = "bearer",
) -> Starlette:
    """The ASGI app; with ``launcher_threads`` > 0 it launches accepted requests while it runs.
    ``auth``: "bearer" (``api_token`` required) or "none" (the caller binds it to loopback)."""
    if auth not in AUTH_MODES:
        raise ValueError(f"auth must be one of {AUTH_MODES}, got {auth!r}")
    if auth == "bearer" and not api_token:
        raise ValueError(
            "JOB_TEMPLATE_API_TOKEN must be set (or JOB_TEMPLATE_AUTH=none on a loopback address)"
        )

    templates = TemplateCache(store)
    # POSTs arriving together share one transaction
    recorder: GroupCommit[NewRequest, tuple[str, bool]] = GroupCommit(
        lambda batch: store.accept_requests(batch)  # looked up per batch, not at startup
    )
    # until when the front door counts as busy (launches wait): pushed on by every POST
    quiet_until = [0.0]

    def authorized(request: Request) -> bool:
        if auth == "none":
            return True
        header = request.headers.get(
            "authorization", ""
        )  # one header: launch/instances refuse more
        return header.startswith("Bearer ") and hmac.compare_digest(
            header[7:].encode(), api_token.encode()
        )

    async def launch(request: Request) -> JSONResponse:
        if len(request.headers.getlist("authorization")) > 1:
            return _error(400, "more than one Authorization header")
        if not authorized(request):
            return _error(401, "missing or wrong bearer token")
        length = request.headers.get("content-length") or "0"
        if not length.isdigit():
            return _error(400, "Content-Length is not a number")
        if int(length) > MAX_BODY_BYTES:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            body = await _read_limited(request, MAX_BODY_BYTES)  # chunked bodies too
        except TimeoutError:
            return _error(408, f"the body did not arrive within {BODY_READ_TIMEOUT_S:g}s")
        if body is None:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        quiet_until[0] = max(quiet_until[0], time.monotonic() + BUSY_FOR_S)
        try:
            payload = parse_body(body)
            parsed = parse_request(payload)
            template = templates.cached(parsed.source_type, parsed.target_type)
            if template is None:
                template = await run_in_threadpool(
                    templates.find, parsed.source_type, parsed.target_type
                )
            for parameter_set in parsed.parameter_sets:
                merge_parameters(parameter_set, template.static_parameters, template.connections)
        except RequestError as exc:
            return _error(400, str(exc))
        except ValueError:
            return _error(400, "the request is not valid")
        except TemplateNotFound as exc:
            return _error(404, str(exc))
        try:
            run_id, _ = await recorder.accept(
                NewRequest(
                    str(uuid.uuid4()),
                    parsed.user_id,
                    parsed.user_run_id,
                    {k: payload[k] for k in CONFIG_KEYS},
                )
            )
        except RequestConflict as exc:
            return _error(409, str(exc))
        except (psycopg.Error, PoolTimeout):
            return _error(503, "the request store is unavailable; nothing was recorded")
        # a repeat of an accepted request (a client retrying after a lost answer) gets its run_id
        return JSONResponse({"status": "OK", "run_id": run_id})

    async def instances(request: Request) -> JSONResponse:
        if len(request.headers.getlist("authorization")) > 1:
            return _error(400, "more than one Authorization header")
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
        # uvicorn listens once this startup is done: warm the pool first, so the clients that
        # retry at once after a restart meet a ready service, not a queue behind connection setup
        with contextlib.suppress(psycopg.Error, PoolTimeout):
            await run_in_threadpool(store.warm)
            await run_in_threadpool(templates.preload)
        # and start the worker threads the store calls run on (made one per request otherwise,
        # just when the burst of re-sent requests arrives)
        await asyncio.gather(*(run_in_threadpool(time.sleep, 0.005) for _ in range(WARM_THREADS)))
        stop = threading.Event()
        quiet_until[0] = time.monotonic() + STARTUP_QUIET_S  # the port opens after this startup
        launcher = RequestLauncher(
            store, graphql_url, location, busy=lambda: time.monotonic() < quiet_until[0]
        )
        threads = [
            threading.Thread(target=launcher.run, args=(stop,), name=f"launcher-{n}", daemon=True)
            for n in range(launcher_threads)
        ]
        for thread in threads:
            thread.start()
        yield
        stop.set()
        await recorder.close()
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
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default=None,
        help="bearer (default; JOB_TEMPLATE_API_TOKEN) or none (loopback addresses only)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_TIMEOUT_S,
        help="seconds a connection has to deliver a request's headers",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help="open connections at once; more are answered 503 at once",
    )
    opts = parser.parse_args()
    settings = JobTemplatesSettings.from_env()
    auth = opts.auth or settings.auth
    if auth == "none" and opts.host not in LOOPBACK:
        parser.error(
            f"--auth none serves without a token: bind it to a loopback address, not {opts.host}"
        )
    store = JobTemplateStore(dsn=settings.store_dsn, pool_size=16)
    app = create_app(store, settings.graphql_url, settings.api_token, auth=auth)
    config = server_config(app, opts.host, opts.port, opts.header_timeout, opts.max_connections)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
