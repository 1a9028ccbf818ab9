"""The warehouse aggregates on Spark: the same kernels, one ``applyInPandas`` group per space
(hourly) or company (weekly). Timestamps cross as epoch microseconds (time-zone proof)."""

from collections.abc import Callable
from typing import Any

import pandas as pd

from platform_assets.warehouse.aggregates import (
    EVENT_COLUMNS,
    HOURLY_COLUMNS,
    WEEKLY_COLUMNS,
    hourly_space,
    weekly_people,
)

_EVENT_SCHEMA = (
    "event_id long, space_id long, company_id long, person_id double, event_type string, "
    "ts_us long, people_count long"
)
_HOURLY_SCHEMA = (
    "hour_start_us long, space_id long, company_id long, events long, distinct_people long, "
    "occupied_minutes double, peak_people_count long"
)
_WEEKLY_SCHEMA = "week_start_us long, company_id long, distinct_people long, events long"


def _events_df(spark: Any, events: pd.DataFrame) -> Any:
    frame = events[EVENT_COLUMNS].copy()
    frame["person_id"] = frame["person_id"].astype("float64")  # nullable across the Arrow boundary
    frame["event_type"] = frame["event_type"].astype(object)
    frame["people_count"] = frame["people_count"].fillna(0).astype("int64")
    return spark.createDataFrame(frame, schema=_EVENT_SCHEMA)


def _run(
    spark: Any,
    events: pd.DataFrame,
    by: str,
    kernel: Callable[[pd.DataFrame], pd.DataFrame],
    schema: str,
    columns: list[str],
    order: list[str],
) -> pd.DataFrame:
    if events.empty:
        return kernel(events)

    def per_group(group: pd.DataFrame) -> pd.DataFrame:
        group = group.assign(person_id=group["person_id"].astype("Int64"))
        return kernel(group)[columns]

    out = _events_df(spark, events).groupBy(by).applyInPandas(per_group, schema=schema).toPandas()
    return out[columns].sort_values(order).reset_index(drop=True)


def hourly_space_spark(
    spark: Any, events: pd.DataFrame, start_us: int, end_us: int
) -> pd.DataFrame:
    return _run(
        spark,
        events,
        "space_id",
        lambda e: hourly_space(e, start_us, end_us),
        _HOURLY_SCHEMA,
        HOURLY_COLUMNS,
        ["hour_start_us", "space_id"],
    )


def weekly_people_spark(
    spark: Any, events: pd.DataFrame, start_us: int, end_us: int
) -> pd.DataFrame:
    return _run(
        spark,
        events,
        "company_id",
        lambda e: weekly_people(e, start_us, end_us),
        _WEEKLY_SCHEMA,
        WEEKLY_COLUMNS,
        ["week_start_us", "company_id"],
    )
