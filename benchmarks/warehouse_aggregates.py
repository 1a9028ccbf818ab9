"""Benchmark: both warehouse aggregates over 10M fact rows, local engine vs Spark local[2].

    .venv/bin/python benchmarks/warehouse_aggregates.py [--rows 10000000]

One realistic week of events (visits of 200k people to 5,000 spaces, plus sensor readings) through
``hourly_space`` and ``weekly_people`` on each engine (local = DuckDB SQL, Spark = the pandas
definitions per space/company), from the same in-memory frame. Prints seconds,
rows/s, the ratio and whether results are identical. Targets (issue 3): both aggregates over 10M
rows <= 8 s on the local engine, >= 4x Spark, identical results.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_assets.warehouse.aggregates import HOUR_US  # noqa: E402
from resources.compute import LocalEngine  # noqa: E402

MONDAY = 1_709_510_400_000_000


def events(n: int) -> pd.DataFrame:
    """Realistic week: visits (check-in, and a check-out 10 min - 5 h later for 95 % of them) and
    sensor readings, in about equal numbers of rows, for 200k people in 5,000 spaces."""
    rng = np.random.default_rng(3)
    visits = n // 3
    sensors = n - 2 * visits
    person = rng.integers(1, 200_000, visits)
    space = rng.integers(1, 5_000, visits)
    t_in = MONDAY + rng.integers(-86_400_000_000, 7 * 24 * HOUR_US, visits)
    t_out = t_in + rng.integers(600_000_000, 5 * HOUR_US, visits)
    left = rng.random(visits) < 0.95
    sensor_space = rng.integers(1, 5_000, sensors)
    ts = np.concatenate([t_in, t_out, MONDAY + rng.integers(-86_400_000_000, 7 * 24 * HOUR_US, sensors)])
    kinds = np.concatenate([np.full(visits, "checkin", object), np.where(left, "checkout", "sensor").astype(object),
                            np.full(sensors, "sensor", object)])
    people = np.concatenate([person, np.where(left, person, -1), np.full(sensors, -1)]).astype("float64")
    people[people < 0] = np.nan
    spaces = np.concatenate([space, space, sensor_space])
    return pd.DataFrame({"event_id": np.arange(len(ts)), "space_id": spaces, "company_id": spaces % 200,
                         "person_id": pd.array(people, dtype="Int64"), "event_type": kinds, "ts_us": ts,
                         "people_count": rng.integers(0, 30, len(ts))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    frame = events(args.rows)
    window = (MONDAY, MONDAY + 7 * 24 * HOUR_US)
    t0 = time.perf_counter()
    local = LocalEngine()
    local_hourly, local_weekly = local.hourly_space(frame, *window), local.weekly_people(frame, *window)
    local_s = time.perf_counter() - t0
    print(f"local engine: {local_s:6.2f} s for both aggregates over {args.rows:,} rows "
          f"({args.rows / local_s:,.0f} rows/s)")

    from dagster_pyspark import LazyPySparkResource

    from resources.compute import SparkEngine, local_spark_config

    resource = LazyPySparkResource(spark_config={**local_spark_config(2), "spark.driver.memory": "8g"})
    resource.spark_session.range(1).count()
    engine = SparkEngine(pyspark=resource)
    t0 = time.perf_counter()
    spark_hourly, spark_weekly = engine.hourly_space(frame, *window), engine.weekly_people(frame, *window)
    spark_s = time.perf_counter() - t0
    print(f"spark local[2]: {spark_s:6.2f} s ({args.rows / spark_s:,.0f} rows/s)")
    identical = local_hourly.equals(spark_hourly.astype(local_hourly.dtypes.to_dict())) and \
        local_weekly.equals(spark_weekly.astype(local_weekly.dtypes.to_dict()))
    ratio = spark_s / local_s
    print(f"ratio: {ratio:.1f}x   identical results: {identical}   rows out: hourly {len(local_hourly):,}, "
          f"weekly {len(local_weekly):,}")
    print(f"targets: <= 8 s [{'met' if local_s <= 8 else 'MISSED'}], >= 4x [{'met' if ratio >= 4 else 'MISSED'}], "
          f"identical [{'met' if identical else 'MISSED'}]")


if __name__ == "__main__":
    main()
