"""A failed run is reported by e-mail (local SMTP server) and Slack (local webhook endpoint)."""

import dagster as dg

from resources.alerts import AlertsResource
from sensors.failure_alerts import failure_alerts
from tests.alert_sinks import smtp_server, webhook_recorder
from tests.platform import local_resources, register_tenants, run_day


def test_failed_partition_run_alerts_both_channels(tmp_path, sample_world):
    registry, days = sample_world
    from platform_assets.definitions import build_definitions

    with dg.instance_for_test() as instance, smtp_server() as (port, mails), webhook_recorder() as (url, hooks):
        register_tenants(instance, registry)
        instance.add_dynamic_partitions("tenants", ["initech"])
        defs = build_definitions(local_resources(tmp_path, registry))
        result = run_day(defs, instance, days[0], "initech")  # unknown tenant: the run fails
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        alerts = AlertsResource(smtp_host="127.0.0.1", smtp_port=port, mail_to="oncall@example.org",
                                slack_webhook_url=url)
        context = dg.build_run_status_sensor_context(
            sensor_name="failure_alerts", dagster_instance=instance, dagster_run=result.dagster_run,
            dagster_event=failure, resources={"alerts": alerts}).for_run_failure()
        failure_alerts(context)
        assert len(mails) == 1 and len(hooks) == 1
        for text in (mails[0], hooks[0]["text"]):
            assert "argo_daily failed" in text
            assert f"{days[0]}|initech" in text
            assert "unknown tenant 'initech'" in text


def test_a_broken_channel_does_not_hide_the_other():
    with webhook_recorder() as (url, hooks):
        outcome = AlertsResource(smtp_host="127.0.0.1", smtp_port=1, mail_to="x@example.org",
                                 slack_webhook_url=url).send("subject", "body")
    assert outcome["slack"] == "sent" and outcome["email"].startswith("failed")
    assert hooks == [{"text": "*subject*\nbody"}]
