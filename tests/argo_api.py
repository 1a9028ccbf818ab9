"""A small stand-in for the ARGO web API, served over real HTTP from the connector file layout.

Only for tests: answers ``GET /api/v2/<path>?date=`` with the ``{"status", "data"}`` envelope,
checks the per-tenant ``x-api-key`` and answers 404 when the day has no snapshot.
"""

import json
import threading
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from platform_assets.argo.connector_kinds import CONNECTOR_KINDS
from resources.argo_connectors import snapshot_path


@contextmanager
def argo_web_api(root: Path, tokens: dict[str, tuple[str, str]]):
    """tokens: api key -> (tenant, report[, report id]). Yields the base URL. Kinds sharing a path
    (the metric profile of the day and of the day before) are served from the first kind's files,
    as the web API answers both from one resource."""
    routes = {}
    for kind in CONNECTOR_KINDS:
        routes[kind.name] = kind.api_path

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            who = tokens.get(self.headers.get("x-api-key", ""))
            if who is None:
                return self._send(401, {"status": {"message": "Unauthorized", "code": "401"}})
            tenant, report, *rest = who
            report_id = rest[0] if rest else report
            tail = url.path.removeprefix("/api/v2/")
            kind = next((k for k, t in routes.items()
                         if t.format(report=report, report_id=report_id) == tail), None)
            if kind is None:
                return self._send(404, {"status": {"message": "Not Found", "code": "404"}})
            day = date.fromisoformat(parse_qs(url.query)["date"][0])
            path = snapshot_path(root, tenant, report, kind, day)
            if not path.exists():
                return self._send(404, {"status": {"message": "Not Found", "code": "404"}})
            self._send(200, {"status": {"message": "Success", "code": "200"}, "data": json.loads(path.read_text())})

        def _send(self, code, body):
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
