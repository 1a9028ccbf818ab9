"""A small WebHDFS stand-in: serves ``GET /webhdfs/v1/<path>?op=LISTSTATUS`` over a local directory
tree (each entry's ``modificationTime`` from the file's mtime, in ms), 404 for a missing path, as
the namenode answers, and ``op=OPEN`` the way a namenode does it: a 307 redirect to a "datanode"
(here the same server, ``datanode=true``) that sends the bytes. It records the ``user.name`` of each
request."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


@contextmanager
def webhdfs(root: Path) -> Iterator[tuple[str, list[str]]]:
    """(base URL, users seen) of a stand-in serving ``root`` as HDFS's ``/``."""
    users: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            users.extend(query.get("user.name", []))
            path = unquote(url.path).removeprefix("/webhdfs/v1")
            folder = root / path.lstrip("/")
            if query.get("op") == ["OPEN"]:
                self._open(folder, query)
                return
            if query.get("op") != ["LISTSTATUS"] or not folder.is_dir():
                self.send_response(404 if folder != root and not folder.exists() else 400)
                self.end_headers()
                return
            statuses = [{"pathSuffix": child.name, "type": "DIRECTORY" if child.is_dir() else "FILE",
                         "modificationTime": int(child.stat().st_mtime * 1000), "length": 0}
                        for child in sorted(folder.iterdir())]
            body = json.dumps({"FileStatuses": {"FileStatus": statuses}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def _open(self, file: Path, query: dict[str, list[str]]) -> None:
            if not file.is_file():
                self.send_response(404)
                self.end_headers()
                return
            if query.get("datanode") != ["true"]:
                self.send_response(307)
                self.send_header("Location", f"{self.path}&datanode=true")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", users
    finally:
        server.shutdown()
