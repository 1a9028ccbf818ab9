"""The platform's main job on the embedded default, end to end: ``python -m platform_assets.demo``.

Generates sample input for 2 tenants x 3 days (one tenant's metric files as JSON lines, the
other's as Avro), registers the tenants, materializes the whole ARGO graph for every partition
through Dagster on a local SQLite instance, and prints A/R per endpoint group. Then runs the
warehouse slice (sample Redshift unloads -> Parquet -> PostgreSQL if reachable, else DuckDB ->
hourly/weekly aggregates) and prints its summary, and the telemetry slice (sample batches through a
local inbox -> extract, validate, dedup, route, denormalize -> counts and sessions).
"""

import argparse
import logging
import os
import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

TENANTS = (("acme", "json", 11), ("globex", "avro", 23))
REPORTS = ("Critical",)
DEFAULT_DAGSTER_HOME = Path(".weir/dagster_home")
QUIET = {
    "loggers": {"console": {"config": {"log_level": "WARNING"}}}
}  # step-by-step logs stay in the UI


def write_sample(data_dir: Path, days: list[date]) -> Path:
    from platform_assets.demo.argo_sample import write_tenant_files

    entries = [
        write_tenant_files(data_dir / "sources", name, list(REPORTS), days, seed, encoding=encoding)
        for name, encoding, seed in TENANTS
    ]
    registry = data_dir / "tenants.yaml"
    registry.write_text(yaml.safe_dump({"tenants": entries}, sort_keys=False))
    return registry


def run(data_dir: Path, days: list[date]) -> int:
    from platform_assets.demo import warehouse_demo as warehouse_demo

    os.environ["WEIR_DATA_DIR"] = str(data_dir)
    warehouse_label = warehouse_demo.choose_database(data_dir)
    warehouse_days = [date(2024, 3, 4) + timedelta(days=i) for i in range(warehouse_demo.DEMO_DAYS)]
    warehouse_demo.write_sample(data_dir, warehouse_days)
    # the instance `make dev` shows (DAGSTER_HOME, default .weir/dagster_home): the demo's runs are
    # in its UI; it outlives the demo's data folder, which each run starts afresh
    dagster_home = Path(os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME.absolute())))
    dagster_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WEIR_START_DATE", (days[0] - timedelta(days=1)).isoformat())
    registry_path = write_sample(data_dir, days)
    os.environ["WEIR_TENANT_REGISTRY"] = str(registry_path)

    import dagster as dg

    from platform_assets.argo.partitions import TENANTS_PARTITION, tenant_day_key
    from platform_assets.definitions import defs
    from platform_assets.demo.located_runs import run_job

    instance = dg.DagsterInstance.get()
    instance.add_dynamic_partitions(TENANTS_PARTITION, [name for name, _, _ in TENANTS])
    job = defs.resolve_job_def("argo_daily")
    for day in days:
        for name, _, _ in TENANTS:
            success = run_job(
                defs, instance, job.name, QUIET, partition_key=str(tenant_day_key(day, name))
            )
            status = "ok" if success else "FAILED"
            print(f"materialized argo graph for {day} | {name}: {status}", flush=True)
            if not success:
                return 1
    print_summary(data_dir, days)

    print(f"\nWarehouse migration slice -> {warehouse_label}")
    if not warehouse_demo.run(defs, instance, warehouse_days, QUIET):
        return 1
    warehouse_demo.print_summary(data_dir, warehouse_days)

    from platform_assets.demo import telemetry_demo as telemetry_demo

    print("\nTelemetry slice (the local inbox stands in for the Kafka topic)")
    assert defs.resources is not None  # the platform's definitions carry their resources
    if not telemetry_demo.run(defs, instance, defs.resources["telemetry"], QUIET):
        return 1
    lake_root = str(data_dir / "lake")
    telemetry_demo.print_summary(lake_root, telemetry_demo.landed_hours(lake_root))
    return 0


def print_summary(data_dir: Path, days: list[date]) -> None:
    import pandas as pd

    from resources.model.tenancy import load_registry
    from resources.results_store import LocalResultsStore

    store = LocalResultsStore(str(data_dir / "results"))
    rows = []
    for tenant in load_registry(data_dir / "tenants.yaml").tenants.values():
        for report in tenant.reports:
            for day in days:
                for doc in store.read_day(tenant.name, "endpoint_group_ar", report.id, day):
                    rows.append(
                        {
                            "tenant": tenant.name,
                            "report": report.name,
                            "group": doc["name"],
                            "day": day.isoformat(),
                            "A": doc["availability"],
                            "R": doc["reliability"],
                        }
                    )
    frame = pd.DataFrame(rows)
    table = frame.pivot_table(
        index=["tenant", "report", "group"], columns="day", values=["A", "R"], aggfunc="first"
    )
    table.columns = [f"{metric} {day[5:]}" for metric, day in table.columns]
    pd.set_option("display.width", 200)
    print("\nA/R per endpoint group (availability A / reliability R, %; -1 = no data):")
    print(table.round(2).to_string())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir", default=".weir/demo", help="where input, lake, results and the instance go"
    )
    parser.add_argument("--days", type=int, default=3)
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir).absolute()
    if data_dir.exists():
        shutil.rmtree(data_dir)  # a demo run starts from nothing, so it can be repeated
    data_dir.mkdir(parents=True)
    last = datetime.now(UTC).date() - timedelta(days=1)
    days = [last - timedelta(days=i) for i in range(args.days - 1, -1, -1)]
    return run(data_dir, days)


def exit_without_teardown(code: int) -> None:
    """Leave once everything is written and flushed, skipping the interpreter's teardown: there,
    Arrow's native thread pools sometimes abort the process after all work is done ("terminate
    called without an active exception", apache/arrow#34314; seen here in 1 of 3 demo runs)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
