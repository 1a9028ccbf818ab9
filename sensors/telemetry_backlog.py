"""``telemetry_backlog``: start ``telemetry_ingest`` when the ingest topic's backlog is worth a run.

Launches when the uncommitted lag reaches ``WEIR_TELEMETRY_LAG_THRESHOLD`` messages (default
1000), or when any lag has waited ``WEIR_TELEMETRY_MAX_DELAY_S`` seconds (default 300) since the
last launch; never while an ingest run is queued or in progress (two drains would race for the same
offsets). The cursor keeps the last launch time. The lag comes from the consumer group's committed
offsets and the broker's cached high watermarks (resources/kafka.py). Every lag it reads is also
recorded on ``telemetry/ingest_topic`` as an observation, at most every five minutes and at every
launch (sensors/observations.py), so the backlog is plotted in the catalog.
"""

import json
import time

import dagster as dg

from platform_assets.telemetry.assets_landing import INGEST_TOPIC
from platform_assets.telemetry.jobs import telemetry_ingest
from platform_assets.telemetry.settings import TelemetrySettings
from resources.kafka import KafkaResource
from sensors.default_status import running_unless_absent
from sensors.observations import observe_if_due

LAG_OBSERVED_EVERY_S = 300.0

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def decide(
    lag: int, now: float, last_launch: float | None, threshold: int, max_delay_s: float
) -> str | None:
    """Why to launch now, or None."""
    if lag <= 0:
        return None
    if lag >= threshold:
        return f"lag {lag} >= threshold {threshold}"
    waited = now - last_launch if last_launch is not None else float("inf")
    if waited >= max_delay_s:
        waiting = "since never" if last_launch is None else f"{waited:.0f} s"
        return f"lag {lag} waiting {waiting} (max delay {max_delay_s:.0f} s)"
    return None


@dg.sensor(
    job=telemetry_ingest,
    minimum_interval_seconds=30,
    # locally the ingest source is the inbox folder unless Kafka is chosen
    default_status=running_unless_absent("WEIR_TELEMETRY_SOURCE=kafka"),
    description="Starts a telemetry_ingest run when the ingest topic's lag reaches the threshold "
    "or any lag has waited the maximum delay.",
)
def telemetry_backlog(
    context: dg.SensorEvaluationContext, telemetry: TelemetrySettings, kafka: KafkaResource
) -> dg.SensorResult:
    telemetry.check()  # a wrong setting fails the tick, in red, with its reason
    if telemetry.source != "kafka":
        return dg.SensorResult(skip_reason=f"telemetry source is {telemetry.source!r}, not Kafka")
    state = json.loads(context.cursor) if context.cursor else {}
    running = context.instance.get_run_records(
        dg.RunsFilter(job_name=telemetry_ingest.name, statuses=IN_FLIGHT), limit=1
    )
    if running:
        return dg.SensorResult(
            skip_reason="an ingest run is already queued or running", cursor=context.cursor
        )
    topic = telemetry.topic("ingest")
    try:
        by_partition = kafka.lag(topic, telemetry.consumer_group)
        lag = sum(by_partition.values())
    except Exception as exc:  # broker down or topic missing: say so in the UI, try again next tick
        return dg.SensorResult(
            skip_reason=f"cannot read the lag of {topic}: {str(exc)[:300]}", cursor=context.cursor
        )
    now = time.time()
    reason = decide(
        lag,
        now,
        state.get("last_launch"),
        telemetry.backlog_lag_threshold,
        telemetry.backlog_max_delay_s,
    )
    metadata = {
        f"lag/{topic}": dg.MetadataValue.float(float(lag)),
        "lag_by_partition": dg.MetadataValue.json({str(p): n for p, n in by_partition.items()}),
    }
    observed = observe_if_due(
        context.instance,
        INGEST_TOPIC,
        metadata,
        {},
        f"consumer group {telemetry.consumer_group}: {lag} messages behind",
        every_s=0.0 if reason else LAG_OBSERVED_EVERY_S,
    )
    if reason is None:
        return dg.SensorResult(
            skip_reason=f"lag {lag} on {topic}: below threshold and within the max delay",
            cursor=context.cursor,
            asset_events=observed,
        )
    state["last_launch"] = now
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"telemetry-ingest-{int(now)}",
                tags={"weir/reason": "telemetry_backlog", "weir/lag": str(lag)},
            )
        ],
        cursor=json.dumps(state),
        asset_events=observed,
    )
