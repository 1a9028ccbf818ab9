"""A run that started Spark and then failed leaves no Spark session behind."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import dagster as dg, pandas as pd
    from dagster_pyspark import LazyPySparkResource
    from pyspark import SparkContext
    from resources.compute import ComputeEngine, SparkEngine, local_spark_config

    @dg.asset
    def uses_spark_then_fails(engine: ComputeEngine) -> None:
        events = pd.DataFrame({"event_id": [1], "space_id": [1], "company_id": [1], "person_id": [1],
                               "event_type": ["checkin"], "ts_us": [0], "people_count": [1]})
        engine.hourly_space(events, 0, 3_600_000_000)
        assert SparkContext._active_spark_context is not None
        raise RuntimeError("the job fails after Spark started")

    engine = SparkEngine(pyspark=LazyPySparkResource(spark_config=local_spark_config(1)))
    result = dg.materialize([uses_spark_then_fails], resources={"engine": engine}, raise_on_error=False)
    print("run failed:", not result.success)
    print("spark left running:", SparkContext._active_spark_context is not None)
""")


@pytest.mark.spark
def test_spark_session_is_stopped_when_the_run_fails():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert "run failed: True" in out.stdout, out.stderr[-3000:]
    assert "spark left running: False" in out.stdout
