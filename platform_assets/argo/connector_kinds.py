"""Every ARGO connector kind, declared once: its name (asset ``argo/<name>``, lake and file-source
folder), where the web API serves it, whether an earlier day's snapshot may stand in for a missing
one, whether an empty answer is a snapshot, and how the A/R kernel's input is parsed from it.

Adding a kind is one record here plus the kernel input that uses it. No Dagster import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platform_assets.argo import profiles as pr
from platform_assets.argo import thresholds as th
from platform_assets.argo.report_config import ReportContext, parse_report_config


@dataclass(frozen=True)
class ConnectorKind:
    name: str
    # under <url>/api/v2/: ``{report}`` filled with the report's name, ``{report_id}`` its id
    api_path: str
    # snapshot data, the report (and its config) -> the A/R kernel's input
    parse: Callable[[Any, ReportContext], Any]
    exact_day: bool = False  # never taken from an earlier day (rollback not allowed)
    empty_is_snapshot: bool = False  # an empty API answer is a valid snapshot, not "none yet"
    optional: bool = False  # none within the rollback window is an empty snapshot, not a failure
    # fetched for the day this many days from the report-day (-1: the day before)
    day_offset: int = 0
    source_name: str | None = None  # the kind the source keeps it as, when not its own name

    @property
    def fetched_as(self) -> str:
        """The kind's name at the source (files folder, sync file)."""
        return self.source_name or self.name


CONNECTOR_KINDS: tuple[ConnectorKind, ...] = (
    # the report's own config: which profiles it uses, its topology schema (read first)
    ConnectorKind(
        "report_config",
        "reports/{report_id}",
        lambda d, r: parse_report_config(pr.unwrap(d), r.report),
        optional=True,
    ),
    ConnectorKind(
        "metric_profile",
        "metric_profiles",
        lambda d, r: pr.parse_metric_profile(pr.unwrap(d), r.name, r.profile("metric")),
    ),
    # the metric profile in force the day before: a metric the day's version adds starts UNKNOWN
    ConnectorKind(
        "metric_profile_previous_day",
        "metric_profiles",
        lambda d, r: pr.parse_metric_profile_version(
            pr.unwrap(d), r.name, r.profile("metric"), absent_ok=True
        ),
        optional=True,
        day_offset=-1,
        source_name="metric_profile",
    ),
    ConnectorKind(
        "topology_endpoints",
        "topology/endpoints/by_report/{report}",
        lambda d, r: pr.parse_topology_endpoints(pr.unwrap(d)),
    ),
    ConnectorKind(
        "topology_groups",
        "topology/groups/by_report/{report}",
        lambda d, r: pr.parse_topology_groups(
            pr.unwrap(d), r.config.group_type if r.config else None
        ),
    ),
    ConnectorKind(
        "downtimes",
        "downtimes",
        lambda d, r: pr.parse_downtimes(pr.unwrap(d)),
        exact_day=True,
        empty_is_snapshot=True,
    ),
    # ARGO's batch job never reads weights (it writes weight 0): optional, and empty is a snapshot
    ConnectorKind(
        "weights",
        "weights",
        lambda d, r: pr.parse_weights(pr.unwrap(d), r.name),
        empty_is_snapshot=True,
        optional=True,
    ),
    # the report's threshold profile, if it has one (rules on actual_data)
    ConnectorKind(
        "thresholds_profile",
        "thresholds_profiles",
        lambda d, r: th.parse_thresholds_profile(
            pr.unwrap(d), r.profile("thresholds"), r.uses_thresholds
        ),
        empty_is_snapshot=True,
        optional=True,
    ),
    ConnectorKind(
        "operations_profile",
        "operations_profiles",
        lambda d, r: pr.parse_operations_profile(pr.unwrap(d), r.name, r.profile("operations")),
    ),
    ConnectorKind(
        "aggregation_profile",
        "aggregation_profiles",
        lambda d, r: pr.parse_aggregation_profile(pr.unwrap(d), r.name, r.profile("aggregation")),
    ),
    ConnectorKind(
        "recomputations",
        "recomputations",
        lambda d, r: pr.parse_recomputations(pr.unwrap(d), {r.name, r.id}),
        empty_is_snapshot=True,
    ),
)
KINDS_BY_NAME = {kind.name: kind for kind in CONNECTOR_KINDS}
