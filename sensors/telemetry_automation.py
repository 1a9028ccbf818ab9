"""The telemetry assets' automation: each hourly asset follows its upstream (``follow_upstream``),
so a landing file for any hour, late ones included,
re-runs that hour's chain, then its day and week.

Dagster's default automation sensor starts stopped; telemetry must follow its landing zone without
anyone turning a switch, so the group gets its own sensor, running from the start."""

import dagster as dg

telemetry_automation = dg.AutomationConditionSensorDefinition(
    "telemetry_automation",
    target=dg.AssetSelection.groups("telemetry"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Runs the telemetry assets whose upstream changed: the hour a (late) batch landed "
    "in, then its day and week.",
)
