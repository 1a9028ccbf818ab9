"""Vectorised status timelines over one UTC day.

A *timeline set* holds many step functions at once as three parallel arrays sorted by
(series, t): ``series`` (int64 id), ``t`` (second of the day, 0..86399) and ``status`` (int8
status code). Every series has a point at t=0 and no two consecutive points of a series share a
status. Combining child timelines into parent timelines (metric -> endpoint -> service -> group)
is done for all parents at once with numpy, which is what keeps a federation-sized day fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from platform_assets.argo.series_lookup import sort_packed

DAY_SECONDS = 86_400
_SPAN = DAY_SECONDS + 1  # key stride: series * _SPAN + t is unique and ordered


@dataclass(frozen=True)
class Timelines:
    series: np.ndarray  # int64
    t: np.ndarray  # int64 seconds of the day
    status: np.ndarray  # int8

    def __len__(self) -> int:
        return len(self.series)

    def keys(self) -> np.ndarray:
        return self.series * _SPAN + self.t


def _compress(series: np.ndarray, t: np.ndarray, status: np.ndarray) -> Timelines:
    """Drop points that repeat the previous point's status within the same series."""
    if len(series) == 0:
        return Timelines(series, t, status)
    keep = np.ones(len(series), dtype=bool)
    keep[1:] = (series[1:] != series[:-1]) | (status[1:] != status[:-1])
    return Timelines(series[keep], t[keep], status[keep])


def compact(series: np.ndarray, t: np.ndarray, status: np.ndarray) -> Timelines:
    """Timelines from points sorted by (series, t), repeated statuses dropped."""
    return _compress(series, t, status)


