"""Availability / reliability of one report-day, following ARGO's v3 batch algorithm.

metric timelines -> endpoint (metric_operation) -> downtimes -> service (per-service operation)
-> profile group (its operation) -> endpoint group (profile_operation); a recomputation's
applied_status_changes act on the metric, endpoint, service and group timelines on the way.
Pure computation over pandas/numpy: the same function runs in-process and inside Spark's
``applyInPandas``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.argo import (
    downtimes,
    metric_exclusions,
    metric_recomputation,
    status_changes,
)
from platform_assets.argo import timelines as tl
from platform_assets.argo.profiles import (
    AggregationProfile,
    GroupExclusion,
    MetricExclusion,
    MonitoringExclusion,
    OperationsProfile,
    ProfileError,
    StatusChange,
)
from platform_assets.argo.series_lookup import PairTable, fan_out, sort_packed
from platform_assets.argo.thresholds import ThresholdRules, Unreadable

UP_STATES = ("OK", "WARNING")
MEMBER_KEYS = ["group", "service", "hostname"]
UNKNOWN_STATES = ("UNKNOWN", "MISSING")
DOWN_STATES = ("DOWNTIME",)
ENDPOINT_COLUMNS = [
    "report",
    "date",
    "name",
    "service",
    "supergroup",
    "availability",
    "reliability",
    "up",
    "unknown",
    "down",
    "info",
]
SERVICE_COLUMNS = [
    "report",
    "date",
    "name",
    "supergroup",
    "availability",
    "reliability",
    "up",
    "unknown",
    "down",
]
GROUP_COLUMNS = [
    "report",
    "date",
    "name",
    "supergroup",
    "weight",
    "availability",
    "reliability",
    "up",
    "unknown",
    "down",
]


@dataclass(frozen=True)
class ArInputs:
    """Everything one report-day needs. ``records``/``previous`` have at least the columns
    timestamp (UTC), service, hostname, metric, status, monitoring_host."""

    report: str
    day: date
    records: pd.DataFrame
    previous: pd.DataFrame | None
    metric_profile: dict[str, tuple[str, ...]]
    aggregation: AggregationProfile
    operations: OperationsProfile
    # group, service, hostname[, info][, valid: ARGO takes the endpoint's records for the group]
    endpoints: pd.DataFrame
    supergroups: dict[str, str]  # endpoint group -> its supergroup (none: null, as ARGO writes)
    downtimes: pd.DataFrame  # hostname, service, start, end
    weights: dict[str, float]
    exclusions: list[MonitoringExclusion] = field(default_factory=list)
    metric_exclusions: list[MetricExclusion] = field(default_factory=list)
    group_exclusions: list[GroupExclusion] = field(default_factory=list)
    thresholds: ThresholdRules | None = None  # the report's threshold profile, if any
    # "argo_v3": the original batch job's numbers, quirks included; "corrected" (tenancy.SEMANTICS)
    semantics: str = "argo_v3"
    # recomputation ``applied_status_changes`` (status_changes.py)
    status_changes: list[StatusChange] = field(default_factory=list)
    # (service, metric) entries the metric profile gained on the day: UNKNOWN from midnight
    new_metrics: frozenset[tuple[str, str]] = frozenset()


@dataclass
class ArResult:
    endpoint_ar: pd.DataFrame
    service_ar: pd.DataFrame
    endpoint_group_ar: pd.DataFrame
    stats: dict[str, int]
    # topology endpoints (group, service, hostname) without a timeline: they reported only on the
    # previous day (None: not computed, see silent_endpoints)
    silent_endpoints: pd.DataFrame | None = None
    # the status timelines, one row per change (status_timelines.py): endpoint (group, service,
    # hostname), service (group, service) and endpoint group (group), each with status, second
    # of the day and has_threshold_rule
    status_endpoints: pd.DataFrame | None = None
    status_services: pd.DataFrame | None = None
    status_endpoint_groups: pd.DataFrame | None = None
    # the metric timelines (keys: service, hostname, metric, present) and the profile groups'
    # ("functions": group, function), kept as built (status_rows renders them; local engine only)
    metric_timelines: tuple[tl.Timelines, pd.DataFrame] | None = None
    function_timelines: tuple[tl.Timelines, pd.DataFrame] | None = None


def round_half_up(numerator: np.ndarray, denominator: np.ndarray, scale: int) -> np.ndarray:
    """numerator/denominator*scale rounded to 5 decimals, half up, in exact integer arithmetic.
    Zero denominators give -1 (ARGO's NaN). The ``corrected`` semantics."""
    num = numerator.astype(np.int64) * scale * 100_000
    den = denominator.astype(np.int64)
    safe = np.where(den > 0, den, 1)
    rounded = np.floor_divide(2 * num + safe, 2 * safe)
    return np.where(den > 0, rounded / 100_000, -1.0)


def round_like_argo(numerator: np.ndarray, denominator: np.ndarray, scale: int) -> np.ndarray:
    """What ARGO's batch job writes: the double ``(numerator / denominator) * scale``, its shortest
    decimal text rounded to 5 decimals half up (Java's ``BigDecimal.valueOf(x).setScale(5,
    HALF_UP)``). On an exact tie the double may sit just below it: 23 s up of 1,280 s known is
    1.7968749999999998, so 1.79687 where the exact value rounds to 1.79688."""
    den = denominator.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (
            numerator.astype(np.float64) / np.where(den > 0, den, 1).astype(np.float64)
        ) * scale
    out = np.full(len(value), -1.0)
    unique, inverse = np.unique(value, return_inverse=True)
    rounded = np.array(
        [
            float(Decimal(repr(float(v))).quantize(_FIVE_PLACES, rounding=ROUND_HALF_UP))
            for v in unique
        ]
    )
    return np.where(den > 0, rounded[inverse] if len(unique) else out, out)


_FIVE_PLACES = Decimal("0.00001")


def ar_figures(
    seconds: np.ndarray, ops: OperationsProfile, semantics: str = "argo_v3"
) -> dict[str, np.ndarray]:
    """availability, reliability, up, unknown, down from per-status seconds (n x n_states)."""
    rounding = round_like_argo if semantics == "argo_v3" else round_half_up

    def total(names: tuple[str, ...]) -> np.ndarray:
        cols = [ops.code(n) for n in names if n in ops.states]
        return seconds[:, cols].sum(axis=1) if cols else np.zeros(len(seconds), dtype=np.int64)

    up, unknown, down = total(UP_STATES), total(UNKNOWN_STATES), total(DOWN_STATES)
    day = np.full(len(seconds), tl.DAY_SECONDS, dtype=np.int64)
    return {
        "availability": rounding(up, day - unknown, 100),
        "reliability": rounding(up, day - unknown - down, 100),
        "up": rounding(up, day, 1),
        "unknown": rounding(unknown, day, 1),
        "down": rounding(down, day, 1),
    }


def _codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    """Position of each value in ``categories``; -1 for values outside them (Arrow's hash lookup,
    much faster than pandas' on millions of strings). A categorical column (the lake's records)
    looks up each of its distinct values once."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        found = _codes(pd.Series(values.cat.categories, dtype=object), categories)
        return np.append(found, -1)[values.cat.codes.to_numpy()]  # a missing value: code -1
    array = pa.array(values, from_pandas=True)
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    value_set = pa.array(list(categories), type=pa.large_string())
    found = pc.index_in(array, value_set=value_set).fill_null(-1)
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def utc_nanos(ts: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch of each timestamp (NaT: int64's minimum). A column already
    in UTC (the lake's) is read as it is: ``pd.to_datetime`` would copy two million values."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return pd.to_datetime(ts, utc=True).to_numpy(dtype="datetime64[ns]").astype(np.int64)


_NAT = np.iinfo(np.int64).min


def seconds_of_day(ts: pd.Series, day: date) -> np.ndarray:
    """Whole seconds from the day's midnight, truncated toward zero (as a float's int would be),
    in integer arithmetic."""
    start = pd.Timestamp(datetime.combine(day, time(), tzinfo=UTC)).value
    stamps = utc_nanos(ts)
    nanos = stamps - start
    whole = np.abs(nanos) // 1_000_000_000
    seconds = np.where(nanos < 0, -whole, whole)
    return np.where(stamps == _NAT, _NAT, seconds)  # NaT as the float's NaN was


def monitoring_excluded(records: pd.DataFrame, exclusions: list[MonitoringExclusion]) -> np.ndarray:
    """Which records a monitoring-source exclusion drops (its host, within its window)."""
    drop = np.zeros(len(records), dtype=bool)
    if not exclusions or records.empty:
        return drop
    stamps = pd.to_datetime(records["timestamp"], utc=True)
    for ex in exclusions:
        drop |= (
            (records["monitoring_host"] == ex.host) & (stamps >= ex.start) & (stamps <= ex.end)
        ).to_numpy()
    return drop


def _exclude_monitoring(
    records: pd.DataFrame, exclusions: list[MonitoringExclusion]
) -> pd.DataFrame:
    if not exclusions or records.empty:
        return records
    return records.loc[~monitoring_excluded(records, exclusions)]


exclude_monitoring = _exclude_monitoring  # what status_metrics shares with the kernel


def report_topology(inputs: ArInputs) -> pd.DataFrame:
    """The topology entries the report computes: services both in the metric profile and in the
    aggregation profile (ARGO's job drops the records, and fills no gaps, of any other)."""
    services = set(inputs.metric_profile) & set(inputs.aggregation.service_groups())
    return inputs.endpoints[inputs.endpoints["service"].isin(sorted(services))]


class _Universe:
    """Integer ids for the expected endpoints and metric series of the report.

    An endpoint in one group is one endpoint here. An endpoint in several groups is one per group,
    each with its own copy of every metric series, as in ARGO's job (its ``PickEndpoints`` sends
    each record to every group of its endpoint): threshold rules, ``exclude_metrics`` and status
    changes naming a group act on that group's copy only."""

    def __init__(self, inputs: ArInputs) -> None:
        profile = inputs.metric_profile
        topo = report_topology(inputs)
        if "info" not in topo:
            topo = topo.assign(info=None)
        self.memberships = topo.reset_index(drop=True)
        # (group, service, hostname) is unique here: one group's copy of an endpoint
        eps = topo[["group", "service", "hostname"]].drop_duplicates()
        eps = eps.sort_values(["service", "hostname", "group"])
        self.endpoints = eps.reset_index(drop=True)
        self.n_endpoints = int(len(self.endpoints[["service", "hostname"]].drop_duplicates()))
        self.copies = self.n_endpoints < len(self.endpoints)  # some endpoint in several groups
        self.services = pd.Index(sorted(profile))
        self.hosts = pd.Index(sorted(self.endpoints["hostname"].unique()))
        self.metrics = pd.Index(sorted({m for ms in profile.values() for m in ms}))
        per_endpoint = np.array([len(profile[s]) for s in self.endpoints["service"]], np.int64)
        ep_rows = np.repeat(np.arange(len(eps), dtype=np.int64), per_endpoint)
        self.series_metric = [m for s in self.endpoints["service"] for m in profile[s]]
        self.series_endpoint = ep_rows
        # an endpoint's series are consecutive, in its service's profile order
        self.series_base = np.concatenate([[0], np.cumsum(per_endpoint)[:-1]]).astype(np.int64)
        self.metric_position = np.full((len(self.services), len(self.metrics)), -1, np.int64)
        for s_code, service in enumerate(self.services):
            for position, metric in reversed(list(enumerate(profile[service]))):
                self.metric_position[s_code, self.metrics.get_loc(metric)] = position
        pair = _codes(self.endpoints["service"], self.services) * len(self.hosts) + _codes(
            self.endpoints["hostname"], self.hosts
        )
        self.pairs = PairTable(pair, len(self.services) * len(self.hosts))

    def series_of(self, records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(record row, metric series) pairs, in record order: a record of an endpoint in several
        groups goes to each group's copy; a record outside topology x profile to none."""
        none = np.zeros(0, dtype=np.int64)
        if records.empty or len(self.series_endpoint) == 0:
            return none, none
        s = _codes(records["service"], self.services)
        h = _codes(records["hostname"], self.hosts)
        m = _codes(records["metric"], self.metrics)
        known = (s >= 0) & (h >= 0) & (m >= 0)
        first, copies = self.pairs.find(s * len(self.hosts) + h, known)
        position = self.metric_position[np.where(known, s, 0), np.where(known, m, 0)]
        copies = np.where(position >= 0, copies, 0)
        if not self.copies:
            rows = np.flatnonzero(copies)
            return rows, self.series_base[first[rows]] + position[rows]
        rows, within = fan_out(copies)
        return rows, self.series_base[first[rows] + within] + position[rows]

    def member_endpoints(self, members: pd.DataFrame) -> np.ndarray:
        """The endpoint (group copy) of each (group, service, hostname) row of ``members``."""
        index = pd.MultiIndex.from_frame(self.endpoints[MEMBER_KEYS])
        return index.get_indexer(pd.MultiIndex.from_frame(members[MEMBER_KEYS])).astype(np.int64)


def status_codes(statuses: pd.Series, ops: OperationsProfile) -> np.ndarray:
    """Each status's code in the operations profile; a status it does not name is unknown."""
    codes = _codes(statuses, pd.Index(ops.states))
    return np.where(codes >= 0, codes, ops.unknown).astype(np.int8)


def _carried_status(inputs: ArInputs, universe: _Universe) -> np.ndarray:
    """Last status of each metric series on the previous day (-1 where there is none), after the
    threshold rules (ARGO applies them to the carried record too)."""
    carried = np.full(len(universe.series_endpoint), -1, dtype=np.int8)
    prev = inputs.previous
    if prev is None or prev.empty:
        return carried
    rows, series = universe.series_of(prev)
    kept = ~monitoring_excluded(prev, inputs.exclusions)[rows]
    rows, series = rows[kept], series[kept]
    if len(rows) == 0:
        return carried
    ts = seconds_of_day(prev["timestamp"], inputs.day)[rows]
    status = status_codes(prev["status"], inputs.operations)[rows]
    # the last record of the day wins; ties by status code, then by the order listed
    packed = sort_packed([series, ts - ts.min(), status.astype(np.int64), rows])
    if packed is None:
        order = np.lexsort((rows, status, ts, series))
        series, status, rows = series[order], status[order], rows[order]
    else:
        series, _, status, rows = packed
    last = np.ones(len(series), dtype=bool)
    last[:-1] = series[1:] != series[:-1]
    status, _ = _thresholded(
        inputs, universe, series[last], _actual_data(prev)[rows[last]], status[last].astype(np.int8)
    )
    carried[series[last]] = status
    return carried


def _actual_data(records: pd.DataFrame) -> np.ndarray:
    if "actual_data" not in records:
        return np.full(len(records), None, dtype=object)
    return records["actual_data"].to_numpy(dtype=object)


def _thresholded(
    inputs: ArInputs,
    universe: _Universe,
    series: np.ndarray,
    actual_data: np.ndarray,
    status: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Statuses after the report's threshold rules (``thresholds``), record by record, and which
    records a rule gave a status to (the original marks those ``has_threshold_rule``, even when
    the status stays the same: it compares the two statuses as objects)."""
    rules = inputs.thresholds
    applied = np.zeros(len(series), dtype=bool)
    if rules is None or len(series) == 0:
        return status, applied
    metric_names = np.array(universe.series_metric, dtype=object)[series]
    candidates = np.flatnonzero(
        pd.Series(metric_names).isin(rules.metrics).to_numpy() & pd.notna(actual_data)
    )
    if len(candidates) == 0:
        return status, applied
    ops = inputs.operations
    try:
        and_table = ops.tables[ops.op("AND")]
    except ProfileError:
        return status, applied  # the original job needs an AND operation to combine labels

    def combine(a: str, b: str) -> str:
        return ops.states[and_table[ops.code(a), ops.code(b)]]

    groups = universe.endpoints["group"].to_numpy(dtype=object)
    hosts = universe.endpoints["hostname"].to_numpy(dtype=object)
    out = status.copy()
    cache: dict[tuple[str, str, str, str], int] = {}
    for i in candidates.tolist():
        e = int(universe.series_endpoint[series[i]])
        key = (groups[e], hosts[e], metric_names[i], actual_data[i])
        if key not in cache:
            try:
                name = rules.status(*key, combine)
                cache[key] = ops.code(name) if name else -1
            except (Unreadable, ValueError, IndexError):
                cache[key] = -1  # where the original job would stop, the status stays
        if cache[key] >= 0:
            out[i] = cache[key]
            applied[i] = True
    return out, applied


def _expand(timelines: tl.Timelines, new_to_old: np.ndarray) -> tl.Timelines:
    """Copy timelines so that new series i is old series new_to_old[i] (an endpoint per group)."""
    bounds = np.searchsorted(
        timelines.series, np.arange(timelines.series.max() + 2 if len(timelines) else 1)
    )
    starts, counts = bounds[new_to_old], bounds[new_to_old + 1] - bounds[new_to_old]
    rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    series = np.repeat(np.arange(len(new_to_old), dtype=np.int64), counts)
    return tl.Timelines(series, timelines.t[rows], timelines.status[rows])


def _downtime_seconds(
    inputs: ArInputs, universe: _Universe
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(endpoint, start, end) of each downtime of a known endpoint, in the API's order, in whole
    seconds from midnight (not clipped to the day)."""
    dts = inputs.downtimes
    if dts.empty or universe.endpoints.empty:
        return (np.zeros(0, np.int64),) * 3
    midnight = pd.Timestamp(inputs.day, tz="UTC")
    start = (pd.to_datetime(dts["start"], utc=True) - midnight).dt.total_seconds().to_numpy()
    end = (pd.to_datetime(dts["end"], utc=True) - midnight).dt.total_seconds().to_numpy()
    # each downtime on every group's copy of its endpoint, still in the API's order
    copies = universe.endpoints[["service", "hostname"]].assign(
        endpoint=np.arange(len(universe.endpoints))
    )
    listed = dts[["service", "hostname"]].assign(order=np.arange(len(dts)))
    hits = listed.merge(copies, on=["service", "hostname"]).sort_values(
        ["order", "endpoint"], kind="stable"
    )
    order = hits["order"].to_numpy(dtype=np.int64)
    return (
        hits["endpoint"].to_numpy(dtype=np.int64),
        np.floor(start[order]).astype(np.int64),
        np.floor(end[order]).astype(np.int64),
    )


def _present_series(
    raw_on_day: np.ndarray, reported: np.ndarray, carried: np.ndarray
) -> np.ndarray:
    """Which metric series have a timeline, as in ARGO's batch job: a series with records on the
    day does; one with none on the day nor the day before is MISSING all day; but one that reported
    only the day before (or whose records of the day were all excluded) has no timeline at all,
    and takes no part in its endpoint (ARGO does not carry its last status through the day).
    ``raw_on_day``: series with a record of the day, before any exclusion."""
    return reported | (~raw_on_day & (carried < 0))


def _excluded_groups(inputs: ArInputs, group_tl: tl.Timelines, groups: pd.Index) -> tl.Timelines:
    """A recomputation's ``exclude`` groups are UNKNOWN over its period, in endpoint_group_ar only
    (ARGO fills the group's timeline as it fills downtimes, with the same minute past the end,
    for a period whose start and end dates enclose the day; ``corrected``: [start, end))."""
    day = pd.Timestamp(inputs.day, tz="UTC")
    chosen = [
        (groups.get_loc(g.group), g)
        for g in inputs.group_exclusions
        if g.group in groups and g.start.date() <= inputs.day <= g.end.date()
    ]
    if not chosen:
        return group_tl
    index = np.array([i for i, _ in chosen], dtype=np.int64)
    start = np.array([int((g.start - day).total_seconds() // 1) for _, g in chosen], np.int64)
    end = np.array([int((g.end - day).total_seconds() // 1) for _, g in chosen], np.int64)
    return _forced(inputs, group_tl, index, start, end, inputs.operations.unknown)


def _forced(
    inputs: ArInputs,
    timelines: tl.Timelines,
    series: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    status: int,
) -> tl.Timelines:
    """``status`` forced on each (series, start, end) period, in seconds from midnight, as the
    tenant's semantics has downtimes: ``argo_v3`` the original's rules (one minute past the end,
    in the API's order), ``corrected`` [start, end) clipped to the day, whatever the order."""
    if inputs.semantics == "argo_v3":
        return downtimes.apply(timelines, series, start, end, status)
    day = tl.DAY_SECONDS
    return tl.override(timelines, series, np.clip(start, 0, day), np.clip(end, 0, day), status)


def _series_keys(universe: _Universe) -> list[tuple[tuple[str, ...], str, str, str]]:
    """((group,), service, hostname, metric) of each metric series."""
    groups, services, hosts = (
        universe.endpoints[c].to_numpy(dtype=object) for c in ("group", "service", "hostname")
    )
    return [
        ((groups[e],), services[e], hosts[e], metric)
        for e, metric in zip(universe.series_endpoint.tolist(), universe.series_metric, strict=True)
    ]


def _new_entry_series(inputs: ArInputs, universe: _Universe) -> np.ndarray:
    """Which metric series are of a (service, metric) the metric profile gained on the day."""
    n = len(universe.series_endpoint)
    if not inputs.new_metrics or n == 0:
        return np.zeros(n, dtype=bool)
    services = universe.endpoints["service"].to_numpy(dtype=object)[universe.series_endpoint]
    pairs = zip(services.tolist(), universe.series_metric, strict=True)
    return np.fromiter((p in inputs.new_metrics for p in pairs), dtype=bool, count=n)


@dataclass
class _Samples:
    """The day's status samples per metric series, after every recomputation rule."""

    series: np.ndarray
    t: np.ndarray
    status: np.ndarray
    carried: np.ndarray  # the previous day's last status per series (-1: none)
    present: np.ndarray  # series that have a timeline
    records_used: int
    records_outside_profile: int
    records_excluded: int
    not_in_profile: int
    thresholded: np.ndarray  # series with a record a threshold rule gave a status to
    # the rows (second, status, previous) of series an exclude_metrics entry matched
    excluded: dict = field(default_factory=dict)


def _samples(inputs: ArInputs, universe: _Universe) -> _Samples:
    ops = inputs.operations
    records = inputs.records
    rows, series = universe.series_of(records)  # a record per group copy of its endpoint
    t = (
        seconds_of_day(records["timestamp"], inputs.day)[rows]
        if len(rows)
        else np.zeros(0, np.int64)
    )
    raw_on_day = np.zeros(len(universe.series_endpoint), dtype=bool)
    raw_on_day[series[(t >= 0) & (t < tl.DAY_SECONDS)]] = True
    dropped = monitoring_excluded(records, inputs.exclusions)
    kept = ~dropped[rows]
    rows, series, t = rows[kept], series[kept], t[kept]
    used = np.zeros(len(records), dtype=bool)
    used[rows] = True
    in_day = (t >= 0) & (t < tl.DAY_SECONDS)
    used_in_day = np.zeros(len(records), dtype=bool)
    used_in_day[rows[in_day]] = True
    all_status = _codes(records["status"], pd.Index(ops.states))
    raw_status = all_status[rows]
    status = np.where(raw_status >= 0, raw_status, ops.unknown).astype(np.int8)
    carried = _carried_status(inputs, universe)
    day_series, day_t, day_status = series[in_day], t[in_day], status[in_day]
    day_status, applied = _thresholded(
        inputs, universe, day_series, _actual_data(records)[rows[in_day]], day_status
    )
    thresholded = np.zeros(len(universe.series_endpoint), dtype=bool)
    thresholded[day_series[applied]] = True
    new = _new_entry_series(inputs, universe)
    if new.any():  # UNKNOWN at midnight, before the day's records, whether or not any came
        new_series = np.flatnonzero(new)
        day_series = np.concatenate([new_series, day_series])
        day_t = np.concatenate([np.zeros(len(new_series), dtype=day_t.dtype), day_t])
        day_status = np.concatenate(
            [np.full(len(new_series), ops.unknown, dtype=day_status.dtype), day_status]
        )
    reported = np.zeros(len(universe.series_endpoint), dtype=bool)
    reported[day_series] = True
    present = _present_series(raw_on_day, reported, carried)
    # the API returns the recomputations of the day: one whose window misses it (a snapshot
    # rolled back from an earlier day) does not apply
    entries = [e for e in inputs.metric_exclusions if e.start.date() <= inputs.day <= e.end.date()]
    excluded: dict = {}
    if entries:
        day_series, day_t, day_status, matched, vanished, excluded = metric_exclusions.apply(
            entries,
            pd.Timestamp(inputs.day, tz="UTC"),
            _series_keys(universe),
            day_series,
            day_t,
            day_status,
            carried,
            ops,
        )
        present = np.where(matched, ~vanished, present)
    return _Samples(
        day_series,
        day_t,
        day_status,
        carried,
        present,
        int(used_in_day.sum()),
        int((~used & ~dropped).sum()),
        int(dropped.sum()),
        int((all_status[used] < 0).sum()),
        thresholded,
        excluded,
    )


def _missing_memberships(
    inputs: ArInputs,
    member_tl: tl.Timelines,
    chosen: np.ndarray,
    member_ep: np.ndarray,
    downtime_rows: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tl.Timelines:
    """Memberships whose group ARGO's job does not take records for (``mark_memberships``):
    MISSING all day, then their endpoint's downtimes, as the original builds them from its
    FillMissing record."""
    ops = inputs.operations
    missing = tl.Timelines(
        chosen.astype(np.int64),
        np.zeros(len(chosen), np.int64),
        np.full(len(chosen), ops.missing, np.int8),
    )
    dt_endpoint, dt_start, dt_end = downtime_rows
    pairs = (
        pd.DataFrame({"member": chosen, "endpoint": member_ep[chosen]})
        .merge(
            pd.DataFrame(
                {
                    "endpoint": dt_endpoint,
                    "start": dt_start,
                    "end": dt_end,
                    "order": np.arange(len(dt_endpoint)),
                }
            ),
            on="endpoint",
        )
        .sort_values("order", kind="stable")
    )
    member, start, end = (pairs[c].to_numpy(dtype=np.int64) for c in ("member", "start", "end"))
    missing = _forced(inputs, missing, member, start, end, ops.down)
    keep = ~np.isin(member_tl.series, chosen)
    series = np.concatenate([member_tl.series[keep], missing.series])
    t = np.concatenate([member_tl.t[keep], missing.t])
    status = np.concatenate([member_tl.status[keep], missing.status])
    order = np.lexsort((t, series))
    return tl.Timelines(series[order], t[order], status[order])


def _changed(
    inputs: ArInputs, level: str, timelines: tl.Timelines, keys: Callable[[], pd.DataFrame]
) -> tl.Timelines:
    """``timelines`` of ``level`` after the recomputations' applied_status_changes (``keys``: the
    series' group, service, hostname, metric as the level has them; built only when needed)."""
    chosen = status_changes.for_level(inputs.status_changes, level, inputs.day)
    if not chosen:
        return timelines
    matching = status_changes.matcher(keys())
    return status_changes.apply(
        timelines, chosen, matching, inputs.day, inputs.operations, inputs.semantics
    )


def _rows_rewritten(
    inputs: ArInputs,
    samples: _Samples,
    metric_tl: tl.Timelines,
    keys: Callable[[], pd.DataFrame],
) -> tl.Timelines:
    """Metric timelines after the metric-level ``applied_status_changes``, as ARGO's v2 job
    applies them (``metric_recomputation``): each named series' records of the day become rows,
    one per second (the highest status code), the first one's previous being the carried status
    (MISSING at midnight without one); the rows are rewritten and the timeline rebuilt."""
    ops = inputs.operations
    chosen = [
        c
        for c in status_changes.for_level(inputs.status_changes, "metric", inputs.day)
        if c.end >= c.start
    ]
    if not chosen:
        return metric_tl
    matching = status_changes.matcher(keys())
    named: dict[int, list[StatusChange]] = {}
    for change in chosen:
        hits = [s for s in matching(change).tolist() if samples.present[s]]
        if hits and change.state not in ops.states:  # one naming nothing here is not read
            raise ProfileError(
                f"recomputations: applied_status_changes state {change.state!r} (field state) "
                f"is not a state of the operations profile {list(ops.states)}"
            )
        for series in hits:
            named.setdefault(series, []).append(change)
    if not named:
        return metric_tl
    wanted = np.isin(samples.series, list(named))
    order = np.lexsort((samples.status[wanted], samples.t[wanted], samples.series[wanted]))
    recorded: dict[int, list[tuple[int, int]]] = {s: [] for s in named}
    for series, t, code in zip(
        samples.series[wanted][order].tolist(),
        samples.t[wanted][order].tolist(),
        samples.status[wanted][order].tolist(),
        strict=True,
    ):
        recorded[series].append((t, code))
    points_s, points_t, points_status = [], [], []
    for series, changes in named.items():
        if series in samples.excluded:  # the rows exclude_metrics left, with their previous
            listed = samples.excluded[series]
        else:  # each record's previous is the one before it; the first's the carried status
            carried = int(samples.carried[series])
            first = (-1, carried) if carried >= 0 else (0, ops.missing)
            points = recorded[series] or [(0, ops.missing)]
            befores = [first] + points[:-1]
            listed = [(t, c, b) for (t, c), b in zip(points, befores, strict=True)]
        rows = [
            {
                "t": t,
                "status": ops.states[code],
                "timestamp": "",
                "previous_t": before[0],
                "previous_state": ops.states[before[1]],
                "previous_timestamp": "",
            }
            for t, code, before in listed
        ]
        rows = metric_recomputation.one_per_second(rows, ops)
        for change in changes:
            rows = metric_recomputation.rewrite(rows, change, inputs.day, lambda ref: {})
        for t, status in metric_recomputation.timeline(rows, ops.states[ops.missing]):
            points_s.append(series)
            points_t.append(t)
            points_status.append(ops.code(status))
    keep = ~np.isin(metric_tl.series, list(named))
    all_s = np.concatenate([metric_tl.series[keep], np.array(points_s, dtype=np.int64)])
    all_t = np.concatenate([metric_tl.t[keep], np.array(points_t, dtype=np.int64)])
    all_status = np.concatenate(
        [metric_tl.status[keep], np.array(points_status, dtype=np.int8)]
    ).astype(np.int8)
    order = np.lexsort((all_t, all_s))
    return tl.compact(all_s[order], all_t[order], all_status[order])


def compute_ar(inputs: ArInputs) -> ArResult:
    ops = inputs.operations
    universe = _Universe(inputs)
    n_series = len(universe.series_endpoint)
    samples = _samples(inputs, universe)
    day_series, day_t, day_status = samples.series, samples.t, samples.status
    carried, present = samples.carried, samples.present
    metric_tl = tl.from_samples(day_series, day_t, day_status, n_series, ops.missing, carried)
    series_keys = lambda: pd.DataFrame(  # noqa: E731 - built only when a change needs them
        _series_keys(universe), columns=["group", "service", "hostname", "metric"]
    )
    if inputs.semantics == "argo_v3":  # the original rewrites the series' rows
        metric_tl = _rows_rewritten(inputs, samples, metric_tl, series_keys)
    else:
        metric_tl = _changed(inputs, "metric", metric_tl, series_keys)

    n_eps = len(universe.endpoints)
    endpoint_tl = tl.combine(
        metric_tl,
        np.where(present, universe.series_endpoint, -1),
        np.full(n_eps, ops.op(inputs.aggregation.metric_operation)),
        ops.tables,
        n_eps,
    )
    endpoint_present = np.bincount(universe.series_endpoint[present], minlength=n_eps) > 0
    dt_endpoint, dt_start, dt_end = _downtime_seconds(inputs, universe)
    downtime_rows = (dt_endpoint, dt_start, dt_end)  # every downtime, present endpoint or not
    on_present = endpoint_present[dt_endpoint] if len(dt_endpoint) else dt_endpoint.astype(bool)
    dt_endpoint, dt_start, dt_end = (
        dt_endpoint[on_present],
        dt_start[on_present],
        dt_end[on_present],
    )
    endpoint_tl = _forced(inputs, endpoint_tl, dt_endpoint, dt_start, dt_end, ops.down)

    # endpoint-in-group memberships: an endpoint in two groups counts in both; an endpoint without
    # a timeline has no A/R and is in no service
    members = universe.memberships
    member_ep = universe.member_endpoints(members)
    keep_member = endpoint_present[member_ep] if len(member_ep) else member_ep.astype(bool)
    invalid = ~members["valid"].to_numpy(dtype=bool) if "valid" in members else None
    if invalid is not None:
        keep_member |= invalid  # MISSING all day, whatever the endpoint reported
    silent = members.loc[~keep_member, ["group", "service", "hostname"]].reset_index(drop=True)
    members, member_ep = members[keep_member].reset_index(drop=True), member_ep[keep_member]
    member_tl = _expand(endpoint_tl, member_ep)
    if invalid is not None and invalid[keep_member].any():
        member_tl = _missing_memberships(
            inputs, member_tl, np.flatnonzero(invalid[keep_member]), member_ep, downtime_rows
        )
    member_tl = _changed(inputs, "endpoint", member_tl, lambda: members[MEMBER_KEYS])
    endpoint_ar = _frame(
        members.rename(columns={"hostname": "name", "group": "supergroup"}),
        tl.durations(member_tl, len(members), len(ops.states)),
        inputs,
        ENDPOINT_COLUMNS,
    )

    # (group, service) for services the aggregation profile knows
    svc_groups = inputs.aggregation.service_groups()
    in_profile = members["service"].isin(list(svc_groups)).to_numpy()
    gs = (
        members.loc[in_profile, ["group", "service"]]
        .drop_duplicates()
        .sort_values(["group", "service"])
    )
    gs = gs.reset_index(drop=True)
    gs_index = pd.MultiIndex.from_frame(gs)
    member_gs = np.full(len(members), -1, dtype=np.int64)
    member_gs[in_profile] = gs_index.get_indexer(
        pd.MultiIndex.from_frame(members.loc[in_profile, ["group", "service"]])
    )
    gs_op = np.array([ops.op(svc_groups[s][1]) for s in gs["service"]], dtype=np.int64)
    service_tl = tl.combine(member_tl, member_gs, gs_op, ops.tables, len(gs))
    service_tl = _changed(inputs, "service", service_tl, lambda: gs)
    service_ar = _frame(
        gs.rename(columns={"service": "name", "group": "supergroup"}),
        tl.durations(service_tl, len(gs), len(ops.states)),
        inputs,
        SERVICE_COLUMNS,
    )

    # (group, profile group) then group
    gs_pg = np.array([svc_groups[s][0] for s in gs["service"]], dtype=np.int64)
    gp = pd.DataFrame({"group": gs["group"], "pg": gs_pg}).drop_duplicates().reset_index(drop=True)
    gp_index = pd.MultiIndex.from_frame(gp)
    gs_gp = gp_index.get_indexer(pd.MultiIndex.from_arrays([gs["group"], gs_pg])).astype(np.int64)
    gp_op = np.array(
        [ops.op(inputs.aggregation.groups[p].operation) for p in gp["pg"]], dtype=np.int64
    )
    pgroup_tl = tl.combine(service_tl, gs_gp, gp_op, ops.tables, len(gp))
    groups = pd.Index(sorted(gp["group"].unique()))
    gp_group = _codes(gp["group"], groups)
    group_tl = tl.combine(
        pgroup_tl,
        gp_group,
        np.full(len(groups), ops.op(inputs.aggregation.profile_operation)),
        ops.tables,
        len(groups),
    )
    group_tl = _changed(inputs, "group", group_tl, lambda: pd.DataFrame({"group": groups}))
    group_frame = pd.DataFrame(
        {
            "name": groups,
            # objects: a missing supergroup stays None (null), never a string column's NaN
            "supergroup": pd.Series([inputs.supergroups.get(g) for g in groups], dtype=object),
            "weight": [float(inputs.weights.get(g, 0.0)) for g in groups],
        }
    )
    group_ar = _frame(
        group_frame,
        tl.durations(_excluded_groups(inputs, group_tl, groups), len(groups), len(ops.states)),
        inputs,
        GROUP_COLUMNS,
    )

    stats = {
        "records_in": int(len(inputs.records)),
        "records_used": samples.records_used,
        "records_outside_profile": samples.records_outside_profile,
        "records_excluded_by_recomputation": samples.records_excluded,
        # statuses the operations profile does not define count as its unknown state
        "records_status_not_in_profile": samples.not_in_profile,
        "metric_series": int(n_series),
        "endpoints": universe.n_endpoints,
        "endpoint_groups": int(len(groups)),
    }
    stats["silent_endpoints"] = int(len(silent))
    # has_threshold_rule: a threshold rule gave a status to one of the day's records below
    thr_series = samples.thresholded & present
    endpoint_thr = np.bincount(universe.series_endpoint[thr_series], minlength=n_eps) > 0
    member_thr = endpoint_thr[member_ep] if len(member_ep) else np.zeros(0, dtype=bool)
    gs_thr = np.bincount(member_gs[(member_gs >= 0) & member_thr], minlength=len(gs)) > 0
    group_thr = np.bincount(_codes(gs["group"], groups)[gs_thr], minlength=len(groups)) > 0
    return ArResult(
        endpoint_ar,
        service_ar,
        group_ar,
        stats,
        silent,
        status_rows(member_tl, members[["group", "service", "hostname"]], member_thr),
        status_rows(service_tl, gs[["group", "service"]], gs_thr),
        status_rows(group_tl, pd.DataFrame({"group": groups}), group_thr),
        metric_timelines=(metric_tl, _metric_keys(universe, present)),
        function_timelines=(
            pgroup_tl,
            pd.DataFrame(
                {
                    "group": gp["group"],
                    "function": [inputs.aggregation.groups[p].name for p in gp["pg"]],
                }
            ),
        ),
    )


def _metric_keys(universe: _Universe, present: np.ndarray) -> pd.DataFrame:
    """Each metric series' group, service, hostname and metric, and whether it has a timeline."""
    endpoints = universe.endpoints.iloc[universe.series_endpoint]
    return pd.DataFrame(
        {
            "group": endpoints["group"].to_numpy(),
            "service": endpoints["service"].to_numpy(),
            "hostname": endpoints["hostname"].to_numpy(),
            "metric": universe.series_metric,
            "present": present,
        }
    )


def status_rows(
    timelines: tl.Timelines, keys: pd.DataFrame, thresholded: np.ndarray
) -> pd.DataFrame:
    """One row per point of each timeline: the series' key columns, ``t`` (second of the day),
    ``status`` (code) and ``has_threshold_rule`` (the series')."""
    rows = keys.iloc[timelines.series].reset_index(drop=True)
    rows["t"] = timelines.t
    rows["status"] = timelines.status
    rows["has_threshold_rule"] = thresholded[timelines.series]
    return rows


def silent_endpoints(inputs: ArInputs) -> pd.DataFrame:
    """The topology endpoints that get no timeline (see ``_present_series``), for engines whose
    result does not say."""
    universe = _Universe(inputs)
    present = _samples(inputs, universe).present
    endpoint_present = np.bincount(
        universe.series_endpoint[present], minlength=len(universe.endpoints)
    )
    keys = universe.endpoints[MEMBER_KEYS].assign(present=endpoint_present > 0)
    members = universe.memberships.merge(keys, on=MEMBER_KEYS)
    return members.loc[~members["present"], ["group", "service", "hostname"]].reset_index(drop=True)


def _frame(
    keys: pd.DataFrame, seconds: np.ndarray, inputs: ArInputs, columns: list[str]
) -> pd.DataFrame:
    figures = ar_figures(seconds, inputs.operations, inputs.semantics)
    out = keys.reset_index(drop=True).assign(
        report=inputs.report, date=int(inputs.day.strftime("%Y%m%d")), **figures
    )
    return (
        out[columns]
        .sort_values([c for c in ("supergroup", "name", "service") if c in columns], kind="stable")
        .reset_index(drop=True)
    )
