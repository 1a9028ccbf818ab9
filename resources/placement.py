"""How heavy work is placed when Weir runs on Kubernetes, and which concurrency pool guards which
external system. Plain data used by the asset definitions; the instance side (pool limits, run
queue) is in dagster.yaml and the cluster side in deploy/.

``dagster-k8s/config`` tags size the pod that runs a step (with the ``k8s_job_executor``) or the run
(with the ``K8sRunLauncher``); they are ignored everywhere else, so local runs are unaffected.
"""

from typing import Any

# Concurrency pools (limits per pool in dagster.yaml): one per heavy external system.
POOL_SPARK = "spark"
POOL_FLINK = "flink"
POOL_MONGO = "mongo"
POOL_POSTGRES_LOAD = "postgres-load"
POOL_KAFKA = "kafka"


def k8s_config(
    cpu: str,
    memory: str,
    cpu_limit: str | None = None,
    memory_limit: str | None = None,
    node_pool: str | None = None,
) -> dict[str, Any]:
    """A ``dagster-k8s/config`` tag asking for ``cpu``/``memory`` (limits default to twice the CPU
    and the same memory) and, optionally, a node pool for heavy pods."""
    config: dict[str, Any] = {
        "container_config": {
            "resources": {
                "requests": {"cpu": cpu, "memory": memory},
                "limits": {
                    "cpu": cpu_limit
                    or str(float(cpu.rstrip("m")) * 2 / (1000 if cpu.endswith("m") else 1)),
                    "memory": memory_limit or memory,
                },
            }
        }
    }
    if node_pool:
        config["pod_spec_config"] = {"node_selector": {"weir.io/node-pool": node_pool}}
    return {"dagster-k8s/config": config}


# The sizes of the heavy steps (the Spark driver runs inside the step's pod in client mode).
AR_COMPUTE = k8s_config("2", "6Gi", node_pool="heavy")
SPARK_DRIVER = k8s_config("2", "8Gi", node_pool="heavy")
POSTGRES_LOAD = k8s_config("1", "2Gi")