def from_samples(
    series: np.ndarray,
    t: np.ndarray,
    status: np.ndarray,
    n_series: int,
    fill_status: int,
    initial_status: np.ndarray | None = None,
) -> Timelines:
    """Build timelines for series 0..n_series-1 from status samples.

    ``initial_status[s]`` (or -1) is the status a series carries into the day (ARGO takes the last
    record of the previous day); a series with neither a carried status nor a sample at t=0 is
    ``fill_status`` (MISSING) from midnight until its first sample. Samples of one series at the
    same second are ordered by status code and the last wins, so results never depend on the
    order records arrived in.
    """
    series = np.asarray(series, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    status = np.asarray(status, dtype=np.int8)
    start = np.full(n_series, fill_status, dtype=np.int8)
    if initial_status is not None:
        carried = initial_status >= 0
        start[carried] = initial_status[carried]
    all_series = np.concatenate([np.arange(n_series, dtype=np.int64), series])
    all_t = np.concatenate([np.zeros(n_series, dtype=np.int64), t])
    all_status = np.concatenate([start, status])
    # rank: the seeded start point sorts before any sample at t=0, then samples by status code
    rank = np.concatenate([np.zeros(n_series, dtype=np.int64), status.astype(np.int64) + 1])
    packed = sort_packed([all_series, all_t, rank]) if (t >= 0).all() else None
    if packed is None:
        order = np.lexsort((rank, all_t, all_series))
        s, tt, st = all_series[order], all_t[order], all_status[order]
    else:  # the status is the rank's, but for the seeded start points
        s, tt, ranked = packed
        st = np.where(ranked > 0, ranked - 1, start[s]).astype(np.int8)
    last_of_second = np.ones(len(s), dtype=bool)
    last_of_second[:-1] = (s[1:] != s[:-1]) | (tt[1:] != tt[:-1])
    return _compress(s[last_of_second], tt[last_of_second], st[last_of_second])


def status_at(tl: Timelines, series: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Status of each queried (series, t); every series must have a point at t=0."""
    idx = np.searchsorted(tl.keys(), series * _SPAN + t, side="right") - 1
    return tl.status[idx]


def combine(
    child: Timelines,
    child_parent: np.ndarray,
    parent_op: np.ndarray,
    tables: np.ndarray,
    n_parents: int,
) -> Timelines:
    """Fold the timelines of each parent's children with the parent's truth table.

    ``child_parent[c]`` is the parent of child series c (or -1 to leave it out); ``parent_op[p]``
    indexes ``tables`` (n_ops x n_states x n_states). Children fold in ascending child id, so the
    result is deterministic. Parents without children get no timeline.
    """
    children = np.flatnonzero(child_parent >= 0)
    if len(children) == 0 or len(child) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Timelines(empty, empty.copy(), np.zeros(0, dtype=np.int8))
    children = children[np.argsort(child_parent[children], kind="stable")]
    kids_parent = child_parent[children]
    counts = np.bincount(kids_parent, minlength=n_parents)
    first_kid = np.concatenate([[0], np.cumsum(counts)[:-1]])

    # change points of a parent: the union of its children's change points
    row_parent = child_parent[child.series]
    used = row_parent >= 0
    grid_keys = np.unique(row_parent[used] * _SPAN + child.t[used])
    grid_parent, grid_t = np.divmod(grid_keys, _SPAN)

    k = counts[grid_parent]
    cell_grid = np.repeat(np.arange(len(grid_keys)), k)
    cell_start = np.repeat(np.cumsum(k) - k, k)
    within = np.arange(len(cell_grid)) - cell_start
    cell_child = children[first_kid[grid_parent[cell_grid]] + within]
    cell_status = status_at(child, cell_child, grid_t[cell_grid])

    acc = cell_status[within == 0].copy()  # one cell per grid point, in grid order
    ops = parent_op[grid_parent]
    for j in range(1, int(k.max()) if len(k) else 1):
        sel = within == j
        g = cell_grid[sel]
        acc[g] = tables[ops[g], acc[g], cell_status[sel]]
    return _compress(grid_parent.astype(np.int64), grid_t.astype(np.int64), acc.astype(np.int8))


def override(
    tl: Timelines, series: np.ndarray, start: np.ndarray, end: np.ndarray, status: int
) -> Timelines:
    """Force ``status`` on [start, end) of the given series (used for downtimes).

    Intervals are clipped to the day by the caller; overlapping intervals merge naturally.
    """
    series = np.asarray(series, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    valid = end > start
    series, start, end = series[valid], start[valid], end[valid]
    if len(series) == 0:
        return tl
    new_series = np.concatenate([series, series[end < DAY_SECONDS]])
    new_t = np.concatenate([start, end[end < DAY_SECONDS]])
    new_keys = np.setdiff1d(new_series * _SPAN + new_t, tl.keys())
    ns, nt = np.divmod(new_keys, _SPAN)
    all_s = np.concatenate([tl.series, ns])
    all_t = np.concatenate([tl.t, nt])
    all_status = np.concatenate([tl.status, status_at(tl, ns, nt)])
    order = np.lexsort((all_t, all_s))
    all_s, all_t, all_status = all_s[order], all_t[order], all_status[order]

    keys = all_s * _SPAN + all_t
    start_keys = np.sort(series * _SPAN + start)
    end_keys = np.sort(series * _SPAN + end)
    base = all_s * _SPAN
    opened = np.searchsorted(start_keys, keys, side="right") - np.searchsorted(
        start_keys, base, side="left"
    )
    closed = np.searchsorted(end_keys, keys, side="right") - np.searchsorted(
        end_keys, base, side="left"
    )
    all_status = np.where(opened > closed, np.int8(status), all_status).astype(np.int8)
    return _compress(all_s, all_t, all_status)


def set_point(tl: Timelines, series: np.ndarray, t: int, status: int) -> Timelines:
    """``status`` from second ``t`` of the given series until their next change (a point put in,
    or replacing the one at ``t``)."""
    series = np.unique(np.asarray(series, dtype=np.int64))
    keep = ~np.isin(tl.keys(), series * _SPAN + t)
    all_s = np.concatenate([tl.series[keep], series])
    all_t = np.concatenate([tl.t[keep], np.full(len(series), t, dtype=np.int64)])
    all_status = np.concatenate([tl.status[keep], np.full(len(series), status, dtype=np.int8)])
    order = np.lexsort((all_t, all_s))
    return compact(all_s[order], all_t[order], all_status[order])


def durations(tl: Timelines, n_series: int, n_states: int) -> np.ndarray:
    """Seconds spent in each status: array (n_series, n_states)."""
    if len(tl) == 0:
        return np.zeros((n_series, n_states), dtype=np.int64)
    nxt = np.empty(len(tl), dtype=np.int64)
    nxt[:-1] = np.where(tl.series[1:] == tl.series[:-1], tl.t[1:], DAY_SECONDS)
    nxt[-1] = DAY_SECONDS
    cells = tl.series * n_states + tl.status.astype(np.int64)
    seconds = np.bincount(cells, weights=nxt - tl.t, minlength=n_series * n_states)
    return np.rint(seconds).astype(np.int64).reshape(n_series, n_states)
