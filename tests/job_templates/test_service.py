"""The REST front door and its launcher against a real Dagster webserver + daemon (started by the
fixture), the real config store on PostgreSQL and the stand-in Control Hub."""

import threading
import time

import pytest
import requests
import uvicorn

from platform_assets.job_templates.launcher import REQUEST_TAG, RequestLauncher
from platform_assets.job_templates.service import create_app
from resources.job_template_store import JobTemplateStore
from resources.streamsets import RUN_SECONDS
from tests.dagster_services import dagster_deployment
from tests.services import free_port

TOKEN = "t0ken-for-tests"
BAD_RUN = "run-rest-refused"
GOOD = {"user-id": "u1", "user-run-id": "run-rest-1", "source-type": "oracle", "target-type": "s3",
        "runtime-parameters": [{"TABLE": "orders"}, {"TABLE": "customers"}, {"TABLE": "Zürich 東京"}]}


@pytest.fixture(scope="module")
def module_pg_dsn():
    import uuid

    import psycopg

    name = f"weir_test_{uuid.uuid4().hex[:8]}"
    base = "postgresql://postgres:postgres@127.0.0.1:5432"
    admin = psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, module_pg_dsn):
    tmp_path, pg_dsn = tmp_path_factory.mktemp("service"), module_pg_dsn
    store = JobTemplateStore(dsn=pg_dsn)
    store.migrate()
    store.add_template("oracle_to_s3", "oracle", "s3", "sch-tpl-1", {RUN_SECONDS: 0.2}, {"SOURCE_CONNECTION": "c1"})
    home = tmp_path / "home"
    home.mkdir()
    env = {"JOB_TEMPLATE_PG_DSN": pg_dsn, "WEIR_DATA_DIR": str(tmp_path / "data")}
    with dagster_deployment(home, env) as (url, graphql):
        port = free_port()
        app = create_app(JobTemplateStore(dsn=pg_dsn, pool_size=4), f"{url}/graphql", TOKEN)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1",
                                               port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/streamsets/job-template-runner", store, graphql
        server.should_exit = True
        thread.join(10)


def _post(url, body, token=TOKEN, **kwargs):
    return requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs)


RUNS_WITH_TAG = "query($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) { ... on Runs { results { runId status tags { key value } } } } }"


def _runs_for(graphql, request_id):
    return graphql(RUNS_WITH_TAG, {"tags": [{"key": REQUEST_TAG, "value": request_id}]})["runsOrError"]["results"]


