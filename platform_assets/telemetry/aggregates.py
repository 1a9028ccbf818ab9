"""Telemetry aggregates over unique events (pandas, from the event tables' key columns)."""

import pandas as pd
import pyarrow as pa

HOURLY_COLUMNS = ["hour", "eid", "channel", "pdata_id", "events"]
SESSION_COLUMNS = [
    "day",
    "sid",
    "channel",
    "actor_id",
    "pdata_id",
    "start_ets",
    "end_ets",
    "time_spent_s",
    "interactions",
    "impressions",
    "events",
]
WAU_COLUMNS = ["week", "channel", "active_users"]


def hourly_event_counts(unique: pa.Table, hour: str) -> pd.DataFrame:
    """Events per eid x channel x producer (pdata.id) in the hour; absent values count as ''."""
    frame = unique.select(["eid", "channel", "pdata_id"]).to_pandas().fillna("")
    if frame.empty:
        return pd.DataFrame(columns=HOURLY_COLUMNS)
    counts = (
        frame.groupby(["eid", "channel", "pdata_id"], sort=True).size().reset_index(name="events")
    )
    counts.insert(0, "hour", hour)
    return counts[HOURLY_COLUMNS]


def workflow_summary(unique: pa.Table, day: str) -> pd.DataFrame:
    """Per session (context.sid) of the day: first and last event time, time spent, interactions,
    impressions and event count. Events without a session are not summarized."""
    frame = unique.select(["sid", "channel", "actor_id", "pdata_id", "eid", "ets"]).to_pandas()
    frame = frame[frame["sid"].notna() & (frame["sid"] != "") & frame["ets"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=SESSION_COLUMNS)
    frame = frame.sort_values(["sid", "ets"], kind="stable")
    grouped = frame.groupby("sid", sort=True)
    summary = grouped.agg(
        channel=("channel", "first"),
        actor_id=("actor_id", "first"),
        pdata_id=("pdata_id", "first"),
        start_ets=("ets", "min"),
        end_ets=("ets", "max"),
        events=("eid", "size"),
    ).reset_index()
    summary["interactions"] = grouped["eid"].apply(lambda s: int((s == "INTERACT").sum())).values
    summary["impressions"] = grouped["eid"].apply(lambda s: int((s == "IMPRESSION").sum())).values
    summary["time_spent_s"] = (summary["end_ets"] - summary["start_ets"]) / 1000.0
    summary.insert(0, "day", day)
    return summary[SESSION_COLUMNS]


def weekly_active_users(unique: pa.Table, week: str) -> pd.DataFrame:
    """Distinct users (actor.type User) per channel in the week."""
    frame = unique.select(["channel", "actor_id", "actor_type"]).to_pandas()
    frame = frame[(frame["actor_type"].str.lower() == "user") & frame["actor_id"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=WAU_COLUMNS)
    users = frame.fillna({"channel": ""}).groupby("channel", sort=True)["actor_id"].nunique()
    result = users.reset_index(name="active_users")
    result.insert(0, "week", week)
    return result[WAU_COLUMNS]
