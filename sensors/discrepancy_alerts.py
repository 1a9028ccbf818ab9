"""``discrepancy_alerts``: a failed ``reference_discrepancy`` check (a new warehouse result against
the old warehouse's export) is reported by e-mail and Slack, through the same channels as failed
runs, with its figures.

A blocking failure also fails its run (and ``failure_alerts`` reports the run); a warn-only one
fails nothing, so without this sensor nobody would hear of it. The cursor holds the last check
execution seen per check, never a clock time; the first tick only records where history stands,
so switching the sensor on does not replay old failures.
"""

import json

import dagster as dg

from resources.alerts import AlertsResource

CHECK_NAME = "reference_discrepancy"
HISTORY = 25  # executions looked at per check and tick


def describe(key: dg.AssetCheckKey, record) -> tuple[str, str]:  # noqa: ANN001 - a check record
    evaluation = record.evaluation
    metadata = {k: v.value for k, v in (evaluation.metadata or {}).items()}
    partition = record.partition or "-"
    subject = f"[weir] {key.to_user_string()} failed ({partition})"
    lines = [
        f"check: {key.to_user_string()}",
        f"partition: {partition}",
        f"run: {record.run_id}",
        f"verdict: {evaluation.description or '-'}",
    ]
    for name in ("rows", "reference_rows", "mismatched", "mismatched_pct", "reference"):
        if name in metadata:
            lines.append(f"{name}: {metadata[name]}")
    return subject, "\n".join(lines)


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="E-mail/Slack alert for each failed reference_discrepancy check (the warehouse "
    "aggregates against the old warehouse's exports).",
)
def discrepancy_alerts(context: dg.SensorEvaluationContext, alerts: AlertsResource):
    seen: dict[str, int] | None = json.loads(context.cursor) if context.cursor else None
    repository = context.repository_def
    if repository is None:
        return dg.SkipReason("no repository to look for reference_discrepancy checks in")
    keys = [k for k in repository.asset_graph.asset_check_keys if k.name == CHECK_NAME]
    storage = context.instance.event_log_storage
    latest: dict[str, int] = {}
    outcomes = []
    for key in sorted(keys, key=lambda k: k.to_user_string()):
        label = key.to_user_string()
        records = sorted(
            storage.get_asset_check_execution_history(key, limit=HISTORY), key=lambda r: r.id
        )
        latest[label] = max([r.id for r in records], default=(seen or {}).get(label, 0))
        if seen is None:
            continue  # the first tick: history stands here
        for record in records:
            failed = record.status.value == "FAILED"  # an evaluation that did not pass
            if record.id > seen.get(label, 0) and failed:
                if alerts.channels():
                    outcomes.append(alerts.send(*describe(key, record)))
                else:
                    context.log.info(f"{label} failed; no alert channel configured")
    context.update_cursor(json.dumps(latest, sort_keys=True))
    if not outcomes:
        return dg.SkipReason(
            "first tick: history recorded" if seen is None else "no new failed discrepancy check"
        )
    context.log.info(f"discrepancy alerts: {outcomes}")
    return None
