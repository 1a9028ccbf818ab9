"""Connector snapshots parsed into what the A/R kernel needs.

Inputs are JSON shaped like ARGO's web API / connector output; each parser names the snapshot
kind in its error so a bad file is found quickly. No Dagster import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

EXCLUDED = (
    "EXCLUDED"  # the state of an excluded metric: counted known but not up, neutral when combined
)


class ProfileError(ValueError):
    """A connector snapshot does not have the shape the A/R computation needs."""


def unwrap(data: Any) -> Any:
    """The ``data`` of the ARGO web API's envelope (``{"status": ..., "data": [...]}``), as a file
    saved from the API holds it; anything else as it is."""
    if isinstance(data, dict) and "data" in data and "status" in data:
        return data["data"]
    return data


def pick_profile(
    kind: str, data: Any, report: str, profile: tuple[str, str] | None = None
) -> dict[str, Any]:
    """Profiles arrive as one object or as the API's list of profiles. With ``profile`` (the id
    and name the report's config names) the profile with that id, as ARGO's job fetches it (in a
    file whose profiles carry no id, the one with that name); else the only one, or the one named
    like the report."""
    docs = [data] if isinstance(data, dict) else data if isinstance(data, list) else None
    if profile is not None and docs is not None:
        profile_id, profile_name = profile
        dicts = [d for d in docs if isinstance(d, dict)]
        chosen = [d for d in dicts if d.get("id") == profile_id] or [
            d for d in dicts if "id" not in d and (len(dicts) == 1 or d.get("name") == profile_name)
        ]
        if chosen:
            return chosen[-1]
        raise ProfileError(
            f"{kind}: the report's config names profile id {profile_id!r} (field profiles[].id); "
            f"the snapshot holds {[d.get('id', d.get('name')) for d in dicts]}"
        )
    if isinstance(data, dict):
        return data
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        return data[0]
    if isinstance(data, list):
        named = [d for d in data if isinstance(d, dict) and d.get("name") == report]
        if len(named) == 1:
            return named[0]
    raise ProfileError(
        f"{kind}: expected one profile (or one named {report!r}), got {type(data).__name__}"
    )


@dataclass(frozen=True)
class OperationsProfile:
    """Status names (index = status code), default states and truth tables as lookup arrays."""

    states: tuple[str, ...]
    missing: int
    unknown: int
    down: int
    operations: tuple[str, ...]
    tables: np.ndarray  # shape (n_operations, n_states, n_states), int8

    def code(self, state: str) -> int:
        return self.states.index(state)

    def op(self, name: str) -> int:
        if name not in self.operations:
            raise ProfileError(
                f"operations_profile has no operation {name!r} (has {list(self.operations)})"
            )
        return self.operations.index(name)


def parse_operations_profile(
    data: Any, report: str = "", profile: tuple[str, str] | None = None
) -> OperationsProfile:
    doc = pick_profile("operations_profile", data, report, profile)
    try:
        states = tuple(doc["available_states"])
        defaults = doc["defaults"]
        ops = doc["operations"]
        missing, unknown, down = (states.index(defaults[k]) for k in ("missing", "unknown", "down"))
    except (KeyError, ValueError, TypeError) as exc:
        raise ProfileError(f"operations_profile: malformed ({exc!r})") from None
    if EXCLUDED not in states:
        states = (*states, EXCLUDED)  # as ARGO adds it to every profile: neutral when combined
    n = len(states)
    tables = np.full((len(ops), n, n), -1, dtype=np.int16)
    names = []
    for i, op in enumerate(ops):
        names.append(op["name"])
        for row in op["truth_table"]:
            try:
                a, b, x = (states.index(row[k]) for k in ("a", "b", "x"))
            except (KeyError, ValueError):
                raise ProfileError(
                    f"operations_profile: operation {op['name']!r} has a bad row {row!r}"
                ) from None
            tables[i, a, b] = x
            if tables[i, b, a] == -1:  # tables list each unordered pair once
                tables[i, b, a] = x
        excluded = states.index(EXCLUDED)
        tables[i, excluded, :] = np.arange(n)  # EXCLUDED with x is x
        tables[i, :, excluded] = np.arange(n)
        if (tables[i] < 0).any():
            a, b = np.argwhere(tables[i] < 0)[0]
            raise ProfileError(
                f"operations_profile: operation {op['name']!r} lacks a row for ({states[a]}, "
                f"{states[b]})"
            )
    return OperationsProfile(states, missing, unknown, down, tuple(names), tables.astype(np.int8))


@dataclass(frozen=True)
class ProfileGroup:
    name: str
    operation: str
    services: dict[str, str]  # service -> operation combining its endpoints


@dataclass(frozen=True)
class AggregationProfile:
    metric_operation: str
    profile_operation: str
    groups: tuple[ProfileGroup, ...]
    # service -> the group listing it last in the document (ARGO indexes services so)
    last_listed_in: dict[str, str] = field(default_factory=dict)

    def service_groups(self) -> dict[str, tuple[int, str]]:
        """service -> (profile group index, operation). A service listed in several profile
        groups counts in the one that lists it last, as in ARGO's job."""
        index = {group.name: gi for gi, group in enumerate(self.groups)}
        out: dict[str, tuple[int, str]] = {}
        for gi, group in enumerate(self.groups):
            for service, op in group.services.items():
                out[service] = (gi, op)
        for service, name in self.last_listed_in.items():
            gi = index[name]
            out[service] = (gi, self.groups[gi].services[service])
        return out


