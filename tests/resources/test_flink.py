"""FlinkResource against a real Flink 2.3 session cluster (started by the fixture, jobs compiled
from tests/flink_jobs with javac)."""

import pytest

from resources.flink import FlinkError, FlinkJobFailed, FlinkResource, masked, secrets_in

ENTRY = "weir.testjobs."


@pytest.fixture
def flink(flink_session):
    url, jar, work = flink_session
    return FlinkResource(rest_url=url, poll_interval_s=0.3), jar, work


def test_submit_and_finish_with_arguments(flink):
    resource, jar, work = flink
    out = work / "args.txt"
    job = resource.run(resource.upload_jar(jar), ENTRY + "ArgsToFileJob", [str(out), "hello world", "ünï", "--x=1"])
    assert resource.wait(job) == "FINISHED"
    assert out.read_text().splitlines() == [str(out), "hello world", "ünï", "--x=1"]


def test_same_jar_is_uploaded_once(flink):
    resource, jar, _ = flink
    first = resource.upload_jar(jar)
    before = resource.jar_ids()
    assert resource.upload_jar(jar) == first
    assert resource.jar_ids() == before


def test_failure_raises_with_the_thrown_message(flink):
    resource, jar, _ = flink
    job = resource.run(resource.upload_jar(jar), ENTRY + "ThrowingJob", [])
    with pytest.raises(FlinkJobFailed, match="WEIR_TEST_FAILURE: element 2 is not allowed"):
        resource.wait(job)


def test_cancel_find_by_name_and_stop_with_savepoint_then_restore(flink):
    resource, jar, work = flink
    jar_id = resource.upload_jar(jar)
    job = resource.run(jar_id, ENTRY + "EndlessJob", ["weir-test-stream-a"])
    resource.wait(job, until=frozenset({"RUNNING"}))
    assert resource.find_running("weir-test-stream-a") == job
    location = resource.stop_with_savepoint(job, f"file://{work / 'savepoints'}")
    assert location.startswith("file:") and "savepoint-" in location
    assert resource.find_running("weir-test-stream-a") is None
    restored = resource.run(jar_id, ENTRY + "EndlessJob", ["weir-test-stream-a"], savepoint_path=location)
    resource.wait(restored, until=frozenset({"RUNNING"}))
    checkpoints = resource._call("GET", f"/jobs/{restored}/checkpoints")
    assert (checkpoints.get("latest") or {}).get("restored", {}).get("external_path") == location
    resource.cancel(restored)
    assert resource.wait(restored) == "CANCELED"


def test_secrets_never_reach_errors(flink):
    resource, jar, _ = flink
    args = ["--token", "s3cr3t-T0KEN", "--api-key=K3Y-VALUE"]  # ArgsToFileJob writes to a file named '--token'
    with pytest.raises(FlinkError) as err:
        resource.run("no-such-jar.jar", ENTRY + "ArgsToFileJob", args)
    assert "s3cr3t-T0KEN" not in str(err.value) and "K3Y-VALUE" not in str(err.value)
    assert masked(args) == ["--token", "***", "--api-key=***"]
    assert secrets_in(["--password", "pw", "--report", "Critical"]) == ["pw"]


def test_unreachable_jobmanager_names_the_url():
    with pytest.raises(FlinkError, match=r"JobManager at http://127.0.0.1:9 is unreachable"):
        FlinkResource(rest_url="http://127.0.0.1:9").list_jobs()


def test_ensure_is_idempotent_and_resumes_from_the_newest_savepoint(flink):
    from platform_assets.streaming.ops import ensure_running

    resource, jar, work = flink
    root = work / "tenant-a-savepoints"
    args = ["weir-test-ensure", "--ams.token", "T0K3N"]
    first = ensure_running(resource, jar, ENTRY + "EndlessJob", "weir-test-ensure", args, str(root))
    assert first.submitted and first.restored_from is None and "T0K3N" not in str(first.arguments)
    again = ensure_running(resource, jar, ENTRY + "EndlessJob", "weir-test-ensure", args, str(root))
    assert (again.submitted, again.job_id) == (False, first.job_id)
    location = resource.stop_with_savepoint(first.job_id, f"file://{root}")
    resumed = ensure_running(resource, jar, ENTRY + "EndlessJob", "weir-test-ensure", args, str(root))
    assert resumed.submitted and resumed.restored_from == location
    resource.cancel(resumed.job_id)
    resource.wait(resumed.job_id)
