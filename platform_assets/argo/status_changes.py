"""Recomputation ``applied_status_changes``: a status forced on timelines over a period, as ARGO's
batch job (``flink_jobs_v2/batch_multi``, release 3.0.0, 2025) applies it. No Dagster import.

The rules, carried over as facts:

* an entry acts on the level its most specific field names: metric (the metric timelines, before
  they are combined; in ``argo_v3`` by rewriting the series' rows, ``metric_recomputation``, and
  this module's forcing only in ``corrected``), hostname (endpoint timelines, after
  downtimes), service (service timelines) or group (endpoint-group timelines; ``exclude``
  still sets UNKNOWN in ``endpoint_group_ar`` after it); its other fields narrow the series it
  matches;
* the period is clipped to the day: the state holds from its start (midnight at the earliest) to
  its end, where the status in force before the period comes back (none after midnight); a period
  left empty by the clipping (one ending at midnight, or ending as it starts) forces the state from
  that instant to the next change (``argo_v3``: the original's sample map), nothing (``corrected``);
* within a level, entries narrowed by more fields apply after the others, so they win where two
  overlap; otherwise document order;
* a metric series belongs to one group: an endpoint in several groups has a copy of each series
  per group, so a metric entry naming a group changes that group's copy only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from platform_assets.argo import timelines as tl
from platform_assets.argo.profiles import OperationsProfile, ProfileError, StatusChange


def for_level(changes: Sequence[StatusChange], level: str, day: date) -> list[StatusChange]:
    """The entries acting on ``level`` whose period meets the day, in the order they apply."""
    midnight = pd.Timestamp(day, tz="UTC")
    meets = [
        c
        for c in changes
        if c.level == level and c.start < midnight + timedelta(days=1) and c.end >= midnight
    ]
    return sorted(meets, key=lambda c: c.priority)  # stable: document order within a priority


def apply(
    timelines: tl.Timelines,
    changes: Sequence[StatusChange],
    matching: Callable[[StatusChange], np.ndarray],
    day: date,
    ops: OperationsProfile,
    semantics: str = "argo_v3",
) -> tl.Timelines:
    """``timelines`` with each change's state forced on the series ``matching`` returns for it.
    A period that is empty once clipped to the day (it ends as it starts, e.g. at midnight) forces
    its state from that instant to the series' next change in ``argo_v3``, as the original's
    sample map does; ``corrected`` leaves it out."""
    midnight = pd.Timestamp(day, tz="UTC")
    for change in changes:
        series = matching(change)
        if len(series) == 0:
            continue
        if change.state not in ops.states:
            raise ProfileError(
                f"recomputations: applied_status_changes state {change.state!r} (field state) is "
                f"not a state of the operations profile {list(ops.states)}"
            )
        start = max(0, int((change.start - midnight).total_seconds() // 1))
        end = min(tl.DAY_SECONDS, int((change.end - midnight).total_seconds() // 1))
        if end < start or (end == start and semantics != "argo_v3"):
            continue  # ends before it starts: the original fails on it; nothing here
        if end == start:
            timelines = tl.set_point(timelines, series, start, ops.code(change.state))
            continue
        timelines = tl.override(
            timelines,
            series,
            np.full(len(series), start, dtype=np.int64),
            np.full(len(series), end, dtype=np.int64),
            ops.code(change.state),
        )
    return timelines


def matcher(
    keys: pd.DataFrame | Mapping[str, np.ndarray],
) -> Callable[[StatusChange], np.ndarray]:
    """Series (rows of ``keys``: any of group, service, hostname, metric, as a frame or as
    columns; ``group`` may hold a tuple of groups) an entry matches: each of its fields absent or
    equal."""
    columns = {c: np.asarray(keys[c], dtype=object) for c in keys}
    rows = len(next(iter(columns.values()))) if columns else 0

    def matching(change: StatusChange) -> np.ndarray:
        hit = np.ones(rows, dtype=bool)
        for name, want in (
            ("group", change.group),
            ("service", change.service),
            ("hostname", change.hostname),
            ("metric", change.metric),
        ):
            if want is None or name not in columns:
                continue
            values = columns[name]
            if name == "group" and len(values) and isinstance(values[0], tuple):
                hit &= np.fromiter((want in g for g in values), dtype=bool, count=len(values))
            else:
                hit &= values == want
        return np.flatnonzero(hit)

    return matching