def parse_aggregation_profile(
    data: Any, report: str = "", profile: tuple[str, str] | None = None
) -> AggregationProfile:
    """The profile's operations and groups ("functions"). Groups are keyed by name, as in ARGO's
    job: groups listed twice under one name are one group, with the first one's operation and the
    services of all (a service's operation from its last entry)."""
    doc = pick_profile("aggregation_profile", data, report, profile)
    try:
        merged: dict[str, ProfileGroup] = {}
        last: dict[str, str] = {}
        for g in doc["groups"]:
            group = merged.setdefault(g["name"], ProfileGroup(g["name"], g["operation"], {}))
            for s in g["services"]:
                group.services[s["name"]] = s["operation"]
                last[s["name"]] = g["name"]
        groups = tuple(merged.values())
        return AggregationProfile(doc["metric_operation"], doc["profile_operation"], groups, last)
    except (KeyError, TypeError) as exc:
        raise ProfileError(f"aggregation_profile: malformed ({exc!r})") from None


def parse_metric_profile(
    data: Any, report: str = "", profile: tuple[str, str] | None = None
) -> dict[str, tuple[str, ...]]:
    """service -> its metrics, in profile order."""
    doc = pick_profile("metric_profile", data, report, profile)
    try:
        return {s["service"]: tuple(dict.fromkeys(s["metrics"])) for s in doc["services"]}
    except (KeyError, TypeError) as exc:
        raise ProfileError(f"metric_profile: malformed ({exc!r})") from None


@dataclass(frozen=True)
class MetricProfileVersion:
    """One version of a metric profile as the batch job compares versions: its name, the date
    the version starts (None when the snapshot carries none) and its (service, metric) entries."""

    name: str
    date: str | None
    entries: frozenset[tuple[str, str]]


def parse_metric_profile_version(
    data: Any, report: str = "", profile: tuple[str, str] | None = None, absent_ok: bool = False
) -> MetricProfileVersion | None:
    """The metric profile's version (None for an empty snapshot; with ``absent_ok``, also when
    the snapshot does not hold the profile: one created that day had no version the day before)."""
    if data in (None, [], {}):
        return None
    try:
        doc = pick_profile("metric_profile", data, report, profile)
    except ProfileError:
        if absent_ok:
            return None
        raise
    services = parse_metric_profile(doc)
    return MetricProfileVersion(
        str(doc.get("name") or ""),
        str(doc["date"]) if doc.get("date") else None,
        frozenset((s, m) for s, metrics in services.items() for m in metrics),
    )


def new_metric_entries(
    today: MetricProfileVersion | None, day_before: MetricProfileVersion | None, day: str
) -> frozenset[tuple[str, str]]:
    """(service, metric) entries the profile gained on ``day``: ARGO's job compares the version in
    force on the day with the one of the day before only when the day's version starts that very
    day; an entry the day before's version lacks (every entry when the profile was renamed: it
    compares profile, service and metric) starts the day UNKNOWN, never MISSING.
    Without a version of the day before (the API had none) there are none, as in the original."""
    if today is None or today.date != day or day_before is None:
        return frozenset()
    if day_before.name != today.name:
        return today.entries
    return today.entries - day_before.entries


