"""The telemetry backlog sensor's decision (threshold, max delay after a launch) and its guard
against a second drain while an ingest run is in flight. The broker-backed path (real lag from
tansu) is in tests/telemetry/test_pipeline_kafka.py."""

import dagster as dg
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.telemetry.settings import TelemetrySettings
from resources.kafka import KafkaResource
from sensors.telemetry_backlog import decide, telemetry_backlog
from tests.platform import local_resources


def test_lag_launches_at_the_threshold_or_once_the_max_delay_has_passed_since_the_last_launch():
    assert decide(0, now=1_000, last_launch=None, threshold=5, max_delay_s=300) is None  # nothing waiting
    assert "threshold" in decide(5, now=1_000, last_launch=990, threshold=5, max_delay_s=300)
    assert decide(3, now=1_000, last_launch=800, threshold=5, max_delay_s=300) is None   # launched 200 s ago
    assert "waiting 300 s" in decide(3, now=1_100, last_launch=800, threshold=5, max_delay_s=300)
    assert "since never" in decide(1, now=1_000, last_launch=None, threshold=5, max_delay_s=300)


@pytest.mark.parametrize("status", [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTED])
def test_no_launch_while_an_ingest_run_is_queued_or_running(status, tmp_path):
    # an unreachable broker: the guard answers before any lag is read
    resources = {"telemetry": TelemetrySettings(source="kafka"), "kafka": KafkaResource(bootstrap_servers="127.0.0.1:1")}
    job = build_definitions(local_resources(tmp_path, tmp_path / "none.yaml", **resources)).resolve_job_def("telemetry_ingest")
    with dg.instance_for_test() as instance:
        instance.create_run_for_job(job, status=status)
        with dg.build_sensor_context(instance=instance, resources=resources, cursor='{"last_launch": 1.0}') as context:
            result = telemetry_backlog(context)
    assert not result.run_requests
    assert result.skip_reason.skip_message == "an ingest run is already queued or running"
    assert result.cursor == '{"last_launch": 1.0}'  # the last launch is kept


def test_an_unreachable_broker_is_a_skip_with_the_reason_not_a_failed_tick():
    resources = {"telemetry": TelemetrySettings(source="kafka", env="t"),
                 "kafka": KafkaResource(bootstrap_servers="127.0.0.1:1", session_timeout_ms=1000, poll_timeout_s=0.1)}
    with dg.instance_for_test() as instance, dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = telemetry_backlog(context)
    assert not result.run_requests and "cannot read the lag of t.telemetry.ingest" in result.skip_reason.skip_message


def test_wrong_settings_fail_the_tick_with_their_reason():
    resources = {"telemetry": TelemetrySettings(source="kafka", env="has space"),
                 "kafka": KafkaResource(bootstrap_servers="127.0.0.1:1")}
    with dg.instance_for_test() as instance, dg.build_sensor_context(instance=instance, resources=resources) as context:
        with pytest.raises(dg.Failure, match="env 'has space' cannot start a Kafka topic name"):
            telemetry_backlog(context)