def _get(url, user_run_id):
    return requests.get(f"{url}/{user_run_id}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()


def _wait(condition, what, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
    return value


def test_post_answers_at_once_and_the_launcher_runs_it_in_dagster(service):
    url, store, graphql = service
    answer = _post(url, GOOD)
    assert answer.status_code == 200 and answer.json()["status"] == "OK", answer.text
    run_id = answer.json()["run_id"]
    request = _wait(lambda: [r for r in _get(url, "run-rest-1")["requests"] if r["state"] == "launched"], "launch")[0]
    assert request["run_id"] == run_id
    dagster_run = request["dagster_run_id"]
    status = _wait(lambda: next((r["status"] for r in _runs_for(graphql, run_id)
                                 if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")), None), "run end")
    assert status == "SUCCESS"
    assert [r["runId"] for r in _runs_for(graphql, run_id)] == [dagster_run]  # one run, tagged with the run_id
    listed = _get(url, "run-rest-1")
    assert len(listed["instances"]) == 3 and all(i["successful_run"] for i in listed["instances"])
    assert all(i["input_record_count"] > 0 and i["start_time"] for i in listed["instances"])


def _accept(store, user_run_id, config=None):
    import uuid

    request_id = str(uuid.uuid4())
    store.accept_request(request_id, "u1", user_run_id, config or {**GOOD, "user-run-id": user_run_id})
    return request_id


@pytest.fixture
def own_store(pg_dsn):
    """A second store, so that the service's own launcher threads never claim these requests."""
    store = JobTemplateStore(dsn=pg_dsn)
    store.migrate()
    return store


def test_a_request_waits_while_dagster_is_unreachable_then_launches_once(service, own_store):
    _, _, graphql = service
    request_id = _accept(own_store, "run-while-down")
    down = RequestLauncher(own_store, f"http://127.0.0.1:{free_port()}/graphql", timeout_s=2)
    assert down.launch_batch() == 0
    [waiting] = own_store.requests("run-while-down")
    assert waiting["state"] == "accepted" and waiting["attempts"] == 1 and "did not answer" in waiting["error"]
    up = RequestLauncher(own_store, f"{graphql.url}/graphql")
    _wait(lambda: up.launch_batch() == 1, "launch after the retry delay", 10)
    assert up.launch_batch() == 0  # nothing left: launched once
    [launched] = own_store.requests("run-while-down")
    assert launched["state"] == "launched" and launched["error"] is None
    runs = _runs_for(graphql, request_id)
    assert [r["runId"] for r in runs] == [launched["dagster_run_id"]]
    assert {"key": "weir/user_run_id", "value": "run-while-down"} in runs[0]["tags"]


def test_a_launcher_that_died_mid_launch_is_recovered_without_a_second_run(service, own_store):
    _, _, graphql = service
    launched_before_crash, never_launched = _accept(own_store, "run-crash-a"), _accept(own_store, "run-crash-b")
    launcher = RequestLauncher(own_store, f"{graphql.url}/graphql")
    claimed = {r.id: r for r in own_store.claim_requests(10)}
    assert set(claimed) == {launched_before_crash, never_launched}
    dagster_run = launcher.launch_run(claimed[launched_before_crash])  # ... and the launcher died here
    assert own_store.claim_requests(10) == []  # still claimed: no other launcher takes them
    assert launcher.recover(older_than_s=0) == 2
    assert own_store.requests("run-crash-a")[0]["dagster_run_id"] == dagster_run
    assert launcher.launch_batch() == 1  # only the one that had no run
    assert len(_runs_for(graphql, launched_before_crash)) == 1
    assert len(_runs_for(graphql, never_launched)) == 1


def test_a_request_dagster_refuses_fails_with_dagsters_reason(service, own_store):
    _, _, graphql = service
    request_id = _accept(own_store, "run-refused", {k: v for k, v in GOOD.items() if k != "runtime-parameters"})
    assert RequestLauncher(own_store, f"{graphql.url}/graphql").launch_batch() == 0
    [failed] = own_store.requests("run-refused")
    assert failed["state"] == "failed" and "RunConfigValidationInvalid" in failed["error"]
    assert "runtime-parameters" in failed["error"]
    assert _runs_for(graphql, request_id) == []


@pytest.mark.parametrize("body, status, message", [
    ({**GOOD, "runtime-parameters": []}, 400, "runtime-parameters: required"),
    ({**GOOD, "source-type": "oracle' OR 1=1; --"}, 400, "source-type: only letters"),
    ({**GOOD, "runtime-parameters": [{"T": 1}] * 1000}, 400, "at most 500 sets"),
    ({**GOOD, "runtime-parameters": [{"T": [1, 2]}]}, 400, "must be a string, number or null"),
    ({**GOOD, "runtime-parameters": [{"SOURCE_CONNECTION": "evil"}]}, 400, "connections set by the administrator"),
    ({**GOOD, "target-type": "kafka"}, 404, "no job template"),
    ("not an object", 400, "JSON object"),
])
def test_bad_requests_get_a_4xx_and_change_nothing(service, body, status, message):
    url, store, graphql = service
    runs = "{ runsOrError { ... on Runs { results { runId } } } }"
    before = len(graphql(runs)["runsOrError"]["results"])
    answer = _post(url, {**body, "user-run-id": BAD_RUN} if isinstance(body, dict) else body)
    assert answer.status_code == status and message in answer.json()["message"], answer.text
    assert len(graphql(runs)["runsOrError"]["results"]) == before
    assert store.instances(BAD_RUN) == [] and store.requests(BAD_RUN) == []


def test_auth_size_and_malformed_json(service):
    url, _, _ = service
    assert _post(url, GOOD, token="wrong").status_code == 401
    assert requests.post(url, json=GOOD, timeout=10).status_code == 401
    assert requests.get(f"{url}/run-rest-1", timeout=10).status_code == 401
    huge = requests.post(url, data=b"{" + b" " * 1_100_000 + b"}", timeout=30,
                         headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert huge.status_code == 413
    broken = requests.post(url, data=b'{"user-id": ', timeout=10, headers={"Authorization": f"Bearer {TOKEN}"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["message"]


def test_the_service_refuses_to_start_without_a_token(pg_dsn):
    with pytest.raises(ValueError, match="JOB_TEMPLATE_API_TOKEN must be set"):
        create_app(JobTemplateStore(dsn=pg_dsn), "http://127.0.0.1:1/graphql", "")
