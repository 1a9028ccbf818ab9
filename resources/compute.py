"""Where heavy transforms run: in-process (the default) or on Spark via dagster-pyspark.

Assets call ``engine.compute_ar(inputs)`` and never know which one they got; both run the same
kernel, and tests hold them to identical results.
"""


import os
import sys

import dagster as dg
from dagster_pyspark import LazyPySparkResource

import pandas as pd

from platform_assets.argo.ar_kernel import ArInputs, ArResult, compute_ar
from platform_assets.warehouse import aggregates_duckdb


class ComputeEngine(dg.ConfigurableResource):
    """What assets ask for; the deployment decides which engine it is."""

    def name(self) -> str:
        raise NotImplementedError

    def compute_ar(self, inputs: ArInputs) -> ArResult:
        raise NotImplementedError

    def hourly_space(self, events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
        raise NotImplementedError

    def weekly_people(self, events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
        raise NotImplementedError


class LocalEngine(ComputeEngine):
    """In-process: numpy/pandas for A/R, DuckDB SQL for the warehouse aggregates. No cluster."""

    def name(self) -> str:
        return "local"

    def compute_ar(self, inputs: ArInputs) -> ArResult:
        return compute_ar(inputs)

    def hourly_space(self, events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
        return aggregates_duckdb.hourly_space(events, start_us, end_us)

    def weekly_people(self, events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
        return aggregates_duckdb.weekly_people(events, start_us, end_us)


class SparkEngine(ComputeEngine):
    """Spark through dagster-pyspark's lazy session (started only when a step needs it)."""

    pyspark: LazyPySparkResource

    def name(self) -> str:
        return "spark"

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Compute is always released: stop the session this run started, failed run or not
        (dagster-pyspark's lazy resource leaves it running)."""
        session = self.pyspark._spark_session  # noqa: SLF001 - None unless a step used Spark
        if session is not None:
            session.stop()

    def compute_ar(self, inputs: ArInputs) -> ArResult:
        from platform_assets.argo.ar_spark import compute_ar_spark

        return compute_ar_spark(self.pyspark.spark_session, inputs)

    def hourly_space(self, events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
        from platform_assets.warehouse.aggregates_spark import hourly_space_spark

        return hourly_space_spark(self.pyspark.spark_session, events, start_us, end_us)

    def weekly_people(self, events: pd.DataFrame, start_us: int, end_us: int) -> pd.DataFrame:
        from platform_assets.warehouse.aggregates_spark import weekly_people_spark

        return weekly_people_spark(self.pyspark.spark_session, events, start_us, end_us)


def local_spark_config(cores: int = 2) -> dict[str, str]:
    """A small local Spark: used in tests, benchmarks and the local environment."""
    # Python workers must run this interpreter (the one with pandas and the kernel); the env var is
    # what PySpark's launcher reads first, the conf keys cover spark-submit style launches.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return {
        "spark.master": f"local[{cores}]",
        "spark.sql.shuffle.partitions": str(cores * 2),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",
        "spark.driver.bindAddress": "127.0.0.1",
        # workers must run this interpreter (the venv that has pandas and the kernel)
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
    }
