"""The Control Hub adapter with the real StreamSets SDK installed (the ``streamsets`` extra), its network
faked at the HTTP boundary by ``tests/control_hub_http_standin.py``: every SDK call the adapter makes
(construction, template lookup, start, refresh, metrics, history, stop) goes over HTTP to the stand-in."""

import ipaddress
import socket
import sys
import time

import dagster as dg
import pytest

from platform_assets.job_templates.jobs import job_template_run
from resources.job_template_store import JobTemplateStore
from resources.streamsets import RUN_SECONDS, SIMULATE, SdkControlHub, StreamSetsResource
from tests.control_hub_http_standin import control_hub_standin, fake_token

CREDENTIAL = "cred-weir-1"
TEMPLATE = "tpl-orders:org1"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Nothing may leave the machine (the SDK's default organisation lookup would)."""
    resolve = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        found = resolve(host, *args, **kwargs)
        if any(not ipaddress.ip_address(address[4][0]).is_loopback for address in found):
            raise OSError(f"test network guard: {host} is not a loopback address")
        return found

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture
def hub():
    with control_hub_standin(CREDENTIAL) as (url, token, state):
        state.add_template(TEMPLATE)
        yield url, token, state


def _until_finished(client, job_id, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = client.state(job_id)
        if state.finished:
            return state
        time.sleep(0.05)
    raise AssertionError(f"{job_id} did not finish")


def test_start_track_and_stop_through_the_sdk(hub):
    url, token, state = hub
    client = SdkControlHub(CREDENTIAL, token, aster_url=url)
    ids = client.start_template(
        TEMPLATE,
        [{"TABLE": "orders"}, {"TABLE": "bad", SIMULATE: "fail"}, {"TABLE": "slow", SIMULATE: "hang"}],
        delete_after_completion=True,
    )
    assert len(set(ids)) == 3
    [body] = state.start_bodies
    assert body["runtimeParametersList"] == [{"TABLE": "orders"}, {"TABLE": "bad", SIMULATE: "fail"},
                                             {"TABLE": "slow", SIMULATE: "hang"}]
    assert (body["namePostfixType"], body["attachToTemplate"], body["deleteAfterCompletion"]) == ("COUNTER", True, True)

    good, bad = _until_finished(client, ids[0]), _until_finished(client, ids[1])
    assert good.successful and good.error_message is None
    assert (good.input_count, good.output_count, good.error_count) == (110, 110, 0)
    assert good.engine_id.startswith("sdc-") and good.pipeline_id == "pipe-1" and good.start_time <= good.finish_time
    assert not bad.successful and bad.error_message == "RUN_ERROR: stage failed"
    assert (bad.input_count, bad.output_count, bad.error_count) == (120, 113, 7)  # errors + stage errors

    assert not client.state(ids[2]).finished
    client.stop(ids[2])
    assert client.state(ids[2]).finished  # inactive once stopped (tracking reports it as timed out)

    paths = {path for _, path in state.requests}
    for used in ("/jobrunner/rest/v1/job/tpl-orders:org1/createAndStartJobInstances",
                 f"/jobrunner/rest/v1/job/{ids[0]}", f"/jobrunner/rest/v1/job/{ids[0]}/history",
                 f"/timeseries/rest/v1/metrics/job/{ids[0]}/recordCountsForAllRuns",
                 "/jobrunner/rest/v1/jobs/stopJobs"):
        assert used in paths


def test_an_instance_started_by_an_earlier_attempt_is_found_by_its_id(hub):
    url, token, _ = hub
    [job_id] = SdkControlHub(CREDENTIAL, token, aster_url=url).start_template(TEMPLATE, [{"TABLE": "a"}], False)
    later = SdkControlHub(CREDENTIAL, token, aster_url=url)  # a retry, in another process
    assert _until_finished(later, job_id).successful


def test_a_wrong_token_is_refused_by_control_hub(hub):
    url, _, _ = hub
    with pytest.raises(Exception) as refused:
        SdkControlHub(CREDENTIAL, fake_token("org1", "someone-else"), aster_url=url)
    assert "401" in str(refused.value) or "authenticated" in str(refused.value)


def test_the_job_runs_through_the_sdk_and_records_every_instance(hub, pg_dsn):
    url, token, _ = hub
    store = JobTemplateStore(dsn=pg_dsn)
    store.migrate()
    store.add_template("oracle_to_s3", "oracle", "s3", TEMPLATE, {"BATCH": 1000, RUN_SECONDS: 0.1},
                       {"SOURCE_CONNECTION": "conn-1"})
    config = {"user-id": "u1", "user-run-id": "sdk-1", "source-type": "oracle", "target-type": "s3",
              "runtime-parameters": [{"TABLE": "orders"}, {"TABLE": "x", SIMULATE: "fail"}, {SIMULATE: "hang"}],
              "poll-seconds": 0.05, "max-wait-seconds": 2}
    streamsets = StreamSetsResource(stand_in=False, credential_id=CREDENTIAL, token=token, aster_url=url)
    with dg.instance_for_test() as instance:
        result = job_template_run.execute_in_process(
            run_config={"ops": {"run_job_templates": {"config": config}}}, instance=instance,
            raise_on_error=False, resources={"job_template_store": store, "streamsets": streamsets})
    assert not result.success
    message = result.failure_data_for_node("run_job_templates").error.message
    assert "2 of 3 instance(s) failed" in message and "RUN_ERROR: stage failed" in message
    assert "timed out after 2s; instance stopped" in message
    rows = store.instances("sdk-1")
    assert [r["successful_run"] for r in rows] == [True, False, False]
    assert all(r["engine_id"] and r["input_record_count"] for r in rows[:2])


def test_credentials_without_the_sdk_installed_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamsets.sdk", None)  # import fails as if not installed
    resource = StreamSetsResource(stand_in=False, credential_id=CREDENTIAL, token="t")
    with pytest.raises(dg.Failure, match=r"pip install -e '\.\[streamsets\]'"):
        resource.client()
