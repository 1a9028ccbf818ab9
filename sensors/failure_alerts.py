"""``failure_alerts``: every failed run is reported by e-mail and Slack with its assets,
partition and error."""

import dagster as dg

from resources.alerts import AlertsResource


def describe_failure(context: dg.RunFailureSensorContext) -> tuple[str, str]:
    run = context.dagster_run
    assets = sorted(k.to_user_string() for k in (run.asset_selection or []))
    partition = run.tags.get("dagster/partition") or (
        f"{run.tags['dagster/asset_partition_range_start']} .. "
        f"{run.tags['dagster/asset_partition_range_end']}"
        if "dagster/asset_partition_range_start" in run.tags
        else "-"
    )
    failure_events = context.get_step_failure_events()
    # step_failure_data: the StepFailureData of a STEP_FAILURE event (None if it carries none)
    failures = [e.step_failure_data for e in failure_events]
    errors = [
        f.error.message.strip().splitlines()[0] for f in failures if f is not None and f.error
    ]
    failed_steps = [e.step_key for e in failure_events if e.step_key is not None]
    subject = f"[weir] {run.job_name} failed ({partition})"
    text = "\n".join(
        [
            f"run: {run.run_id}",
            f"job: {run.job_name}",
            f"partition: {partition}",
            f"assets: {', '.join(assets) or '(whole job)'}",
            f"failed steps: {', '.join(failed_steps) or '-'}",
            f"error: {errors[0] if errors else context.failure_event.message}",
        ]
    )
    return subject, text


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Sends every failed run (job, partition, assets, failed steps, error) by e-mail "
    "and to Slack, where configured.",
)
def failure_alerts(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
    if not alerts.channels():
        context.log.info(
            "no alert channel configured (SMTP_HOST+ALERT_EMAIL_TO, SLACK_WEBHOOK_URL)"
        )
        return
    subject, text = describe_failure(context)
    outcome = alerts.send(subject, text)
    context.log.info(f"alert for run {context.dagster_run.run_id}: {outcome}")