def parse_topology_endpoints(data: Any) -> pd.DataFrame:
    """One row per (group, service, hostname): an endpoint may sit in several groups.

    ``info`` carries the endpoint's ``info_*`` tags (ARGO puts e.g. ``info_URL`` there) as JSON
    text, which becomes the ``info`` field of its endpoint_ar documents.
    """
    if not isinstance(data, list):
        raise ProfileError("topology_endpoints: expected a list of endpoints")
    try:
        rows = [
            (e["group"], e["service"], e["hostname"], _info(e.get("tags")), e.get("type"))
            for e in data
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProfileError(f"topology_endpoints: malformed entry ({exc!r})") from None
    columns = ["group", "service", "hostname", "info", "type"]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    keys = ["group", "service", "hostname"]
    if frame.duplicated(keys).any():  # one entry under several types: all of its types
        types = frame.groupby(keys, sort=False)["type"].agg(lambda t: tuple(dict.fromkeys(t)))
        frame = frame.drop_duplicates(keys).drop(columns="type")
        frame["types"] = types.reindex(pd.MultiIndex.from_frame(frame[keys])).to_numpy()
    else:
        frame["types"] = [(t,) for t in frame.pop("type")]
    return frame.sort_values(keys).reset_index(drop=True)


def topology_subgroups(data: Any) -> frozenset[str]:
    """Every group ``topology_groups`` lists as a subgroup, whatever its type."""
    if not isinstance(data, list):
        return frozenset()
    return frozenset(g["subgroup"] for g in data if isinstance(g, dict) and "subgroup" in g)


def mark_memberships(
    endpoints: pd.DataFrame, endpoint_group_type: str | None, subgroups: frozenset[str]
) -> pd.DataFrame:
    """``endpoints`` with ``valid``: whether ARGO's job takes the endpoint's records for that
    group, i.e. the group is of the report's endpoint-group type (when the report's config says
    which; an entry that gives no type counts as of that type) and a subgroup in
    ``topology_groups`` (when that lists any). The original fills an invalid membership MISSING
    all day instead (its FillMissing expects every topology entry)."""
    valid = np.ones(len(endpoints), dtype=bool)
    if endpoint_group_type is not None and "types" in endpoints:
        valid &= np.fromiter(
            (endpoint_group_type in t or None in t for t in endpoints["types"]),
            dtype=bool,
            count=len(endpoints),
        )
    if subgroups:
        valid &= endpoints["group"].isin(subgroups).to_numpy()
    return endpoints.assign(valid=valid)


def _info(tags: dict[str, Any] | None) -> str | None:
    info = {k[len("info_") :]: v for k, v in (tags or {}).items() if k.startswith("info_")}
    return json.dumps(info, sort_keys=True) if info else None


def parse_topology_groups(data: Any, group_type: str | None = None) -> dict[str, str]:
    """endpoint group (subgroup) -> its supergroup (e.g. site -> NGI): the first entry naming the
    subgroup, as ARGO's job looks it up; with ``group_type`` (the report config's type of groups
    of groups) only entries of that type count, and a group with none has no supergroup."""
    if not isinstance(data, list):
        raise ProfileError("topology_groups: expected a list of groups")
    out: dict[str, str] = {}
    try:
        for g in data:
            if group_type is None or g.get("type") == group_type:
                out.setdefault(g["subgroup"], g["group"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProfileError(f"topology_groups: malformed entry ({exc!r})") from None
    return out


def parse_weights(data: Any, report: str = "") -> dict[str, float]:
    if data in (None, [], {}):
        return {}
    doc = pick_profile("weights", data, report)
    try:
        return {g["name"]: float(g["value"]) for g in doc.get("groups", [])}
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"weights: malformed ({exc!r})") from None


def _utc(value: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def parse_downtimes(data: Any) -> pd.DataFrame:
    """Rows (hostname, service, start, end) with UTC timestamps."""
    doc = data[0] if isinstance(data, list) and len(data) == 1 else data
    entries = doc.get("endpoints", []) if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise ProfileError("downtimes: expected {'endpoints': [...]}")
    try:
        rows = [
            (e["hostname"], e["service"], _utc(e["start_time"]), _utc(e["end_time"]))
            for e in entries
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"downtimes: malformed entry ({exc!r})") from None
    return pd.DataFrame(rows, columns=["hostname", "service", "start", "end"])


@dataclass(frozen=True)
class MetricExclusion:
    """One ``exclude_metrics`` entry of a recomputation: each of its fields matches when absent."""

    metric: str | None
    group: str | None
    service: str | None
    hostname: str | None
    start: pd.Timestamp
    end: pd.Timestamp

    def matches(self, group: str, service: str, hostname: str, metric: str) -> bool:
        return all(
            want is None or want == got
            for want, got in (
                (self.metric, metric),
                (self.group, group),
                (self.service, service),
                (self.hostname, hostname),
            )
        )


@dataclass(frozen=True)
class GroupExclusion:
    """One group of a recomputation's ``exclude`` list, over the recomputation's period."""

    group: str
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class StatusChange:
    """One ``applied_status_changes`` entry of a recomputation: ``state`` forced over the
    recomputation's period on the timeline its most specific field names (metric, else hostname,
    else service, else group); the other fields narrow which series it matches."""

    state: str
    group: str | None
    service: str | None
    hostname: str | None
    metric: str | None
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def level(self) -> str:
        if self.metric is not None:
            return "metric"
        if self.hostname is not None:
            return "endpoint"
        return "service" if self.service is not None else "group"

    @property
    def priority(self) -> int:
        """The original's order within a level: entries narrowed by more fields apply later, so
        they win where entries overlap (group entries keep document order)."""
        if self.level == "group":
            return 0
        own = {"metric": None, "endpoint": "hostname", "service": "service"}[self.level]
        fields = {"group": self.group, "service": self.service, "hostname": self.hostname}
        return 1 + sum(v is not None for k, v in fields.items() if k != own)


def _status_change(entry: Any, start: pd.Timestamp, end: pd.Timestamp) -> StatusChange:
    if not isinstance(entry, dict) or not isinstance(entry.get("state"), str):
        raise ProfileError(
            f"recomputations: an applied_status_changes entry has no state (field state): {entry!r}"
        )
    named = {k: entry.get(k) for k in ("group", "service", "hostname", "metric")}
    if named["metric"] is None and entry.get("netric") is not None:  # a misspelling ARGO reads
        named["metric"] = entry["netric"]
    if all(v is None for v in named.values()):
        raise ProfileError(
            "recomputations: an applied_status_changes entry names no metric, hostname, service "
            f"or group: {entry!r}"
        )
    fields = {k: None if v is None else str(v) for k, v in named.items()}
    return StatusChange(entry["state"], start=start, end=end, **fields)


@dataclass(frozen=True)
class Recomputations:
    monitoring: list[MonitoringExclusion]
    groups: set[str]
    metrics: list[MetricExclusion]  # in document order: the first that matches a series applies
    group_periods: list[GroupExclusion] = field(default_factory=list)  # in document order
    # ``applied_status_changes``: a status forced on a metric, endpoint, service or group
    status_changes: list[StatusChange] = field(default_factory=list)  # in document order


@dataclass(frozen=True)
class MonitoringExclusion:
    host: str
    start: pd.Timestamp
    end: pd.Timestamp


def parse_recomputations(data: Any, report_names: set[str]) -> Recomputations:
    """Monitoring-source exclusions and excluded groups of the recomputations for this report.

    As ARGO's batch job does, every request the API returns for the day is applied, whatever its
    status; one without a ``report`` field counts for every report, one naming another report
    (possible in a file holding several reports' requests) does not."""
    if data in (None, {}):
        return Recomputations([], set(), [])
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ProfileError("recomputations: expected a list")
    exclusions: list[MonitoringExclusion] = []
    excluded_groups: set[str] = set()
    metrics: list[MetricExclusion] = []
    periods: list[GroupExclusion] = []
    changes: list[StatusChange] = []
    try:
        for rec in data:
            if rec.get("report") not in (None, "", *report_names):
                continue
            if rec.get("applied_status_changes"):
                if not (rec.get("start_time") and rec.get("end_time")):
                    raise ProfileError(
                        "recomputations: a request with applied_status_changes has no "
                        "start_time or end_time"
                    )
                window = _utc(rec["start_time"]), _utc(rec["end_time"])
                changes += [_status_change(e, *window) for e in rec["applied_status_changes"]]
            excluded_groups.update(rec.get("exclude", []))
            # ARGO reads exclude_metrics only from a request that also has an ``exclude`` list
            if "exclude" in rec and rec.get("start_time") and rec.get("end_time"):
                start, end = _utc(rec["start_time"]), _utc(rec["end_time"])
                periods += [GroupExclusion(g, start, end) for g in rec.get("exclude") or []]
                for entry in rec.get("exclude_metrics") or []:
                    metrics.append(
                        MetricExclusion(
                            entry.get("metric"),
                            entry.get("group"),
                            entry.get("service"),
                            entry.get("hostname"),
                            _utc(rec["start_time"]),
                            _utc(rec["end_time"]),
                        )
                    )
            for src in rec.get("exclude_monitoring_source", []):
                exclusions.append(
                    MonitoringExclusion(
                        src["host"],
                        _utc(src.get("start_time", rec["start_time"])),
                        _utc(src.get("end_time", rec["end_time"])),
                    )
                )
    except ProfileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProfileError(f"recomputations: malformed ({exc!r})") from None
    return Recomputations(exclusions, excluded_groups, metrics, periods, changes)
