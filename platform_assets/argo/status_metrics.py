"""``status_metrics`` as ARGO's v3 batch job writes it: one row per metric record of the day, per
endpoint group of its endpoint, with the status before it. No Dagster import.

The rules, carried over as facts from the original (``PickEndpoints``, ``FillMissing``,
``CalcPrevStatus``), not its code:

- The day's records and each series' last record of the day before (after monitoring-source
  exclusions) are kept when their endpoint is in the topology and their metric in the service's
  metric profile; each goes to every endpoint group of its endpoint.
- A series the topology and profile expect but with no record on either day gets one row at
  ``<day>T00:00:00Z`` with the profile's missing state and empty message, summary and actual data.
- Threshold rules (by the row's own endpoint group) may set the status: ``original_status`` is
  then the record's status, ``threshold_rule_applied`` the rule's thresholds and
  ``has_threshold_rule`` true (the original marks every record a rule gave a status to, since it
  compares the two statuses as objects).
- Exact repeats (same group, series, status and time) count once. Each row's ``previous_state`` and
  ``previous_timestamp`` are those of the row before it in the series (the day before's last record
  for the first; ``MISSING`` at ``<day>T00:00:00Z`` without one); that record itself is no row.
- ``exclude_metrics`` (the first matching entry, window [S, E]): a row inside the window becomes
  EXCLUDED, followed, when E is within the day, by a copy with its status one second after E
  (previous: EXCLUDED at midnight), and when S is within the day, by a copy one second after S; a
  row outside the window is not written, though the next row still takes it as its previous.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from platform_assets.argo.ar_kernel import ArInputs, exclude_monitoring
from platform_assets.argo.metric_exclusions import matching_entry
from platform_assets.argo.profiles import EXCLUDED

COLUMNS = [
    "group",
    "service",
    "hostname",
    "metric",
    "status",
    "timestamp",
    "message",
    "summary",
    "actual_data",
    "original_status",
    "threshold_rule_applied",
    "has_threshold_rule",
    "previous_state",
    "previous_timestamp",
]
_SERIES = ["group", "service", "hostname", "metric"]


def _last_of_previous_day(inputs: ArInputs) -> pd.DataFrame | None:
    prev = inputs.previous
    if prev is None or prev.empty:
        return None
    prev = exclude_monitoring(prev, inputs.exclusions)
    order = prev.assign(_ts=pd.to_datetime(prev["timestamp"], utc=True)).sort_values(
        ["service", "hostname", "metric", "_ts"], kind="stable"
    )
    return order.drop_duplicates(["service", "hostname", "metric"], keep="last").drop(columns="_ts")


def _rules(inputs: ArInputs, rows: pd.DataFrame) -> pd.DataFrame:
    """``status``, ``original_status``, ``threshold_rule_applied``, ``has_threshold_rule``."""
    rows["original_status"] = ""
    rows["threshold_rule_applied"] = ""
    rows["has_threshold_rule"] = False
    rules = inputs.thresholds
    if rules is None or rows.empty:
        return rows
    candidates = np.flatnonzero(
        rows["metric"].isin(rules.metrics).to_numpy() & rows["actual_data"].notna().to_numpy()
    )
    if len(candidates) == 0:
        return rows
    ops = inputs.operations
    try:
        and_table = ops.tables[ops.op("AND")]
    except Exception:  # no AND operation: the original cannot combine labels, nothing changes
        return rows

    def combine(a: str, b: str) -> str:
        return ops.states[and_table[ops.code(a), ops.code(b)]]

    status = rows["status"].to_numpy(dtype=object).copy()
    original = rows["original_status"].to_numpy(dtype=object).copy()
    applied = rows["threshold_rule_applied"].to_numpy(dtype=object).copy()
    flagged = np.zeros(len(rows), dtype=bool)
    groups, hosts = rows["group"].to_numpy(dtype=object), rows["hostname"].to_numpy(dtype=object)
    metrics, data = (
        rows["metric"].to_numpy(dtype=object),
        rows["actual_data"].to_numpy(dtype=object),
    )
    for i in candidates.tolist():
        rule = rules.rule_for(groups[i], hosts[i], metrics[i])
        if rule not in rules.rules:
            continue
        try:
            name = rules.status(groups[i], hosts[i], metrics[i], data[i], combine)
        except (ValueError, IndexError, KeyError):
            continue
        if name:
            original[i], applied[i], status[i], flagged[i] = (
                status[i],
                rules.texts.get(rule, ""),
                name,
                True,
            )
    rows["status"], rows["original_status"] = status, original
    rows["threshold_rule_applied"], rows["has_threshold_rule"] = applied, flagged
    return rows


def _codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    """Position of each value in ``categories``, -1 where it is not one."""
    return categories.get_indexer(pd.Index(values, dtype=object)).astype(np.int64)


class _Series:
    """The series the topology and profile expect, (group, service, hostname, metric), sorted by an
    integer key of (service, hostname, metric): records find theirs (every group of their
    endpoint) by binary search, not by joining strings."""

    def __init__(self, inputs: ArInputs):
        profile = inputs.metric_profile
        topo = inputs.endpoints[inputs.endpoints["service"].isin(list(profile))]
        members = topo[["group", "service", "hostname"]].drop_duplicates()
        rows = [
            (g, sv, h, m)
            for g, sv, h in members.itertuples(index=False)
            for m in dict.fromkeys(profile[sv])
        ]
        frame = pd.DataFrame(rows, columns=_SERIES)
        self.services = pd.Index(sorted(frame["service"].unique()))
        self.hosts = pd.Index(sorted(frame["hostname"].unique()))
        self.metrics = pd.Index(sorted(frame["metric"].unique()))
        keys = self.key(frame)
        order = np.lexsort((frame["group"].to_numpy(dtype=object).astype(str), keys))
        self.frame = frame.iloc[order].reset_index(drop=True)
        self.keys = keys[order]

    def key(self, frame: pd.DataFrame) -> np.ndarray:
        s = _codes(frame["service"], self.services)
        h = _codes(frame["hostname"], self.hosts)
        m = _codes(frame["metric"], self.metrics)
        key = (s * max(len(self.hosts), 1) + h) * max(len(self.metrics), 1) + m
        return np.where((s >= 0) & (h >= 0) & (m >= 0), key, -1)


def status_metric_rows(inputs: ArInputs) -> pd.DataFrame:
    """The report-day's ``status_metrics`` rows (``COLUMNS``), in series and time order."""
    day = inputs.day
    midnight = f"{day.isoformat()}T00:00:00Z"
    series = _Series(inputs)
    today = exclude_monitoring(inputs.records, inputs.exclusions)
    previous = _last_of_previous_day(inputs)
    parts = [p for p in (previous, today) if p is not None and not p.empty]
    wanted = [
        "timestamp",
        "service",
        "hostname",
        "metric",
        "status",
        "actual_data",
        "summary",
        "message",
    ]
    union = (
        pd.concat([p.reindex(columns=wanted) for p in parts], ignore_index=True)
        if parts
        else pd.DataFrame({c: pd.Series(dtype=object) for c in wanted})
    )
    # each record once per expected series of its (service, hostname, metric): one per group
    record_key = series.key(union) if len(union) else np.zeros(0, dtype=np.int64)
    lo = np.searchsorted(series.keys, record_key, side="left")
    hi = np.searchsorted(series.keys, record_key, side="right")
    counts = np.where(record_key >= 0, hi - lo, 0)
    record = np.repeat(np.arange(len(union)), counts)
    first = np.repeat(lo, counts)
    within = np.arange(len(record)) - np.repeat(np.cumsum(counts) - counts, counts)
    expected_row = first + within
    epoch = (
        (
            (pd.to_datetime(union["timestamp"], utc=True) - pd.Timestamp(0, tz="UTC"))
            // pd.Timedelta(seconds=1)
        ).to_numpy(dtype=np.int64)
        if len(union)
        else np.zeros(0, dtype=np.int64)
    )
    expected = series.frame
    rows = pd.DataFrame(
        {
            **{c: expected[c].to_numpy(dtype=object)[expected_row] for c in _SERIES},
            "epoch": epoch[record],
            **{
                c: union[c].to_numpy(dtype=object)[record]
                for c in ("status", "actual_data", "summary", "message")
            },
            "row": expected_row,
        }
    )
    rows = _rules(inputs, rows)
    # a series with no record on either day: the profile's missing state at midnight
    seen = np.zeros(len(expected), dtype=bool)
    seen[expected_row] = True
    missing = np.flatnonzero(~seen)
    start = int(pd.Timestamp(day, tz="UTC").timestamp())
    filler = pd.DataFrame(
        {
            **{c: expected[c].to_numpy(dtype=object)[missing] for c in _SERIES},
            "epoch": np.full(len(missing), start, dtype=np.int64),
            "status": inputs.operations.states[inputs.operations.missing],
            "actual_data": "",
            "summary": "",
            "message": "",
            "row": missing,
            "original_status": "",
            "threshold_rule_applied": "",
            "has_threshold_rule": False,
        }
    )
    rows = pd.concat([rows, filler], ignore_index=True) if len(filler) else rows
    # exact repeats count once; then series by series, in time order
    status_code = pd.factorize(rows["status"])[0]
    row, at = rows["row"].to_numpy(dtype=np.int64), rows["epoch"].to_numpy(dtype=np.int64)
    order = np.lexsort((status_code, at, row))
    repeat = np.zeros(len(order), dtype=bool)
    repeat[1:] = (
        (row[order][1:] == row[order][:-1])
        & (at[order][1:] == at[order][:-1])
        & (status_code[order][1:] == status_code[order][:-1])
    )
    rows = rows.iloc[order[~repeat]].reset_index(drop=True)
    rows["timestamp"] = _format(rows["epoch"].to_numpy(dtype=np.int64), day)
    return _previous(inputs, rows, midnight)


