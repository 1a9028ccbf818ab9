"""Set the concurrency pool limits of deploy/pools.yaml on the instance at $DAGSTER_HOME.

    DAGSTER_HOME=/opt/dagster/dagster_home python deploy/apply_pool_limits.py [deploy/pools.yaml]

Idempotent (setting a pool to its current limit changes nothing); equivalent to running
`dagster instance concurrency set <pool> <limit>` for each pool.
"""

import sys
from pathlib import Path

import yaml

import dagster as dg


def load_limits(path: Path) -> dict[str, int]:
    limits = yaml.safe_load(path.read_text()) or {}
    bad = {k: v for k, v in limits.items() if isinstance(v, bool) or not isinstance(v, int) or v < 1}
    if bad:
        raise SystemExit(f"{path}: pool limits must be whole numbers >= 1: {bad}")
    return limits


def apply(instance: dg.DagsterInstance, limits: dict[str, int]) -> None:
    for pool, limit in sorted(limits.items()):
        instance.event_log_storage.set_concurrency_slots(pool, limit)
        print(f"pool {pool}: {limit}")


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("pools.yaml")
    with dg.DagsterInstance.get() as instance:
        apply(instance, load_limits(source))
