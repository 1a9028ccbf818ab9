"""Loading one report-day's A/R inputs from the lake (what the A/R asset reads)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pandas as pd

from platform_assets.argo import lake_keys
from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import ArInputs
from platform_assets.tenancy import Report
from resources.storage import LakeResource

RECORD_COLUMNS = ["timestamp", "service", "hostname", "metric", "status", "monitoring_host"]


def read_records(lake: LakeResource, tenant: str, day: date) -> pd.DataFrame | None:
    key = lake_keys.metric_data(tenant, day)
    if not lake.exists(key):
        return None
    return lake.read_table(key).select(RECORD_COLUMNS).to_pandas()


def read_snapshots(lake: LakeResource, tenant: str, day: date, report: str) -> dict[str, dict[str, Any]]:
    return {kind: json.loads(lake.read_bytes(lake_keys.connector(kind, tenant, day, report)))
            for kind in pr.CONNECTOR_KINDS}


def build_inputs(report: Report, day: date, records: pd.DataFrame, previous: pd.DataFrame | None,
                 snapshots: dict[str, dict[str, Any]]) -> ArInputs:
    data = {kind: doc["data"] for kind, doc in snapshots.items()}
    exclusions, _ = pr.parse_recomputations(data["recomputations"], {report.name, report.id})
    return ArInputs(
        report=report.id,
        day=day,
        records=records,
        previous=previous,
        metric_profile=pr.parse_metric_profile(data["metric_profile"], report.name),
        aggregation=pr.parse_aggregation_profile(data["aggregation_profile"], report.name),
        operations=pr.parse_operations_profile(data["operations_profile"], report.name),
        endpoints=pr.parse_topology_endpoints(data["topology_endpoints"]),
        supergroups=pr.parse_topology_groups(data["topology_groups"]),
        downtimes=pr.parse_downtimes(data["downtimes"]),
        weights=pr.parse_weights(data["weights"], report.name),
        exclusions=exclusions,
    )


def previous_day(day: date) -> date:
    return day - timedelta(days=1)
