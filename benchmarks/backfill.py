"""Benchmark: backfill N daily A/R partitions of one tenant, single-run policy against one run per
partition, on a real local deployment.

    .venv/bin/python benchmarks/backfill.py [--days 90] [--sites 10] [--dsn postgresql://...]

Writes sample sources for one tenant and N days (far enough in the past that no late-data sensor
looks at them), creates a fresh PostgreSQL database for the instance (the repository's production
dagster.yaml: queued runs, per-tenant tag limit, pools) and materializes the A/R inputs (metric
data, connector snapshots) in process. Then, for each policy, starts dagster-daemon and
dagster-webserver with WEIR_ARGO_BACKFILL_POLICY set, launches a backfill of the three A/R assets
for the N partitions through GraphQL (as the UI does) and waits for it to finish. Prints wall time,
runs launched and time per partition. Target (issue 8): single run <= 3 min on 2 cores and >= 5x
faster than one run per partition. Prints figures; asserts nothing about time.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dagster_services import dagster_deployment  # noqa: E402
from tests.test_real_instance import BACKFILL_STATUS, LAUNCH_BACKFILL  # noqa: E402

TENANT = "bench"
RUN_TIMES = """query Runs($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}, limit: 1000) {
  ... on Runs { results { startTime endTime } } } }"""
DONE = {"COMPLETED_SUCCESS", "COMPLETED_FAILED", "COMPLETED", "FAILED", "CANCELED"}


def create_database(dsn: str) -> str:
    name = f"weir_backfill_{int(time.time())}"
    with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return name


def deployment_env(work: Path, dsn: str, database: str, first_day: date) -> dict[str, str]:
    user_password, host_port = dsn.split("://", 1)[1].split("@")
    user, password = user_password.split(":")
    host, port = host_port.split(":")
    return {"DAGSTER_PG_HOST": host, "DAGSTER_PG_PORT": port, "DAGSTER_PG_USER": user,
            "DAGSTER_PG_PASSWORD": password, "DAGSTER_PG_DB": database, "PLATFORM_ENV": "local",
            "DAGSTER_HOME": str(work / "home"), "WEIR_DATA_DIR": str(work / "data"),
            "WEIR_TENANT_REGISTRY": str(work / "tenants.yaml"), "WEIR_START_DATE": first_day.isoformat(),
            "WEIR_TASKFLOWS_DIR": str(work / "no-taskflows")}


def materialize_inputs(days: list[date]) -> float:
    """Metric data (one run per day, as the daily schedule runs it) and connector snapshots (one range run)."""
    import dagster as dg

    from platform_assets.argo.definitions import build_defs
    from platform_assets.environments import resources_for
    from platform_assets.argo.partitions import TENANTS, tenant_day_key

    argo = build_defs()
    metric_data = argo.get_assets_def(dg.AssetKey(["argo", "metric_data"]))
    connector_assets = [a for a in argo.assets if isinstance(a, dg.AssetsDefinition) and a is not metric_data
                        and a.key.path[-1] not in ("endpoint_ar", "service_ar", "endpoint_group_ar")]
    started = time.perf_counter()
    instance = dg.DagsterInstance.get()
    instance.add_dynamic_partitions(TENANTS.name, [TENANT])
    resources = resources_for("local")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    for day in days:
        result = dg.materialize([metric_data], partition_key=str(tenant_day_key(day, TENANT)), instance=instance,
                                resources=resources, run_config=quiet, raise_on_error=False)
        assert result.success, f"metric data for {day} failed"
    tags = {"dagster/asset_partition_range_start": str(tenant_day_key(days[0], TENANT)),
            "dagster/asset_partition_range_end": str(tenant_day_key(days[-1], TENANT))}
    result = dg.materialize(connector_assets, instance=instance, resources=resources, tags=tags,
                            run_config=quiet, raise_on_error=False)
    assert result.success, "connector snapshots failed"
    return time.perf_counter() - started


def backfill(home: Path, env: dict[str, str], policy: str, partitions: list[str]) -> dict:
    with dagster_deployment(home, {**env, "WEIR_ARGO_BACKFILL_POLICY": policy}) as (_, graphql):
        keys = [{"path": ["argo", level]} for level in ("endpoint_ar", "service_ar", "endpoint_group_ar")]
        started = time.perf_counter()
        launched = graphql(LAUNCH_BACKFILL, {"params": {"assetSelection": keys, "partitionNames": partitions}})
        result = launched["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise RuntimeError(f"backfill refused: {result}")
        while True:
            status = graphql(BACKFILL_STATUS.replace("limit: 50", "limit: 1000"),
                             {"id": result["backfillId"]})["partitionBackfillOrError"]
            if status["status"] in DONE:
                break
            time.sleep(1)
        wall = time.perf_counter() - started
        times = graphql(RUN_TIMES, {"tags": [{"key": "dagster/backfill", "value": result["backfillId"]}]})
    spans = [(r["startTime"], r["endTime"]) for r in times["runsOrError"]["results"] if r["startTime"] and r["endTime"]]
    runs = status["runs"]
    return {"policy": policy, "status": status["status"], "wall_s": wall, "runs": len(runs),
            "successful_runs": sum(r["status"] == "SUCCESS" for r in runs), "per_partition_s": wall / len(partitions),
            "in_runs_s": sum(end - start for start, end in spans)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--dsn", default="postgresql://postgres:postgres@127.0.0.1:5432")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="weir-backfill-"))
    last = date.today() - timedelta(days=100)
    days = [last - timedelta(days=args.days - 1 - i) for i in range(args.days)]
    database = create_database(args.dsn)
    env = deployment_env(work, args.dsn, database, days[0] - timedelta(days=1))
    os.environ.update(env)
    home = work / "home"
    home.mkdir(parents=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")

    from platform_assets.demo.argo_sample import write_tenant_files
    from platform_assets.argo.partitions import tenant_day_key

    entry = write_tenant_files(work / "sources", TENANT, ["Critical"], [days[0] - timedelta(days=1), *days],
                               seed=7, n_sites=args.sites)
    (work / "tenants.yaml").write_text(yaml.safe_dump({"tenants": [entry]}))
    print(f"instance: PostgreSQL database {database}, dagster.yaml of the repository; {os.cpu_count()} cores")
    print(f"inputs for {args.days} days of tenant {TENANT!r} ({args.sites} sites) "
          f"materialized in {materialize_inputs(days):.1f} s (not timed below)")
    partitions = [str(tenant_day_key(day, TENANT)) for day in days]
    try:
        results = [backfill(home, env, policy, partitions) for policy in ("single_run", "per_partition")]
    finally:
        with psycopg.connect(f"{args.dsn}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)
    for r in results:
        print(f"{r['policy']:>13}: {r['status']}, wall {r['wall_s']:.1f} s, runs launched {r['runs']} "
              f"({r['successful_runs']} succeeded), {r['per_partition_s']:.2f} s per partition; "
              f"time inside runs {r['in_runs_s']:.1f} s (the rest: daemon pick-up, queue, run start)")
    single, per = results
    print(f"speed-up single-run vs per-partition: {per['wall_s'] / single['wall_s']:.2f}x (target >= 5x); "
          f"single-run wall {single['wall_s']:.1f} s (target <= 180 s)")


if __name__ == "__main__":
    main()
