"""A metric-level ``applied_status_changes`` entry as ARGO's v2 batch job applies it: by rewriting
the series' ``status_metrics`` rows, from which its metric timeline is then built. No Dagster
import.

The rules, carried over as facts from the original (``CalcRecomputation``,
``RecompTimelineBuilder.calcRecomputationsMetrics``), not its code. The series' rows of the day are
kept one per second; for each entry, in order, with the request's period clipped to the day
[start, end) (start: midnight at the earliest; end: the next midnight at the latest):

1. **end**: when some row is before ``end``: a row at ``end`` (within the day) gets the message
   *This is the end of recomputation period*, previous state the entry's state, previous time the
   row before it (or ``start``, when that row is before ``start``), and no original status. If
   there was none, it is new, with the status of the row before it, and the row after it takes it
   as its previous;
2. **start**: a row at ``start`` takes the entry's state and the message *This is the start of
   recomputation period*; if there was none, it is new: its previous is the row before it, or,
   when it comes first, the entry's state at the first row's previous time (when that is before
   the request's own start) or at ``start``;
3. **between**: every row strictly between ``start`` and ``end`` takes the entry's state, its
   previous being the row before it.

The timeline is the first row's previous state at its previous time (midnight at the latest;
MISSING from midnight when it is later), then each row's status at its time. Two quirks follow,
kept in ``argo_v3`` (``corrected`` forces [start, end) on the timeline instead): an entry starting
before the series' first row of the day holds from midnight, and one with no row before its end
lasts until the series' first row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from platform_assets.argo.profiles import OperationsProfile, StatusChange

DAY_SECONDS = 86_400
START_MESSAGE = "This is the start of recomputation period"
END_MESSAGE = "This is the end of recomputation period"

# a row: "t" (second of the day), "status", "timestamp" (its text), "previous_t",
# "previous_state", "previous_timestamp", "message", and whatever else the caller keeps in it
Row = dict


def stamp(day: date, second: int) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` of ``second`` from the day's midnight (negative: the day before)."""
    moment = pd.Timestamp(day, tz="UTC") + pd.Timedelta(seconds=int(second))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def one_per_second(rows: list[Row], ops: OperationsProfile) -> list[Row]:
    """The series' rows (in time order) one per second, as the original's map by time keeps them:
    of rows of one second, the one with the highest status code (the kernel's rule; the original
    keeps whichever its sort hands it last). The series' first row keeps the previous of its
    second's first row, the row before the day's first second, so that its timeline starts as the
    kernel's does."""
    kept: dict[int, tuple[Row, Row]] = {}  # second -> (the row kept, the second's first row)
    for row in rows:
        code = ops.code(row["status"]) if row["status"] in ops.states else ops.unknown
        if row["t"] not in kept:
            kept[row["t"]] = ({**row, "_code": code}, row)
        elif code >= kept[row["t"]][0]["_code"]:
            kept[row["t"]] = ({**row, "_code": code}, kept[row["t"]][1])
    out = [{k: v for k, v in kept[t][0].items() if k != "_code"} for t in sorted(kept)]
    if out:
        first = kept[min(kept)][1]
        out[0].update({k: first[k] for k in ("previous_t", "previous_timestamp", "previous_state")})
    return out


def rewrite(
    rows: list[Row], change: StatusChange, day: date, blank: Callable[[Row], Row]
) -> list[Row]:
    """The series' rows (one per second, in time order) after ``change``; ``blank(ref)`` is a new
    row's fields other than those the walk sets, taken from the row ``ref``."""
    if not rows:
        return rows
    midnight = pd.Timestamp(day, tz="UTC")
    raw_start = int((change.start - midnight).total_seconds() // 1)
    start = max(raw_start, 0)
    end = min(int((change.end - midnight).total_seconds() // 1), DAY_SECONDS)
    by_time = {row["t"]: dict(row) for row in rows}  # the caller's rows stay as they were

    def before(t: int) -> Row | None:
        earlier = [k for k in by_time if k < t]
        return by_time[max(earlier)] if earlier else None

    lower = before(end)
    if lower is not None and end < DAY_SECONDS:
        closing = by_time.get(end)
        if closing is None:
            closing = {**blank(lower), "t": end, "timestamp": stamp(day, end)}
            closing["status"] = lower["status"]
            by_time[end] = closing
            later = [k for k in by_time if k > end]
            if later:
                nxt = by_time[min(later)]
                nxt.update(
                    previous_t=end,
                    previous_timestamp=closing["timestamp"],
                    previous_state=closing["status"],
                )
        if lower["t"] < start:
            closing.update(previous_t=start, previous_timestamp=stamp(day, start))
        else:
            closing.update(previous_t=lower["t"], previous_timestamp=lower["timestamp"])
        closing.update(previous_state=change.state, message=END_MESSAGE, original_status="")

    if start in by_time:
        by_time[start].update(status=change.state, message=START_MESSAGE)
    else:
        floor = before(start)
        opening = {
            **blank(floor if floor is not None else by_time[min(by_time)]),
            "t": start,
            "timestamp": stamp(day, start),
            "status": change.state,
            "message": START_MESSAGE,
            "previous_state": change.state,
        }
        if floor is not None:
            opening.update(
                previous_t=floor["t"],
                previous_timestamp=floor["timestamp"],
                previous_state=floor["status"],
            )
        else:
            first = by_time[min(by_time)]
            if first["previous_t"] < raw_start:
                opening.update(
                    previous_t=first["previous_t"], previous_timestamp=first["previous_timestamp"]
                )
            else:
                opening.update(previous_t=start, previous_timestamp=stamp(day, start))
        by_time[start] = opening

    ordered = sorted(by_time)
    for k_before, k in zip(ordered, ordered[1:], strict=False):
        if start < k < end:
            prev = by_time[k_before]
            by_time[k] = {
                **by_time[k],
                "status": change.state,
                "previous_t": prev["t"],
                "previous_timestamp": prev["timestamp"],
                "previous_state": prev["status"],
            }
    return [by_time[k] for k in ordered]


def timeline(rows: list[Row], missing: str) -> list[tuple[int, str]]:
    """(second, status) points of the metric timeline the rows make, from midnight to the end of
    the day (a row past it, such as an exclusion's copy one second after a window ending at
    23:59:59, is no point of the day)."""
    first = rows[0]
    points = {0: first["previous_state"]} if first["previous_t"] <= 0 else {0: missing}
    if first["previous_t"] > 0:
        points[first["previous_t"]] = first["previous_state"]
    for row in rows:
        points[row["t"]] = row["status"]
    return sorted((t, status) for t, status in points.items() if t < DAY_SECONDS)
