"""Hostile bodies and headers at the REST front door get a 400 with the reason (never a 500, nor a
503 that clients would retry), oversized bodies a 413 before more than the limit is read: in
process (Starlette's test client), with a store that must never be reached."""

import json
import select
import socket
import threading
import time

import pytest
import requests
import uvicorn
from starlette.testclient import TestClient

from platform_assets.job_templates.http_server import server_config
from platform_assets.job_templates.service import create_app
from tests.services import free_port

pytestmark = pytest.mark.fast  # no external service: make test-fast

TOKEN = "t0ken"
URL = "/streamsets/job-template-runner"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


class UnreachableStore:
    def warm(self) -> None:  # the service warms its pool at startup, before any request
        pass

    def patterns(self) -> list:  # and preloads its template cache
        return []

    def __getattr__(self, name):
        raise AssertionError(f"the store was reached ({name}) for a request that must be refused")


@pytest.fixture
def client():
    with TestClient(create_app(UnreachableStore(), "http://127.0.0.1:9/graphql", TOKEN, launcher_threads=0),
                    raise_server_exceptions=False) as client:
        yield client


def payload(**parameter) -> dict:
    return {"user-id": "u", "user-run-id": "r", "source-type": "s", "target-type": "t",
            "runtime-parameters": [parameter or {"TABLE": "x"}]}


@pytest.mark.parametrize("body, reason", [
    (b'{"user-id": ', "not valid JSON"),
    (b"[" * 50_000 + b"]" * 50_000, "nested deeper"),
    (json.dumps(payload()).replace('"x"', "NaN").encode(), "not a JSON number"),
    (json.dumps(payload()).replace('"x"', "Infinity").encode(), "not a JSON number"),
    (json.dumps(payload()).replace('"x"', "1e400").encode(), "out of range"),
    (json.dumps(payload()).replace('"x"', "9" * 5000).encode(), "longer than"),
    (json.dumps(payload()).replace('"x"', '"a\\u0000b"').encode(), "NUL"),
    (json.dumps(payload()).replace('"x"', '"\\ud800"').encode(), "lone surrogate"),
    (b'{"user-id": "\xff\xfe"}', "not UTF-8"),
    (json.dumps({**payload(), "user-id": "u\n"}).encode(), "control characters"),
])
def test_hostile_bodies_get_400_with_the_reason(client, body, reason):
    answer = client.post(URL, content=body, headers=AUTH)
    assert answer.status_code == 400 and reason in answer.json()["message"], answer.text


def test_two_authorization_headers_are_a_400(client):
    headers = [("Authorization", f"Bearer {TOKEN}"), ("Authorization", "Bearer wrong")]
    assert client.post(URL, content=json.dumps(payload()), headers=headers).status_code == 400
    assert client.get(f"{URL}/r", headers=headers).status_code == 400


def test_a_chunked_body_over_the_limit_is_refused_before_it_is_read_whole():
    """A real server and a raw socket: 64 MiB offered in 1 MiB chunks; the 413 arrives while the
    client is still sending, after little more than the limit."""
    app = create_app(UnreachableStore(), "http://127.0.0.1:9/graphql", TOKEN, launcher_threads=0)
    port = free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    sent, answer = 0, b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"POST {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                         "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n".encode())
            chunk = b"100000\r\n" + b" " * (1 << 20) + b"\r\n"
            for _ in range(64):
                try:
                    sock.sendall(chunk)
                except OSError:  # the server answered and closed
                    break
                sent += 1
                ready, _, _ = select.select([sock], [], [], 0.05)
                if ready:
                    answer = sock.recv(4096)
                    break
            if not answer:
                answer = sock.recv(4096)
    finally:
        server.should_exit = True
        thread.join(10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 16  # the limit is 1 MB: the server stopped reading long before 64 MiB


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_half_sent_headers_are_dropped_and_valid_requests_still_answered(parser):
    """Slow clients (half a request line, then nothing) are closed after the header deadline, while
    a valid request is answered meanwhile; past the connection bound a client gets 503 at once."""
    app = create_app(UnreachableStore(), "http://127.0.0.1:9/graphql", TOKEN, launcher_threads=0)
    port = free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, header_timeout_s=1.0, max_connections=60,
                                           parser=parser))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    slow = []
    try:
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /streamsets/job-template-runner HTTP/1.1\r\nHost: x\r\nAuthor")
            slow.append(sock)
        valid = requests.get(f"http://127.0.0.1:{port}{URL}/r1", timeout=5)
        assert valid.status_code == 401  # answered (no token) while 40 clients stall
        started = time.monotonic()
        closed = [sock.recv(100) == b"" for sock in slow]  # the server closes them
        assert all(closed) and time.monotonic() - started < 3
        crowd = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(70)]
        try:
            over = requests.get(f"http://127.0.0.1:{port}{URL}/r1", timeout=5)
            assert over.status_code == 503
        finally:
            for sock in crowd:
                sock.close()
    finally:
        for sock in slow:
            sock.close()
        server.should_exit = True
        thread.join(10)


def test_requests_that_miss_the_template_cache_together_wait_for_one_lookup():
    """A burst right after a start (or an expiry) queries the store once per pattern, not once per
    request; preload fills the cache before the service listens."""
    import threading as _threading
    import time as _time

    from platform_assets.job_templates.service import TemplateCache

    class SlowStore:
        def __init__(self):
            self.lookups = 0

        def find_template(self, source, target):
            self.lookups += 1
            _time.sleep(0.2)
            return (source, target)

        def patterns(self):
            return [("oracle", "s3")]

    store = SlowStore()
    cache = TemplateCache(store)
    threads = [_threading.Thread(target=cache.find, args=("http", "gcs")) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.lookups == 1
    cache.preload()
    assert cache.cached("oracle", "s3") == ("oracle", "s3") and store.lookups == 2
