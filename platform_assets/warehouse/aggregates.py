"""Hourly space usage and weekly people counts: the reference definitions over pandas frames.

All time arithmetic is on integer microseconds since the epoch (UTC), so neither the machine's
time zone nor a Spark session's can shift a bucket. Spark runs these functions per group; the local
engine runs the same definitions as DuckDB SQL (aggregates_duckdb.py), held to identical results
by the tests. No Dagster import.
"""

import numpy as np
import pandas as pd

HOUR_US = 3_600_000_000
WEEK_US = 7 * 24 * HOUR_US
MONDAY_OFFSET_US = 4 * 24 * HOUR_US  # 1970-01-01 was a Thursday; ISO weeks start on Monday
MAX_SESSION_US = 12 * HOUR_US  # a check-in without a check-out counts for at most 12 hours
EVENT_COLUMNS = [
    "event_id",
    "space_id",
    "company_id",
    "person_id",
    "event_type",
    "ts_us",
    "people_count",
]
HOURLY_COLUMNS = [
    "hour_start_us",
    "space_id",
    "company_id",
    "events",
    "distinct_people",
    "occupied_minutes",
    "peak_people_count",
]
WEEKLY_COLUMNS = ["week_start_us", "company_id", "distinct_people", "events"]


def to_event_frame(table) -> pd.DataFrame:
    """Arrow fact rows -> the kernel's frame (event_ts as UTC epoch microseconds)."""
    frame = table.select(
        [
            "event_id",
            "space_id",
            "company_id",
            "person_id",
            "event_type",
            "event_ts",
            "people_count",
        ]
    ).to_pandas()
    frame["ts_us"] = (
        table.column("event_ts").cast("int64").to_numpy() if len(frame) else np.zeros(0, np.int64)
    )
    return frame[EVENT_COLUMNS]


def sessions(events: pd.DataFrame) -> pd.DataFrame:
    """Check-in -> next check-out of the same person in the same space (capped at 12 h; a second
    check-in first closes the open one)."""
    moves = events[events["event_type"].isin(["checkin", "checkout"]) & events["person_id"].notna()]
    moves = moves.sort_values(
        ["space_id", "person_id", "ts_us", "event_type", "event_id"], kind="stable"
    )
    same = (moves["space_id"].shift(-1) == moves["space_id"]) & (
        moves["person_id"].shift(-1) == moves["person_id"]
    )
    next_ts = moves["ts_us"].shift(-1).where(same)
    starts = moves["event_type"] == "checkin"
    start = moves.loc[starts, "ts_us"].to_numpy(np.int64)
    end = next_ts[starts].fillna(np.inf).to_numpy()
    end = np.minimum(end, start + MAX_SESSION_US).astype(np.int64)
    return pd.DataFrame(
        {
            "space_id": moves.loc[starts, "space_id"].to_numpy(),
            "company_id": moves.loc[starts, "company_id"].to_numpy(),
            "start_us": start,
            "end_us": end,
        }
    )


def hourly_space(events: pd.DataFrame, window_start_us: int, window_end_us: int) -> pd.DataFrame:
    """Per space and UTC hour in [window_start, window_end): events, distinct people, occupied
    minutes (sessions split across hour boundaries) and peak people_count. ``events`` may reach
    back before the window so sessions that started earlier are counted."""
    inside = events[(events["ts_us"] >= window_start_us) & (events["ts_us"] < window_end_us)]
    hour = inside["ts_us"].to_numpy(np.int64) // HOUR_US * HOUR_US
    counted = (
        inside.assign(hour_start_us=hour)
        .groupby(["hour_start_us", "space_id"], sort=True)
        .agg(
            company_id=("company_id", "min"),
            events=("event_id", "size"),
            distinct_people=("person_id", "nunique"),
            peak_people_count=("people_count", "max"),
        )
    )

    s = sessions(events)
    start = np.maximum(s["start_us"].to_numpy(np.int64), window_start_us)
    end = np.minimum(s["end_us"].to_numpy(np.int64), window_end_us)
    live = end > start
    start, end = start[live], end[live]
    first_hour, last_hour = start // HOUR_US, (end - 1) // HOUR_US
    n_hours = (last_hour - first_hour + 1).astype(np.int64)
    idx = np.repeat(np.arange(len(start)), n_hours)
    hours = first_hour[idx] + (
        np.arange(n_hours.sum()) - np.repeat(np.cumsum(n_hours) - n_hours, n_hours)
    )
    overlap = np.minimum(end[idx], (hours + 1) * HOUR_US) - np.maximum(start[idx], hours * HOUR_US)
    occupied = pd.DataFrame(
        {
            "hour_start_us": hours * HOUR_US,
            "space_id": s["space_id"].to_numpy()[live][idx],
            "company_id": s["company_id"].to_numpy()[live][idx],
            "us": overlap,
        }
    )
    occupied = occupied.groupby(["hour_start_us", "space_id"], sort=True).agg(
        company_id=("company_id", "min"), occupied_us=("us", "sum")
    )

    out = counted.join(occupied, how="outer", suffixes=("", "_occ")).reset_index()
    out["company_id"] = out["company_id"].fillna(out.pop("company_id_occ")).astype("int64")
    out["events"] = out["events"].fillna(0).astype("int64")
    out["distinct_people"] = out["distinct_people"].fillna(0).astype("int64")
    out["peak_people_count"] = out["peak_people_count"].fillna(0).astype("int64")
    out["occupied_minutes"] = minutes(out.pop("occupied_us").fillna(0).astype("int64").to_numpy())
    return out[HOURLY_COLUMNS].sort_values(["hour_start_us", "space_id"]).reset_index(drop=True)


def minutes(microseconds: np.ndarray) -> np.ndarray:
    """Microseconds -> minutes rounded half up to 3 decimals, in integer arithmetic (the DuckDB
    engine does the same sum, so both agree to the last bit)."""
    return ((microseconds * 1000 + 30_000_000) // 60_000_000) / 1000


def week_start_us(ts_us: np.ndarray) -> np.ndarray:
    return (ts_us - MONDAY_OFFSET_US) // WEEK_US * WEEK_US + MONDAY_OFFSET_US


def weekly_people(events: pd.DataFrame, window_start_us: int, window_end_us: int) -> pd.DataFrame:
    """Per company and ISO week (Monday 00:00 UTC): distinct people and events."""
    inside = events[(events["ts_us"] >= window_start_us) & (events["ts_us"] < window_end_us)]
    out = (
        inside.assign(week_start_us=week_start_us(inside["ts_us"].to_numpy(np.int64)))
        .groupby(["week_start_us", "company_id"], sort=True)
        .agg(distinct_people=("person_id", "nunique"), events=("event_id", "size"))
        .reset_index()
    )
    return out[WEEKLY_COLUMNS].astype("int64")
