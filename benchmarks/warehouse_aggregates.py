"""Benchmark: both warehouse aggregates over 10M fact rows, local engine vs Spark local[2].

    .venv/bin/python benchmarks/warehouse_aggregates.py [--rows 10000000]

One week of events (check-ins/outs for 200k people in 5,000 spaces, plus sensor readings) through
``hourly_space`` and ``weekly_people`` on each engine, from the same in-memory frame. Prints seconds,
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

from platform_assets.warehouse.aggregates import HOUR_US, hourly_space, weekly_people  # noqa: E402

MONDAY = 1_709_510_400_000_000


def events(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    kinds = np.array(["checkin", "checkout", "sensor"], dtype=object)[rng.integers(0, 3, n)]
    people = rng.integers(1, 200_000, n).astype("float64")
    people[kinds == "sensor"] = np.nan
    spaces = rng.integers(1, 5_000, n)
    return pd.DataFrame({"event_id": np.arange(n), "space_id": spaces, "company_id": spaces % 200,
                         "person_id": pd.array(people, dtype="Int64"), "event_type": kinds,
                         "ts_us": MONDAY + rng.integers(-86_400_000_000, 7 * 24 * HOUR_US, n),
                         "people_count": rng.integers(0, 30, n)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    frame = events(args.rows)
    window = (MONDAY, MONDAY + 7 * 24 * HOUR_US)
    t0 = time.perf_counter()
    local_hourly, local_weekly = hourly_space(frame, *window), weekly_people(frame, *window)
    local_s = time.perf_counter() - t0
    print(f"local engine: {local_s:6.2f} s for both aggregates over {args.rows:,} rows "
          f"({args.rows / local_s:,.0f} rows/s)")

    from dagster_pyspark import LazyPySparkResource

    from resources.compute import SparkEngine, local_spark_config

    resource = LazyPySparkResource(spark_config=local_spark_config(2))
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
