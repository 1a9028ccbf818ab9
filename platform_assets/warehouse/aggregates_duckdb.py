"""The warehouse aggregates as DuckDB SQL over the event frame: the local engine.

Same definitions as aggregates.py (sessions, hour splitting, rounding in integer arithmetic, min
company per space), expressed as one query each so DuckDB can use every core. No time-zone
function is used: everything is integer microseconds. No Dagster import.
"""

import duckdb
import pandas as pd

from platform_assets.warehouse.aggregates import (
    HOUR_US,
    HOURLY_COLUMNS,
    MAX_SESSION_US,
    MONDAY_OFFSET_US,
    WEEK_US,
    WEEKLY_COLUMNS,
)

_HOURLY = f"""
WITH inside AS (
    SELECT ts_us // {HOUR_US} * {HOUR_US} AS hour_start_us, * FROM events
    WHERE ts_us >= $start AND ts_us < $end),
totals AS (
    SELECT hour_start_us, space_id, min(company_id) AS company_id, count(*) AS events,
           max(people_count) AS peak_people_count
    FROM inside GROUP BY ALL),
people AS (  -- DISTINCT then count: much faster than count(DISTINCT ...) on millions of rows
    SELECT hour_start_us, space_id, count(*) AS distinct_people
    FROM (SELECT DISTINCT hour_start_us, space_id, person_id FROM inside
          WHERE person_id IS NOT NULL)
    GROUP BY ALL),
counted AS (
    SELECT t.*, coalesce(p.distinct_people, 0) AS distinct_people
    FROM totals t LEFT JOIN people p USING (hour_start_us, space_id)),
moves AS (
    SELECT space_id, company_id, event_type, ts_us,
           lead(ts_us) OVER (PARTITION BY space_id, person_id
                             ORDER BY ts_us, (event_type = 'checkout')::INT, event_id) AS next_ts
    FROM events WHERE event_type IN ('checkin', 'checkout') AND person_id IS NOT NULL),
clipped AS (
    SELECT space_id, company_id, greatest(ts_us, $start) AS s,
           least(coalesce(least(next_ts, ts_us + {MAX_SESSION_US}), ts_us + {MAX_SESSION_US}),
                 $end) AS e
    FROM moves WHERE event_type = 'checkin'),
hours AS (
    SELECT space_id, company_id, s, e, unnest(range(s // {HOUR_US}, (e - 1) // {HOUR_US} + 1)) AS h
    FROM clipped WHERE e > s),
occupied AS (
    SELECT h * {HOUR_US} AS hour_start_us, space_id, min(company_id) AS company_id,
           sum(least(e, (h + 1) * {HOUR_US}) - greatest(s, h * {HOUR_US}))::BIGINT AS occupied_us
    FROM hours GROUP BY ALL)
SELECT coalesce(c.hour_start_us, o.hour_start_us) AS hour_start_us,
       coalesce(c.space_id, o.space_id) AS space_id,
       coalesce(c.company_id, o.company_id) AS company_id, coalesce(c.events, 0) AS events,
       coalesce(c.distinct_people, 0) AS distinct_people,
       ((coalesce(o.occupied_us, 0) * 1000 + 30000000) // 60000000) / 1000 AS occupied_minutes,
       coalesce(c.peak_people_count, 0) AS peak_people_count
FROM counted c FULL OUTER JOIN occupied o USING (hour_start_us, space_id)
ORDER BY 1, 2
"""

_WEEKLY = f"""
WITH inside AS (
    SELECT (ts_us - {MONDAY_OFFSET_US}) // {WEEK_US} * {WEEK_US} + {MONDAY_OFFSET_US}
               AS week_start_us,
           company_id, person_id
    FROM events WHERE ts_us >= $start AND ts_us < $end),
totals AS (SELECT week_start_us, company_id, count(*) AS events FROM inside GROUP BY ALL),
people AS (
    SELECT week_start_us, company_id, count(*) AS distinct_people
    FROM (SELECT DISTINCT week_start_us, company_id, person_id FROM inside
          WHERE person_id IS NOT NULL) GROUP BY ALL)
SELECT t.week_start_us, t.company_id, coalesce(p.distinct_people, 0) AS distinct_people, t.events
FROM totals t LEFT JOIN people p USING (week_start_us, company_id) ORDER BY 1, 2
"""


def _run(
    sql: str, events: pd.DataFrame, start_us: int, end_us: int, columns: list[str]
) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.register("events", events)
        out = con.execute(sql, {"start": start_us, "end": end_us}).df()
    finally:
        con.close()
    for column in columns:
        out[column] = out[column].astype("float64" if column == "occupied_minutes" else "int64")
    return out[columns].reset_index(drop=True)


def hourly_space(events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
    return _run(_HOURLY, events, start_us, end_us, HOURLY_COLUMNS)


def weekly_people(events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
    return _run(_WEEKLY, events, start_us, end_us, WEEKLY_COLUMNS)
