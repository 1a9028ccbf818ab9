"""Loading one report-day's A/R inputs from the lake (what the A/R asset reads)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pandas as pd

from platform_assets.argo import lake_keys
from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import ArInputs
from platform_assets.argo.connector_kinds import CONNECTOR_KINDS, KINDS_BY_NAME
from platform_assets.argo.report_config import ReportContext
from resources.model.lake import LakeReader
from resources.model.tenancy import Report

RECORD_COLUMNS = [
    "timestamp",
    "service",
    "hostname",
    "metric",
    "status",
    "monitoring_host",
    "actual_data",  # read by the threshold rules
    "summary",  # kept in status_metrics
    "message",
]


# read as pandas categoricals: a day's two million records repeat a few thousand services, hosts,
# metrics, statuses and sources, and as codes into those they are read in a fifth of the time and
# a tenth of the memory plain text takes (the A/R kernel looks each distinct value up once). The
# probes' outputs (actual_data, summary, message) are mostly distinct texts: read as text, which
# status_metrics takes as it is (as categories, each would become a Python object)
CATEGORICAL_COLUMNS = ["service", "hostname", "metric", "status", "monitoring_host"]


def read_records(lake: LakeReader, tenant: str, day: date) -> pd.DataFrame | None:
    """The tenant-day's metric records (``RECORD_COLUMNS``, text as categoricals), or None when
    the day's metric data is not materialized."""
    key = lake_keys.metric_data(tenant, day)
    if not lake.exists(key):
        return None
    return lake.read_table(key, RECORD_COLUMNS, read_dictionary=CATEGORICAL_COLUMNS).to_pandas()


def read_snapshots(
    lake: LakeReader, tenant: str, day: date, report: str
) -> dict[str, dict[str, Any]]:
    """Every kind's snapshot of the report-day; an optional kind never fetched for that day (a
    day materialized before the kind existed) reads as empty."""
    out = {}
    for kind in CONNECTOR_KINDS:
        key = lake_keys.connector(kind.name, tenant, day, report)
        if kind.optional and not lake.exists(key):
            out[kind.name] = {"date_used": day.isoformat(), "data": []}
            continue
        out[kind.name] = json.loads(lake.read_bytes(key))
    return out


def _data(snapshots: dict[str, dict[str, Any]], kind: str) -> Any:
    """A kind's snapshot data; an optional kind left out reads as an empty snapshot."""
    if kind not in snapshots and KINDS_BY_NAME[kind].optional:
        return []
    return snapshots[kind]["data"]


def report_context(report: Report, snapshots: dict[str, dict[str, Any]]) -> ReportContext:
    """The report with its config, when the report-config snapshot holds one."""
    config = KINDS_BY_NAME["report_config"].parse(
        _data(snapshots, "report_config"), ReportContext(report)
    )
    return ReportContext(report, config)


def build_inputs(
    report: Report,
    day: date,
    records: pd.DataFrame,
    previous: pd.DataFrame | None,
    snapshots: dict[str, dict[str, Any]],
    semantics: str = "argo_v3",
) -> ArInputs:
    context = report_context(report, snapshots)
    parsed = {
        kind.name: kind.parse(_data(snapshots, kind.name), context)
        for kind in CONNECTOR_KINDS
        if kind.name != "report_config"
    }
    recomputations = parsed["recomputations"]
    today_version = pr.parse_metric_profile_version(
        pr.unwrap(_data(snapshots, "metric_profile")), report.name, context.profile("metric")
    )
    return ArInputs(
        report=report.id,
        day=day,
        records=records,
        previous=previous,
        metric_profile=parsed["metric_profile"],
        aggregation=parsed["aggregation_profile"],
        operations=parsed["operations_profile"],
        endpoints=pr.mark_memberships(
            parsed["topology_endpoints"],
            context.config.endpoint_group_type if context.config else None,
            pr.topology_subgroups(pr.unwrap(_data(snapshots, "topology_groups"))),
        ),
        supergroups=parsed["topology_groups"],
        downtimes=parsed["downtimes"],
        weights=parsed["weights"],
        exclusions=recomputations.monitoring,
        metric_exclusions=recomputations.metrics,
        group_exclusions=recomputations.group_periods,
        thresholds=parsed["thresholds_profile"],
        semantics=semantics,
        status_changes=recomputations.status_changes,
        new_metrics=pr.new_metric_entries(
            today_version, parsed["metric_profile_previous_day"], day.isoformat()
        ),
    )


def previous_day(day: date) -> date:
    return day - timedelta(days=1)
