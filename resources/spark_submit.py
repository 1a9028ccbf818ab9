"""Where ``spark-submit`` is: ``$SPARK_HOME/bin/spark-submit`` of a configured Spark, else the one
that ships with the installed pyspark (which runs ``local[*]`` masters and submits to clusters)."""

from pathlib import Path

import dagster as dg


class SparkSubmitResource(dg.ConfigurableResource):
    spark_home: str | None = None

    def executable(self) -> str:
        if self.spark_home:
            path = Path(self.spark_home) / "bin" / "spark-submit"
        else:
            import pyspark

            path = Path(pyspark.__file__).parent / "bin" / "spark-submit"
        if not path.exists():
            raise dg.Failure(
                f"spark-submit not found at {path} (set SPARK_HOME)", allow_retries=False
            )
        return str(path)
