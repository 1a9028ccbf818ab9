"""Where heavy transforms run: in-process (the default) or on Spark via dagster-pyspark.

A slice declares each heavy transform once as an ``EngineKernel`` (its in-process function and the
same function wrapped for Spark) and calls ``engine.run(kernel, *args)``; the deployment decides
which engine that is. The engines know no slice: the kernel is their argument. Tests hold both
engines to identical results.
"""

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import dagster as dg
from dagster_pyspark import LazyPySparkResource

Result = TypeVar("Result")


@dataclass(frozen=True)
class EngineKernel(Generic[Result]):
    """One transform as each engine runs it: ``local(*args)`` in process, ``spark(session, *args)``
    on a Spark session. Both must return the same result for the same arguments."""

    name: str
    local: Callable[..., Result]
    spark: Callable[..., Result]


class ComputeEngine(dg.ConfigurableResource):
    """What assets ask for; the deployment decides which engine it is."""

    def name(self) -> str:
        raise NotImplementedError

    def run(self, kernel: EngineKernel[Result], *args: Any) -> Result:
        raise NotImplementedError


class LocalEngine(ComputeEngine):
    """In-process: numpy/pandas, DuckDB SQL. No cluster."""

    def name(self) -> str:
        return "local"

    def run(self, kernel: EngineKernel[Result], *args: Any) -> Result:
        return kernel.local(*args)


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

    def run(self, kernel: EngineKernel[Result], *args: Any) -> Result:
        return kernel.spark(self.pyspark.spark_session, *args)


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
