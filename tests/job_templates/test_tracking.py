"""Tracking template instances on the stand-in Control Hub: finish, fail, hang past the timeout and
get stopped, with metrics; bounded threads."""

import threading

import pytest

from platform_assets.job_templates.tracking import track_all
from resources.streamsets import RUN_SECONDS, SIMULATE, StandInControlHub, StreamSetsResource

pytestmark = pytest.mark.fast  # no external service: make test-fast


def test_finished_failed_and_hung_instances():
    hub = StandInControlHub()
    ids = hub.start_template("tpl-1", [{SIMULATE: "finish", RUN_SECONDS: 0.2, "A": 1},
                                       {SIMULATE: "fail", RUN_SECONDS: 0.1},
                                       {SIMULATE: "hang"}], delete_after_completion=False)
    done, failed, hung = track_all(hub, ids, poll_s=0.05, max_wait_s=1.0)
    assert done.state.successful and not done.timed_out and done.state.input_count == 130
    assert done.state.finish_time >= done.state.start_time and done.waited_s >= 0.15
    assert not failed.state.successful and "simulated stage failure" in failed.state.error_message
    assert failed.state.error_count == 7
    assert hung.timed_out and not hung.state.successful and "timed out after 1s" in hung.state.error_message
    assert hub.state(ids[2]).error_message == "stopped"  # it was really stopped on the hub


def test_one_hundred_instances_with_at_most_sixteen_threads():
    hub = StandInControlHub()
    ids = hub.start_template("tpl-2", [{RUN_SECONDS: 0.3, "N": i} for i in range(100)], False)
    names: set[str] = set()
    original = hub.state

    def spy(job_id):
        names.add(threading.current_thread().name)
        return original(job_id)

    hub.state = spy
    tracked = track_all(hub, ids, poll_s=0.05, max_wait_s=10, max_threads=16)
    assert len(tracked) == 100 and all(t.state.successful for t in tracked)
    assert len(names) <= 16


def test_the_resource_refuses_missing_credentials():
    import dagster as dg
    import pytest

    with pytest.raises(dg.Failure, match="credentials are not configured"):
        StreamSetsResource(stand_in=False).client()
    assert StreamSetsResource().client() is StreamSetsResource().client()  # one stand-in per process


def test_each_instance_is_reported_the_round_it_ends_not_after_the_last():
    """The original service wrote an instance's metrics row when that instance completed: a quick
    instance's row exists while a slow one is still running."""
    import time

    hub = StandInControlHub()
    ids = hub.start_template("tpl-3", [{RUN_SECONDS: 0.1}, {RUN_SECONDS: 1.0}], delete_after_completion=False)
    ended: dict[str, float] = {}
    started = time.monotonic()
    track_all(hub, ids, poll_s=0.05, max_wait_s=5.0, on_end=lambda job, _: ended.setdefault(job, time.monotonic()))
    assert list(ended) == ids
    assert ended[ids[0]] - started < 0.6 and ended[ids[1]] - started >= 0.9



def test_a_failing_report_does_not_stop_the_tracking_of_the_others():
    """A store error for one ended instance: the others are still tracked (a hung one stopped at
    the maximum wait), every other row is still reported, then the error is raised."""
    hub = StandInControlHub()
    ids = hub.start_template("tpl-4", [{RUN_SECONDS: 0.05}, {RUN_SECONDS: 0.2}, {SIMULATE: "hang"}],
                             delete_after_completion=False)
    reported = []

    def report(job_id, outcome):
        if job_id == ids[0]:
            raise RuntimeError("the store is down")
        reported.append(job_id)

    with pytest.raises(RuntimeError, match="the store is down"):
        track_all(hub, ids, poll_s=0.05, max_wait_s=0.6, on_end=report)
    assert reported == ids[1:] and hub.state(ids[2]).error_message == "stopped"


def test_a_stop_that_fails_is_reported_and_the_others_are_still_tracked():
    class RefusingStop(StandInControlHub):
        def stop(self, job_id):
            raise TimeoutError("Control Hub did not report the job inactive")

    hub = RefusingStop()
    ids = hub.start_template("tpl-stop", [{SIMULATE: "hang"}, {SIMULATE: "hang", "B": 1},
                                          {SIMULATE: "finish", RUN_SECONDS: 0.05}], False)
    reported = []
    first, second, done = track_all(hub, ids, poll_s=0.05, max_wait_s=0.3,
                                    on_end=lambda job_id, outcome: reported.append(job_id))
    for hung in (first, second):
        assert hung.timed_out and not hung.state.successful
        assert "stop failed: Control Hub did not report the job inactive" in hung.state.error_message
    assert done.state.successful and sorted(reported) == sorted(ids)
