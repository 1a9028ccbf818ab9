"""Downtimes on endpoint timelines, as ARGO's v3 batch job applies them
(``Timeline.fillWithStatus``), quirks included. No Dagster import.

Per endpoint, its downtimes in the order the API lists them, each in turn, on the timeline as the
earlier ones left it (day bounds 00:00:00 and 23:59:59):

1. ``floor`` = the last point at or before the downtime's start, ``ceiling`` = the first point at or
   after its end (both before clipping); a downtime wholly before or after the day does nothing;
2. start and end are clipped to the day;
3. if there is no ceiling, or it lies after the clipped end, the status in force at the end is
   remembered;
4. a DOWNTIME point is put at the start unless a point is already there;
5. the remembered status is put back at end + 60 s, if that is before 23:59:59;
6. every point from start to end (inclusive) becomes DOWNTIME.

So DOWNTIME lasts one minute past the end; a status change in that minute is overwritten; a
downtime ending exactly on a point (midnight included) lasts until the next point; the result of
overlapping downtimes depends on their order. The ``corrected`` semantics uses
``timelines.override`` instead: DOWNTIME on [start, end), the true status after.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from platform_assets.argo import timelines as tl

DAY_END = tl.DAY_SECONDS - 1  # 23:59:59
RESTORE_AFTER_S = 60


def fill_with_status(points: dict[int, int], start: int, end: int, status: int) -> None:
    """Apply one downtime [start, end] (seconds from midnight, unclipped) to ``points`` in place."""
    times = sorted(points)
    floor_at = bisect_right(times, start) - 1
    floor = times[floor_at] if floor_at >= 0 else None
    ceiling_at = bisect_left(times, end)
    ceiling = times[ceiling_at] if ceiling_at < len(times) else None
    if end < 0 or start > DAY_END:
        return
    start, end = max(start, 0), min(end, DAY_END)
    restore = None
    if ceiling is None or ceiling > end:
        in_force = bisect_right(times, end) - 1
        restore = points[times[in_force]] if in_force >= 0 else None
    if floor != start:
        points[start] = status
    if restore is not None and end + RESTORE_AFTER_S < DAY_END:
        points[end + RESTORE_AFTER_S] = restore
    for t in times:
        if start <= t <= end:
            points[t] = status


def apply(
    timelines: tl.Timelines,
    endpoint: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    status: int,
) -> tl.Timelines:
    """``timelines`` with each endpoint's downtimes applied in the given (API) order."""
    if len(endpoint) == 0:
        return timelines
    touched = np.unique(endpoint)
    rows = np.isin(timelines.series, touched)
    series, t, st = [timelines.series[~rows]], [timelines.t[~rows]], [timelines.status[~rows]]
    bounds = np.searchsorted(timelines.series, np.stack([touched, touched + 1]))
    for k, e in enumerate(touched.tolist()):
        lo, hi = bounds[0, k], bounds[1, k]
        points = dict(
            zip(timelines.t[lo:hi].tolist(), timelines.status[lo:hi].tolist(), strict=True)
        )
        for i in np.flatnonzero(endpoint == e).tolist():
            fill_with_status(points, int(start[i]), int(end[i]), status)
        ordered = sorted(points.items())
        series.append(np.full(len(ordered), e, dtype=np.int64))
        t.append(np.array([p[0] for p in ordered], dtype=np.int64))
        st.append(np.array([p[1] for p in ordered], dtype=np.int8))
    all_s, all_t, all_st = np.concatenate(series), np.concatenate(t), np.concatenate(st)
    order = np.lexsort((all_t, all_s))
    return tl.compact(all_s[order], all_t[order], all_st[order].astype(np.int8))
