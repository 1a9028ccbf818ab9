"""``status_metrics`` as ARGO's v3 batch job writes it: one row per metric record of the day, per
endpoint group of its endpoint, with the status before it. No Dagster import.

The rules, carried over as facts from the original (``PickEndpoints``, ``FillMissing``,
``CalcPrevStatus``), not its code:

- The day's records and each series' last record of the day before (after monitoring-source
  exclusions) are kept when their endpoint is in the topology and their metric in the service's
  metric profile; each goes to every endpoint group of its endpoint.
- A series the topology and profile expect but with no record on either day gets one row at
  ``<day>T00:00:00Z`` with the profile's missing state and empty message, summary and actual data;
  a series of a metric the profile gained on the day (``ArInputs.new_metrics``) gets one with the
  unknown state instead, whether it has records or not. A membership whose group ARGO takes no
  records for (not of the report's endpoint-group type, or not a subgroup in ``topology_groups``:
  ``profiles.mark_memberships``) has no record rows, only the missing state at midnight.
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

from platform_assets.argo.ar_kernel import ArInputs, exclude_monitoring, report_topology
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
    stamps = pd.to_datetime(prev["timestamp"], utc=True).to_numpy(dtype="datetime64[ns]")
    if len(stamps) > 1 and (stamps[1:] < stamps[:-1]).any():  # the lake's are in time order
        prev = prev.iloc[np.argsort(stamps, kind="stable")]
    # each series' last record in time (among records of the same second, the last listed)
    return prev.drop_duplicates(["service", "hostname", "metric"], keep="last")


Columns = dict[str, np.ndarray]  # the rows as plain arrays: no pandas copy per step


def _rules(inputs: ArInputs, rows: Columns) -> None:
    """Set ``status``, ``original_status``, ``threshold_rule_applied``, ``has_threshold_rule``."""
    n = len(rows["status"])
    rows["original_status"] = np.full(n, "", dtype=object)
    rows["threshold_rule_applied"] = np.full(n, "", dtype=object)
    rows["has_threshold_rule"] = np.zeros(n, dtype=bool)
    rules = inputs.thresholds
    if rules is None or n == 0:
        return
    candidates = np.flatnonzero(
        pd.Series(rows["metric"]).isin(rules.metrics).to_numpy() & pd.notna(rows["actual_data"])
    )
    if len(candidates) == 0:
        return
    ops = inputs.operations
    try:
        and_table = ops.tables[ops.op("AND")]
    except Exception:  # no AND operation: the original cannot combine labels, nothing changes
        return

    def combine(a: str, b: str) -> str:
        return ops.states[and_table[ops.code(a), ops.code(b)]]

    groups, hosts, metrics = rows["group"], rows["hostname"], rows["metric"]
    status, data = rows["status"], rows["actual_data"]
    for i in candidates.tolist():
        rule = rules.rule_for(groups[i], hosts[i], metrics[i])
        if rule not in rules.rules:
            continue
        try:
            name = rules.status(groups[i], hosts[i], metrics[i], data[i], combine)
        except (ValueError, IndexError, KeyError):
            continue
        if name:
            rows["original_status"][i] = status[i]
            rows["threshold_rule_applied"][i] = rules.texts.get(rule, "")
            status[i] = name
            rows["has_threshold_rule"][i] = True


def _codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    """Position of each value in ``categories``, -1 where it is not one."""
    return categories.get_indexer(pd.Index(values, dtype=object)).astype(np.int64)


class _Series:
    """The series the topology and profile expect, (group, service, hostname, metric), sorted by an
    integer key of (service, hostname, metric): records find theirs (every group of their
    endpoint) by binary search, not by joining strings."""

    def __init__(self, inputs: ArInputs):
        profile = inputs.metric_profile
        topo = report_topology(inputs)
        if "valid" not in topo:
            topo = topo.assign(valid=True)
        members = topo[["group", "service", "hostname", "valid"]].drop_duplicates(
            ["group", "service", "hostname"]
        )
        rows = [
            (g, sv, h, m, v)
            for g, sv, h, v in members.itertuples(index=False)
            for m in dict.fromkeys(profile[sv])
        ]
        frame = pd.DataFrame(rows, columns=[*_SERIES, "valid"])
        self.services = pd.Index(sorted(frame["service"].unique()))
        self.hosts = pd.Index(sorted(frame["hostname"].unique()))
        self.metrics = pd.Index(sorted(frame["metric"].unique()))
        keys = self.key(frame)
        order = np.lexsort((frame["group"].to_numpy(dtype=object).astype(str), keys))
        self.frame = frame.iloc[order].reset_index(drop=True)
        self.columns = {c: self.frame[c].to_numpy(dtype=object) for c in _SERIES}
        # a membership ARGO takes no records for (profiles.mark_memberships): MISSING at midnight
        self.valid = self.frame["valid"].to_numpy(dtype=bool)
        self.keys = keys[order]

    def of_new_metrics(self, new_metrics: frozenset[tuple[str, str]]) -> np.ndarray:
        """Which series are of a (service, metric) in ``new_metrics``."""
        if not new_metrics:
            return np.zeros(len(self.frame), dtype=bool)
        pairs = zip(self.columns["service"].tolist(), self.columns["metric"].tolist(), strict=True)
        return np.fromiter((p in new_metrics for p in pairs), dtype=bool, count=len(self.frame))

    def key(self, frame: pd.DataFrame) -> np.ndarray:
        s = _codes(frame["service"], self.services)
        h = _codes(frame["hostname"], self.hosts)
        m = _codes(frame["metric"], self.metrics)
        key = (s * max(len(self.hosts), 1) + h) * max(len(self.metrics), 1) + m
        return np.where((s >= 0) & (h >= 0) & (m >= 0), key, -1)


def _objects(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), None, dtype=object)
    out = frame[column].to_numpy(dtype=object).copy()
    out[pd.isna(out)] = None
    return out


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
    within = np.arange(len(record)) - np.repeat(np.cumsum(counts) - counts, counts)
    expected_row = np.repeat(lo, counts) + within
    taken = series.valid[expected_row]
    record, expected_row = record[taken], expected_row[taken]
    epoch = (
        (
            (pd.to_datetime(union["timestamp"], utc=True) - pd.Timestamp(0, tz="UTC"))
            // pd.Timedelta(seconds=1)
        ).to_numpy(dtype=np.int64)
        if len(union)
        else np.zeros(0, dtype=np.int64)
    )
    # a series with no record on either day: the profile's missing state at midnight; a series
    # of a metric the profile gained on the day: its unknown state at midnight, records or not
    seen = np.zeros(len(series.frame), dtype=bool)
    seen[expected_row] = True
    new = series.of_new_metrics(inputs.new_metrics)
    missing = np.flatnonzero(~seen & ~new)
    unknown = np.flatnonzero(new)
    filled = np.concatenate([missing, unknown])
    start = int(pd.Timestamp(day, tz="UTC").timestamp())
    rows: Columns = {
        "row": np.concatenate([expected_row, filled]),
        "epoch": np.concatenate([epoch[record], np.full(len(filled), start, dtype=np.int64)]),
    }
    states = inputs.operations.states
    fill_status = np.array(
        [states[inputs.operations.missing]] * len(missing)
        + [states[inputs.operations.unknown]] * len(unknown),
        dtype=object,
    )
    for column in ("status", "actual_data", "summary", "message"):
        values = _objects(union, column)[record]
        filler = fill_status if column == "status" else np.full(len(filled), "", dtype=object)
        rows[column] = np.concatenate([values, filler])
    for column in _SERIES:
        rows[column] = series.columns[column][rows["row"]]
    _rules(inputs, rows)
    # exact repeats count once; then series by series, in time order
    status_code = pd.factorize(rows["status"])[0]
    row, at = rows["row"], rows["epoch"]
    order = np.lexsort((status_code, at, row))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = ~(
        (row[order][1:] == row[order][:-1])
        & (at[order][1:] == at[order][:-1])
        & (status_code[order][1:] == status_code[order][:-1])
    )
    chosen = order[keep]
    rows = {name: values[chosen] for name, values in rows.items()}
    rows["timestamp"] = _format(rows["epoch"], day)
    return _previous(inputs, rows, midnight)


def _format(epoch: np.ndarray, day: date) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SSZ`` of epoch seconds: by lookup for the day's seconds, by pandas for
    the few others (the day before's last records)."""
    from platform_assets.argo.status_results import clock

    start = int(pd.Timestamp(day, tz="UTC").timestamp())
    offset = epoch - start
    on_day = (offset >= 0) & (offset < 86_400)
    prefix = f"{day.isoformat()}T"
    out = np.empty(len(epoch), dtype=object)
    stamps = np.array([f"{prefix}{t}Z" for t in clock()], dtype=object)  # once per day
    out[on_day] = stamps[offset[on_day]]
    others = ~on_day
    if others.any():
        out[others] = (
            pd.to_datetime(epoch[others], unit="s", utc=True)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_numpy()
        )
    return out


