"""Recomputation ``exclude_metrics``: the EXCLUDED state on matching metric series, as ARGO's v3
batch job (``flink_jobs_v3/batch-multi``) applies it. No Dagster import.

For a series matched by an entry (the first entry in document order whose metric, group, service
and hostname are each absent or equal), with the recomputation's window [S, E]:

* each record of the day inside [S, E] becomes EXCLUDED at its time; and for each such record,
  its original status comes back one second after E (when E falls within the day) and one
  second after S (when S falls within the day);
* a record of the day outside [S, E] is dropped: the series' status outside the window comes only
  from those copies and from what it carried into the day (difference (f) of issue 26);
* a matched series with no record inside the window has no timeline at all;
* the series starts the day with the status of the record just before its first kept record (the
  previous day's last, or a dropped one of the day at its own time, else MISSING at midnight).

A metric series belongs to one group (an endpoint in several groups has a copy per group, as in
the original), so an entry naming a group matches that group's copy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from platform_assets.argo.profiles import EXCLUDED, MetricExclusion, OperationsProfile

DAY_SECONDS = 86_400


def matching_entry(
    entries: Sequence[MetricExclusion], groups: Sequence[str], service: str, host: str, metric: str
) -> MetricExclusion | None:
    for entry in entries:
        if any(entry.matches(group, service, host, metric) for group in groups):
            return entry
    return None


Row = tuple[int, int, tuple[int, int]]  # (second, status, (previous second, previous status))


def excluded_rows(
    records: list[tuple[int, int]],
    carried: int,
    start_s: float,
    end_s: float,
    ops: OperationsProfile,
) -> list[Row] | None:
    """The series' rows of the day as ``status_metrics`` has them, in time order (emission order
    within a second), each with its previous; None when none is left."""
    excluded = ops.code(EXCLUDED)
    missing = ops.code("MISSING") if "MISSING" in ops.states else ops.missing
    previous = (-1, carried) if carried >= 0 else (0, missing)
    emitted: list[tuple[int, int, tuple[int, int]]] = []  # (second, status, previous point)
    end_in_day = 0 <= end_s <= DAY_SECONDS
    start_in_day = 0 <= start_s <= DAY_SECONDS
    for second, status in records:
        if start_s <= second <= end_s:
            emitted.append((second, excluded, previous))
            latest = (second, excluded)
            if end_in_day:
                emitted.append((int(end_s) + 1, status, (0, excluded)))
                latest = (int(end_s) + 1, status)
            if start_in_day:
                emitted.append((int(start_s) + 1, status, previous))
                latest = (int(start_s) + 1, status)
            previous = latest
        else:
            previous = (second, status)
    if not emitted:
        return None
    return sorted(emitted, key=lambda item: item[0])  # stable: emission order within a second


def points_of(ordered: list[Row], ops: OperationsProfile) -> list[tuple[int, int]]:
    """The timeline the rows make: the first row's previous, then each row (midnight at the
    earliest, MISSING from midnight when nothing comes before it)."""
    missing = ops.code("MISSING") if "MISSING" in ops.states else ops.missing
    points: dict[int, int] = {ordered[0][2][0]: ordered[0][2][1]}
    for second, status, _ in ordered:
        points[second] = status
    before = [s for s in points if s < 0]
    if before:
        last_before = max(before)
        points[0] = points.get(0, points[last_before])
        del points[last_before]
    elif not any(s <= 0 for s in points):
        points[0] = missing
    return sorted((s, st) for s, st in points.items() if s < DAY_SECONDS)


def apply(
    entries: Sequence[MetricExclusion],
    day_start,  # noqa: ANN001 - a pandas Timestamp (UTC midnight)
    series_keys: list[tuple[tuple[str, ...], str, str, str]],
    series: np.ndarray,
    t: np.ndarray,
    status: np.ndarray,
    carried: np.ndarray,
    ops: OperationsProfile,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, list[Row]]]:
    """Samples with the matched series rewritten: (series, t, status, matched mask, vanished
    mask, each matched series' rows). ``series_keys[i]`` is (groups, service, hostname, metric)
    of series i."""
    n = len(series_keys)
    matched = np.zeros(n, dtype=bool)
    vanished = np.zeros(n, dtype=bool)
    windows: dict[int, MetricExclusion] = {}
    for i, (groups, service, host, metric) in enumerate(series_keys):
        entry = matching_entry(entries, groups, service, host, metric)
        if entry is not None:
            matched[i] = True
            windows[i] = entry
    if not windows:
        return series, t, status, matched, vanished, {}
    series_rows: dict[int, list[Row]] = {}
    keep = ~matched[series]
    new_series, new_t, new_status = [series[keep]], [t[keep]], [status[keep]]
    order = np.lexsort((status, t, series))
    s_sorted, t_sorted, st_sorted = series[order], t[order], status[order]
    bounds = np.searchsorted(s_sorted, np.arange(n + 1))
    for i, entry in windows.items():
        rows = slice(bounds[i], bounds[i + 1])
        records = list(zip(t_sorted[rows].tolist(), st_sorted[rows].tolist(), strict=True))
        start_s = (entry.start - day_start).total_seconds()
        end_s = (entry.end - day_start).total_seconds()
        emitted = excluded_rows(records, int(carried[i]), start_s, end_s, ops)
        if emitted is None:
            vanished[i] = True
            continue
        series_rows[i] = emitted
        points = points_of(emitted, ops)
        new_series.append(np.full(len(points), i, dtype=np.int64))
        new_t.append(np.array([p[0] for p in points], dtype=np.int64))
        new_status.append(np.array([p[1] for p in points], dtype=np.int8))
    return (
        np.concatenate(new_series),
        np.concatenate(new_t),
        np.concatenate(new_status).astype(np.int8),
        matched,
        vanished,
        series_rows,
    )
