"""Hourly / weekly aggregates: hand-worked numbers, UTC whatever the time zone, Spark parity."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from platform_assets.warehouse import aggregates_duckdb
from platform_assets.warehouse.aggregates import HOUR_US, hourly_space, weekly_people
from platform_assets.warehouse.assets_aggregates import HOURLY_SPACE, WEEKLY_PEOPLE
from resources.compute import LocalEngine, SparkEngine

H = HOUR_US
MONDAY = pd.Timestamp("2024-03-04T00:00Z").value // 1000


def frame(rows):
    return pd.DataFrame(rows, columns=["event_id", "space_id", "company_id", "person_id", "event_type", "ts_us",
                                       "people_count"])


EVENTS = frame([
    (1, 10, 1, 100, "checkin", MONDAY + int(9.5 * H), 1),
    (2, 10, 1, 100, "checkout", MONDAY + int(11.25 * H), 1),
    (3, 10, 1, None, "sensor", MONDAY + int(9.75 * H), 7),
    (4, 10, 1, 101, "checkin", MONDAY - 2 * H, 1),  # never checks out: 12 h cap, from Sunday 22:00
    (5, 20, 2, 200, "checkin", MONDAY + 23 * H + 30 * 60_000_000, 1),  # crosses midnight
    (6, 20, 2, 200, "checkout", MONDAY + 24 * H + 15 * 60_000_000, 1),
])


@pytest.mark.parametrize("hourly", [hourly_space, aggregates_duckdb.hourly_space], ids=["reference", "duckdb"])
def test_hand_worked_hours(hourly):
    out = hourly(EVENTS, MONDAY, MONDAY + 25 * H).set_index(["hour_start_us", "space_id"])
    at = lambda h, s: out.loc[(MONDAY + h * H, s)]  # noqa: E731
    assert at(9, 10).occupied_minutes == 90.0  # 101 all hour + 100 from 9:30
    assert (at(9, 10).events, at(9, 10).distinct_people, at(9, 10).peak_people_count) == (2, 1, 7)
    assert at(10, 10).occupied_minutes == 60.0 and at(11, 10).occupied_minutes == 15.0
    assert at(0, 10).occupied_minutes == 60.0 and (MONDAY + 10 * H, 10) in out.index
    assert (MONDAY + 12 * H, 10) not in out.index  # nothing after the cap
    assert at(23, 20).occupied_minutes == 30.0 and at(24, 20).occupied_minutes == 15.0


@pytest.mark.parametrize("weekly", [weekly_people, aggregates_duckdb.weekly_people], ids=["reference", "duckdb"])
def test_weeks_start_monday_utc(weekly):
    out = weekly(EVENTS, MONDAY - 7 * 24 * H, MONDAY + 14 * 24 * H)
    assert list(out["week_start_us"].unique()) == [MONDAY - 7 * 24 * H, MONDAY]
    monday_week = out[out["week_start_us"] == MONDAY].set_index("company_id")
    assert (monday_week.loc[1, "events"], monday_week.loc[1, "distinct_people"]) == (3, 1)


def random_events(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["checkin", "checkout", "sensor"], n)
    spaces = rng.integers(1, 15, n)
    people = rng.integers(1, 40, n).astype(object)
    people[kinds == "sensor"] = None
    return frame(list(zip(np.arange(n), spaces, spaces % 4, people, kinds,
                          MONDAY + rng.integers(-24 * H, 7 * 24 * H, n), rng.integers(0, 9, n))))


def test_results_do_not_depend_on_the_machine_time_zone(tmp_path):
    events = random_events(3000, 1)
    events.to_pickle(tmp_path / "events.pkl")
    script = ("import pandas as pd, sys;from platform_assets.warehouse.aggregates import hourly_space, weekly_people;"
              "from resources.compute import LocalEngine;"
              "from platform_assets.warehouse.assets_aggregates import HOURLY_SPACE, WEEKLY_PEOPLE;"
              f"e=pd.read_pickle(r'{tmp_path / 'events.pkl'}');"
              f"print(hourly_space(e,{MONDAY},{MONDAY + 7 * 24 * H}).to_json());"
              f"print(weekly_people(e,{MONDAY},{MONDAY + 7 * 24 * H}).to_json());"
              f"print(LocalEngine().run(HOURLY_SPACE,e,{MONDAY},{MONDAY + 7 * 24 * H}).to_json());"
              f"print(LocalEngine().run(WEEKLY_PEOPLE,e,{MONDAY},{MONDAY + 7 * 24 * H}).to_json())")
    outputs = [subprocess.run([sys.executable, "-c", script], env={**os.environ, "TZ": tz}, capture_output=True,
                              text=True, check=True).stdout for tz in ("UTC", "America/Los_Angeles", "Asia/Kolkata")]
    assert outputs[0] == outputs[1] == outputs[2]
    lines = outputs[0].splitlines()
    assert lines[0] == lines[2] and lines[1] == lines[3]  # the DuckDB engine matches the definitions
    assert len(json.loads(lines[0])["space_id"]) > 50


def test_local_duckdb_engine_matches_the_reference_definitions():
    events = random_events(20_000, 4)
    window = (MONDAY - 24 * H, MONDAY + 7 * 24 * H)
    pd.testing.assert_frame_equal(hourly_space(events, *window), LocalEngine().run(HOURLY_SPACE, events, *window))
    pd.testing.assert_frame_equal(weekly_people(events, *window), LocalEngine().run(WEEKLY_PEOPLE, events, *window))


@pytest.mark.spark
def test_spark_engine_gives_identical_aggregates_in_a_shifted_session_time_zone(spark):
    events = random_events(5000, 2)
    session = spark.spark_session
    session.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        engine = SparkEngine(pyspark=spark)
        window = (MONDAY, MONDAY + 7 * 24 * H)
        local = LocalEngine()
        pd.testing.assert_frame_equal(local.run(HOURLY_SPACE, events, *window), engine.run(HOURLY_SPACE, events, *window),
                                      check_dtype=False)
        pd.testing.assert_frame_equal(local.run(WEEKLY_PEOPLE, events, *window), engine.run(WEEKLY_PEOPLE, events, *window),
                                      check_dtype=False)
    finally:
        session.conf.set("spark.sql.session.timeZone", "UTC")