def _previous(inputs: ArInputs, rows: Columns, midnight: str) -> pd.DataFrame:
    """Each row's previous state and time; the day before's record consumed; exclusions."""
    n = len(rows["row"])
    if n == 0:
        return pd.DataFrame(columns=COLUMNS)
    row = rows["row"]
    new_series = np.ones(n, dtype=bool)
    new_series[1:] = row[1:] != row[:-1]
    start = int(pd.Timestamp(inputs.day, tz="UTC").timestamp())
    on_day = (rows["epoch"] >= start) & (rows["epoch"] < start + 86_400)
    status, stamps = rows["status"], rows["timestamp"]
    prev_state = np.empty(n, dtype=object)
    prev_time = np.empty(n, dtype=object)
    prev_state[1:], prev_time[1:] = status[:-1], stamps[:-1]
    prev_state[new_series], prev_time[new_series] = "MISSING", midnight
    rows["previous_state"], rows["previous_timestamp"] = prev_state, prev_time
    entries = [e for e in inputs.metric_exclusions if e.start.date() <= inputs.day <= e.end.date()]
    if entries:
        frame = pd.DataFrame({c: rows[c] for c in COLUMNS}, dtype=object)
        frame["has_threshold_rule"] = frame["has_threshold_rule"].astype(bool)
        return _with_exclusions(inputs, frame, entries, midnight)[COLUMNS]
    # only a series' first row can be the day before's (one record per series is kept from it)
    return _frame({c: rows[c][on_day] for c in COLUMNS})


def _frame(columns: Columns) -> pd.DataFrame:
    """The rows as a frame of plain objects (no string-dtype conversion of a million values)."""
    frame = pd.DataFrame(columns, dtype=object)
    frame["has_threshold_rule"] = columns["has_threshold_rule"].astype(bool)
    return frame


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
