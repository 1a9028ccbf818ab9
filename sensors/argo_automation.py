"""The ARGO assets' declarative automation, with an owner of its own.

Who materializes what in the ARGO slice:
- ``argo_daily_schedule`` (01:30 UTC): yesterday's tenant-days, whole group (ingest, snapshots,
  A/R and status results);
- this sensor: the A/R assets' ``AutomationCondition.eager()``: a tenant-day whose metric data or
  connector snapshot was (re)materialized by anything else (a manual run, an ingest, a recompute)
  gets its A/R recomputed, once, after its upstream;
- ``late_metric_data`` / ``late_connector_data``: data that arrived after a day was computed
  (records landing in a closed day, a connector snapshot whose content changed) re-run that day.

Dagster's default automation sensor starts stopped, so without this sensor the A/R assets'
condition would never be evaluated. It runs from the start in every environment: the A/R needs no
service the embedded default lacks.
"""

import dagster as dg

argo_automation = dg.AutomationConditionSensorDefinition(
    "argo_automation",
    target=dg.AssetSelection.groups("argo"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates the ARGO assets' automation: A/R and status results follow a "
    "tenant-day's new metric data or connector snapshots.",
)