def _format(epoch: np.ndarray, day: date) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SSZ`` of epoch seconds: by lookup for the day's seconds, by pandas for
    the few others (the day before's last records)."""
    from platform_assets.argo.status_results import clock

    start = int(pd.Timestamp(day, tz="UTC").timestamp())
    offset = epoch - start
    on_day = (offset >= 0) & (offset < 86_400)
    out = np.empty(len(epoch), dtype=object)
    out[on_day] = f"{day.isoformat()}T" + clock()[offset[on_day]] + "Z"
    others = ~on_day
    if others.any():
        out[others] = (
            pd.to_datetime(epoch[others], unit="s", utc=True)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_numpy()
        )
    return out


def _previous(inputs: ArInputs, rows: pd.DataFrame, midnight: str) -> pd.DataFrame:
    """Each row's previous state and time; the day before's record consumed; exclusions."""
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    row = rows["row"].to_numpy(dtype=np.int64)
    new_series = np.ones(len(rows), dtype=bool)
    new_series[1:] = row[1:] != row[:-1]
    on_day = rows["timestamp"].str.startswith(inputs.day.isoformat()).to_numpy(dtype=bool)
    status = rows["status"].to_numpy(dtype=object)
    stamps = rows["timestamp"].to_numpy(dtype=object)
    prev_state = np.empty(len(rows), dtype=object)
    prev_time = np.empty(len(rows), dtype=object)
    prev_state[1:], prev_time[1:] = status[:-1], stamps[:-1]
    prev_state[new_series], prev_time[new_series] = "MISSING", midnight
    rows["previous_state"], rows["previous_timestamp"] = prev_state, prev_time
    entries = [e for e in inputs.metric_exclusions if e.start.date() <= inputs.day <= e.end.date()]
    if entries:
        return _with_exclusions(inputs, rows, entries, midnight)[COLUMNS]
    # only a series' first row can be the day before's (one record per series is kept from it)
    return rows[on_day][COLUMNS].reset_index(drop=True)


def _with_exclusions(inputs: ArInputs, rows: pd.DataFrame, entries, midnight: str) -> pd.DataFrame:
    """The original's walk, series by series, for the series an exclusion matches (the rest as
    computed)."""
    day_prefix = inputs.day.isoformat()
    today = pd.Timestamp(inputs.day, tz="UTC")
    tomorrow = today + timedelta(days=1)
    excluded_state = EXCLUDED if EXCLUDED in inputs.operations.states else "EXCLUDED"
    out: list[dict] = []
    for key, series in rows.groupby(_SERIES, sort=False, dropna=False):
        group, service, host, metric = key
        entry = matching_entry(entries, [group], service, host, metric)
        records = series.to_dict("records")
        if entry is None:
            out += [r for r in records if r["timestamp"].startswith(day_prefix)]
            continue
        prev_state, prev_time = "MISSING", midnight
        got_prev = False
        for record in records:
            if not got_prev and not record["timestamp"].startswith(day_prefix):
                prev_state, prev_time, got_prev = record["status"], record["timestamp"], True
                continue
            record["previous_state"], record["previous_timestamp"] = prev_state, prev_time
            if not record["timestamp"].startswith(day_prefix):
                continue
            stamp = pd.Timestamp(record["timestamp"])
            original = record["status"]
            if entry.start <= stamp <= entry.end:
                out.append({**record, "status": excluded_state})
                last = {**record, "status": excluded_state}
                if today <= entry.end <= tomorrow:
                    last = {
                        **record,
                        "status": original,
                        "timestamp": (entry.end + timedelta(seconds=1)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                        "previous_state": excluded_state,
                        "previous_timestamp": midnight,
                    }
                    out.append(last)
                if today <= entry.start <= tomorrow:
                    last = {
                        **last,
                        "status": original,
                        "previous_state": prev_state,
                        "previous_timestamp": prev_time,
                        "timestamp": (entry.start + timedelta(seconds=1)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                    }
                    out.append(last)
                prev_state, prev_time = last["status"], last["timestamp"]
            else:
                prev_state, prev_time = record["status"], record["timestamp"]
    return pd.DataFrame(out, columns=COLUMNS) if out else pd.DataFrame(columns=COLUMNS)


def day_of(stamp: str) -> date:
    return date.fromisoformat(stamp[:10])
