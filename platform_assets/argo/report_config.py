"""The report's own config (ARGO's ``/api/v2/reports/<id>``), as ARGO's batch job reads it.

The original job takes from that document which profiles the report uses (``profiles[]``: the
id of each profile type, the last entry of a type winning) and its topology schema (the type of
its groups of groups, whose names become the endpoint groups' supergroups). Without a report
config snapshot Weir falls back to picking each profile by the report's name. No Dagster import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from platform_assets.argo.profiles import ProfileError
from resources.model.tenancy import Report

PROFILE_TYPES = ("metric", "aggregation", "operations", "thresholds")


@dataclass(frozen=True)
class ReportConfig:
    """What the batch job uses of the report's config."""

    id: str
    name: str
    profile_ids: Mapping[str, str]  # profile type -> id
    profile_names: Mapping[str, str]  # profile type -> name (for files whose profiles carry none)
    group_type: str  # topology_schema.group.type: the groups of groups (e.g. NGI, PROJECT)
    endpoint_group_type: str  # topology_schema.group.group.type (e.g. SITES)


@dataclass(frozen=True)
class ReportContext:
    """A report as its connector snapshots are parsed: the registry's entry and, when the report
    config snapshot holds one, its config."""

    report: Report
    config: ReportConfig | None = field(default=None)

    @property
    def name(self) -> str:
        return self.report.name

    @property
    def id(self) -> str:
        return self.report.id

    def profile(self, profile_type: str) -> tuple[str, str] | None:
        """(id, name) of the ``profile_type`` profile the report's config names (None: no config
        or none of that type; profiles are then picked by the report's name)."""
        if self.config is None or profile_type not in self.config.profile_ids:
            return None
        return (
            self.config.profile_ids[profile_type],
            self.config.profile_names.get(profile_type, ""),
        )

    @property
    def uses_thresholds(self) -> bool:
        """ARGO applies a thresholds profile only when the report's config names one."""
        return self.config is None or "thresholds" in self.config.profile_ids


def _field(doc: Mapping[str, Any], *path: str) -> Any:
    value: Any = doc
    for step in path:
        if not isinstance(value, Mapping) or step not in value:
            raise ProfileError(f"report_config: field {'.'.join(path)} is missing")
        value = value[step]
    return value


def parse_report_config(data: Any, report: Report) -> ReportConfig | None:
    """The report's config from the API's answer (one report, or a list of reports, the report
    picked by id, else by ``info.name``); None when the snapshot is empty."""
    if data in (None, [], {}):
        return None
    docs = data if isinstance(data, list) else [data]
    if not all(isinstance(d, Mapping) for d in docs):
        raise ProfileError("report_config: expected a report object or a list of them")
    chosen = [d for d in docs if d.get("id") == report.id] or [
        d
        for d in docs
        if isinstance(d.get("info"), Mapping) and d["info"].get("name") == report.name
    ]
    if len(chosen) != 1:
        raise ProfileError(
            f"report_config: expected the report with id {report.id!r} or name {report.name!r}, "
            f"found {len(chosen)} among {len(docs)}"
        )
    doc = chosen[0]
    if doc.get("id") not in (None, report.id):
        raise ProfileError(
            f"report_config: field id is {doc.get('id')!r}, "
            f"the registry's report id is {report.id!r}"
        )
    profiles = _field(doc, "profiles")
    if not isinstance(profiles, list):
        raise ProfileError("report_config: field profiles is not a list")
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for entry in profiles:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str):
            raise ProfileError(
                f"report_config: field profiles[] has an entry without a type: {entry!r}"
            )
        if entry["type"] in PROFILE_TYPES:
            if not isinstance(entry.get("id"), str) or not entry["id"]:
                raise ProfileError(
                    f"report_config: field profiles[].id missing for {entry['type']}"
                )
            ids[entry["type"]] = entry["id"]  # the last of a type wins, as in the original
            names[entry["type"]] = str(entry.get("name") or "")
    for needed in ("metric", "aggregation", "operations"):
        if needed not in ids:
            raise ProfileError(f"report_config: field profiles[] names no {needed} profile")
    return ReportConfig(
        id=str(doc.get("id") or report.id),
        name=str(_field(doc, "info", "name")),
        profile_ids=ids,
        profile_names=names,
        group_type=str(_field(doc, "topology_schema", "group", "type")),
        endpoint_group_type=str(_field(doc, "topology_schema", "group", "group", "type")),
    )
