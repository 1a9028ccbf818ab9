"""The REST front door against a real Dagster webserver + daemon (started by the fixture), the real
config store on PostgreSQL and the stand-in Control Hub."""

import threading
import time

import pytest
import requests
import uvicorn

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
        server = uvicorn.Server(uvicorn.Config(create_app(store, f"{url}/graphql", TOKEN), host="127.0.0.1",
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


def test_post_launches_a_dagster_run_and_get_returns_the_instances(service):
    url, store, graphql = service
    answer = _post(url, GOOD)
    assert answer.status_code == 200 and answer.json()["status"] == "OK", answer.text
    run_id = answer.json()["run_id"]
    deadline = time.monotonic() + 120
    while True:
        status = graphql("query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                         {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        assert time.monotonic() < deadline, status
        time.sleep(1)
    assert status == "SUCCESS"
    listed = requests.get(f"{url}/run-rest-1", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()
    assert len(listed["instances"]) == 3 and all(i["successful_run"] for i in listed["instances"])
    assert all(i["input_record_count"] > 0 and i["start_time"] for i in listed["instances"])


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
    assert store.instances(BAD_RUN) == []


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
