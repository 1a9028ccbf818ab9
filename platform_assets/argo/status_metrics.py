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


def _stamp(ts: pd.Series) -> pd.Series:
    """UTC timestamps as ARGO writes them (``YYYY-MM-DDTHH:MM:SSZ``)."""
    stamps = pd.to_datetime(ts, utc=True)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object)


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


def status_metric_rows(inputs: ArInputs) -> pd.DataFrame:
    """The report-day's ``status_metrics`` rows (``COLUMNS``), in series and time order."""
    day = inputs.day
    midnight = f"{day.isoformat()}T00:00:00Z"
    profile = inputs.metric_profile
    topo = inputs.endpoints[inputs.endpoints["service"].isin(list(profile))]
    expected = pd.DataFrame(
        [
            (g, s, h, m)
            for g, s, h in topo[["group", "service", "hostname"]]
            .drop_duplicates()
            .itertuples(index=False)
            for m in dict.fromkeys(profile[s])
        ],
        columns=_SERIES,
    )
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
        else pd.DataFrame(columns=wanted)
    )
    union["timestamp"] = _stamp(union["timestamp"]) if len(union) else union["timestamp"]
    rows = union.merge(expected, on=["service", "hostname", "metric"], how="inner")
    rows = _rules(inputs, rows)
    seen = set(zip(union["service"], union["hostname"], union["metric"], strict=True))
    missing = expected[
        [
            k not in seen
            for k in zip(expected["service"], expected["hostname"], expected["metric"], strict=True)
        ]
    ].assign(
        status=inputs.operations.states[inputs.operations.missing],
        timestamp=midnight,
        actual_data="",
        summary="",
        message="",
        original_status="",
        threshold_rule_applied="",
        has_threshold_rule=False,
    )
    rows = pd.concat([rows, missing], ignore_index=True)
    rows = rows.drop_duplicates([*_SERIES, "status", "timestamp"])
    rows = rows.sort_values([*_SERIES, "timestamp"], kind="stable").reset_index(drop=True)
    return _previous(inputs, rows, midnight)


def _previous(inputs: ArInputs, rows: pd.DataFrame, midnight: str) -> pd.DataFrame:
    """Each row's previous state and time; the day before's record consumed; exclusions."""
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    day_prefix = inputs.day.isoformat()
    keys = rows[_SERIES].to_numpy(dtype=object)
    new_series = np.ones(len(rows), dtype=bool)
    new_series[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    on_day = rows["timestamp"].str.startswith(day_prefix).to_numpy()
    prev_state = np.empty(len(rows), dtype=object)
    prev_time = np.empty(len(rows), dtype=object)
    status = rows["status"].to_numpy(dtype=object)
    stamps = rows["timestamp"].to_numpy(dtype=object)
    prev_state[1:], prev_time[1:] = status[:-1], stamps[:-1]
    first = new_series
    prev_state[first], prev_time[first] = "MISSING", midnight
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
    for key, series in rows.groupby(_SERIES, sort=False):
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
