"""``flink_job_health``: every tenant's streaming jobs named in the monitoring config must be
RUNNING. A FAILED, CANCELED or missing job launches the matching ensure job and sends an alert,
once per incident (the cursor remembers open incidents by the failed job's id and state).

Each tenant's job state is also recorded on ``streaming/metric_stream`` / ``streaming/sync_stream``
as an observation (``state/<tenant>``, and ``running/<tenant>`` 1 or 0 for the plot) whenever a
state changes, and every ten minutes otherwise (sensors/observations.py)."""

import json
from datetime import UTC, datetime

import dagster as dg

from platform_assets.streaming.assets_observed import STREAM_ASSETS
from platform_assets.streaming.health import incidents, job_states
from platform_assets.streaming.jobs import STREAM_JOBS
from platform_assets.streaming.ops import ensure_metric_stream, ensure_sync_stream
from platform_assets.streaming.submissions import stream_job_name
from resources.alerts import AlertsResource
from resources.flink import FlinkError
from resources.model.ini import ConfError
from resources.model.monitoring_conf import load_monitoring_conf
from resources.monitoring_conf import MonitoringConfResource
from sensors.default_status import running_unless_absent
from sensors.observations import observe_if_due

ENSURE_OPS = {"ingest-metric": ensure_metric_stream.name, "ingest-sync": ensure_sync_stream.name}
CLUSTER = "__cluster__"


@dg.sensor(
    jobs=list(STREAM_JOBS.values()),
    minimum_interval_seconds=60,
    # locally only where a JobManager is configured: otherwise it would tick only to skip
    default_status=running_unless_absent("FLINK_REST_URL"),
    description="Checks each tenant's streaming Flink jobs; restarts a missing or failed one from "
    "its newest restore point and alerts.",
)
def flink_job_health(
    context: dg.SensorEvaluationContext, monitoring: MonitoringConfResource, alerts: AlertsResource
) -> dg.SensorResult | dg.SkipReason:
    try:
        conf = load_monitoring_conf(monitoring.path)
    except ConfError as exc:
        return dg.SkipReason(f"no usable monitoring config: {exc}")
    expected = {
        stream_job_name(conf, t.name, kind): (t.name, kind)
        for t in conf.tenants.values()
        for kind in t.streams
    }
    open_incidents: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    try:
        jobs = monitoring.flink(conf).list_jobs()
    except FlinkError as exc:
        if open_incidents.get(CLUSTER) != "unreachable":
            alerts.send("[weir] Flink cluster unreachable", str(exc))
        unreachable = {name: "UNREACHABLE" for name in expected}
        return dg.SensorResult(
            skip_reason=str(exc),
            cursor=json.dumps({**open_incidents, CLUSTER: "unreachable"}),
            asset_events=_observations(context.instance, expected, unreachable),
        )
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    found = incidents(jobs, list(expected))
    requests, still_open = [], {}
    for name, incident in sorted(found.items()):
        still_open[name] = incident.key
        if open_incidents.get(name) == incident.key:
            continue  # already reacted to this incident
        tenant, kind = expected[name]
        context.log.warning(
            f"{name}: {incident.state} (job {incident.job_id or '-'}); ensuring it runs"
        )
        requests.append(
            dg.RunRequest(
                job_name=STREAM_JOBS[kind].name,
                run_key=f"flink-health:{tenant}:{kind}:{incident.key}:{now}",
                run_config={"ops": {ENSURE_OPS[kind]: {"config": {"tenant": tenant}}}},
                tags={"weir/tenant": tenant, "weir/reason": "flink-health"},
            )
        )
        alerts.send(
            f"[weir] Flink job {incident.state.lower()}: {tenant} {kind}",
            f"job: {name}\nstate: {incident.state}\nflink job id: {incident.job_id or '-'}\n"
            f"action: launched {STREAM_JOBS[kind].name} for tenant {tenant}",
        )
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(still_open),
        asset_events=_observations(context.instance, expected, job_states(jobs, list(expected))),
    )


def _observations(
    instance: dg.DagsterInstance, expected: dict[str, tuple[str, str]], states: dict[str, str]
) -> list[dg.AssetObservation]:
    """Per stream kind, each tenant's job state as an observation of that stream's asset."""
    events: list[dg.AssetObservation] = []
    for kind, key in STREAM_ASSETS.items():
        by_tenant = {
            tenant: states[name] for name, (tenant, k) in sorted(expected.items()) if k == kind
        }
        if not by_tenant:
            continue
        metadata: dict[str, dg.MetadataValue] = {}
        for tenant, state in by_tenant.items():
            metadata[f"state/{tenant}"] = dg.MetadataValue.text(state)
            metadata[f"running/{tenant}"] = dg.MetadataValue.float(
                1.0 if state == "RUNNING" else 0.0
            )
        compared = {f"state/{tenant}": state for tenant, state in by_tenant.items()}
        summary = ", ".join(f"{tenant} {state}" for tenant, state in by_tenant.items())
        try:
            events += observe_if_due(instance, key, metadata, compared, f"Flink jobs: {summary}")
        except Exception:  # noqa: BLE001 - the state record must never cost the health reaction
            continue  # (its alerts are sent, its cursor must be kept); the next tick records it
    return events
