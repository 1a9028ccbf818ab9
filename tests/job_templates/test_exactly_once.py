"""Each request is launched exactly once: a repeated POST (same user-id and user-run-id) is the same
request, a different payload under the same pair is a 409; a launch whose answer never comes (a
GraphQL endpoint slower than the client's timeout, which still starts the run) is resolved by the
run's tag, never launched again; two service replicas never launch the same request. Against the
machine's PostgreSQL and a small GraphQL endpoint that records every launched run."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from starlette.testclient import TestClient

from platform_assets.job_templates.launcher import REQUEST_TAG, RequestLauncher
from platform_assets.job_templates.service import create_app
from resources.job_template_store import JobTemplateStore, RequestConflict

TOKEN = "t0ken"


class SlowDagster:
    """``launchRun`` answers after ``delay_s`` (the run exists from the start, as Dagster creates
    it before answering); ``runsOrError`` finds runs by tag."""

    def __init__(self, delay_s: float):
        self.delay_s, self.runs, self.lock = delay_s, [], threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if "launchRun" in body["query"]:
                    tags = {t["key"]: t["value"] for t in body["variables"]["params"]["executionMetadata"]["tags"]}
                    with outer.lock:
                        run_id = f"run-{len(outer.runs)}"
                        outer.runs.append((run_id, tags[REQUEST_TAG]))
                    time.sleep(outer.delay_s)
                    data = {"launchRun": {"__typename": "LaunchRunSuccess", "run": {"runId": run_id}}}
                else:
                    wanted = body["variables"]["tags"][0]["value"]
                    with outer.lock:
                        found = [{"runId": r} for r, request in outer.runs if request == wanted]
                    data = {"runsOrError": {"results": found}}
                answer = json.dumps({"data": data}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the client gave up waiting
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def launched(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, request in self.runs:
            counts[request] = counts.get(request, 0) + 1
        return counts


@pytest.fixture
def store(pg_dsn):
    store = JobTemplateStore(dsn=pg_dsn)
    store.migrate()
    store.add_template("oracle_to_s3", "oracle", "s3", "sch-tpl-1", {}, {})
    return store


def config(user_run_id: str, table: str = "orders") -> dict:
    return {"user-id": "u1", "user-run-id": user_run_id, "source-type": "oracle", "target-type": "s3",
            "runtime-parameters": [{"TABLE": table}]}


def test_a_repeated_request_is_the_same_request_and_a_changed_one_a_conflict(store):
    first, created = store.accept_request("00000000-0000-0000-0000-00000000000a", "u1", "r1", config("r1"))
    again, created_again = store.accept_request("00000000-0000-0000-0000-00000000000b", "u1", "r1", config("r1"))
    assert created and not created_again and again == first
    with pytest.raises(RequestConflict, match=first):
        store.accept_request("00000000-0000-0000-0000-00000000000c", "u1", "r1", config("r1", "other"))
    other_user, created_other = store.accept_request("00000000-0000-0000-0000-00000000000d", "u2", "r1",
                                                     config("r1"))
    assert created_other and other_user != first
    with TestClient(create_app(store, "http://127.0.0.1:9/graphql", TOKEN, launcher_threads=0)) as client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        posts = [client.post("/streamsets/job-template-runner", json=config("r2"), headers=headers)
                 for _ in range(3)]
        conflict = client.post("/streamsets/job-template-runner", json=config("r2", "x"), headers=headers)
    assert [p.status_code for p in posts] == [200, 200, 200]
    assert len({p.json()["run_id"] for p in posts}) == 1
    assert conflict.status_code == 409 and posts[0].json()["run_id"] in conflict.json()["message"]
    assert store.request_counts()["accepted"] == 3  # r1 (u1), r1 (u2), r2


def test_a_launch_slower_than_the_timeout_is_found_by_its_tag_not_launched_again(store):
    dagster = SlowDagster(delay_s=1.5)
    store.accept_request("00000000-0000-0000-0000-000000000001", "u1", "slow", config("slow"))
    launcher = RequestLauncher(store, dagster.url, timeout_s=0.5, stale_after_s=2.0)
    assert launcher.launch_batch() == 0  # the answer never came: the request stays claimed
    assert launcher.launch_batch() == 0 and launcher.recover() == 0  # not released, not stale yet
    time.sleep(2.2)
    assert launcher.recover() == 1
    [row] = store.requests("slow")
    assert row["state"] == "launched" and row["dagster_run_id"] == "run-0"
    assert dagster.launched() == {"00000000-0000-0000-0000-000000000001": 1}


def test_two_replicas_with_slow_launches_launch_each_request_exactly_once(store):
    dagster = SlowDagster(delay_s=0.3)
    ids = [f"00000000-0000-0000-0000-{n:012d}" for n in range(1, 25)]
    for n, request_id in enumerate(ids):
        store.accept_request(request_id, "u1", f"burst-{n}", config(f"burst-{n}"))
    stop = threading.Event()
    # launches answer after 0.3 s, some after the 0.25 s timeout of the second replica (lost answers)
    replicas = [RequestLauncher(store, dagster.url, timeout_s=timeout, stale_after_s=1.0) for timeout in (5, 0.25)]
    threads = [threading.Thread(target=r.run, args=(stop,), kwargs={"idle_s": 0.05, "recover_every_s": 0.2})
               for r in replicas]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while store.request_counts()["launched"] < len(ids) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(10)
    assert store.request_counts()["launched"] == len(ids)
    assert dagster.launched() == {request_id: 1 for request_id in ids}
    runs = {request: run for run, request in dagster.runs}
    for n, request_id in enumerate(ids):
        [row] = store.requests(f"burst-{n}")
        assert row["dagster_run_id"] == runs[request_id]
