"""Benchmark: one ARGO tenant-day through the whole Dagster path, beside the A/R kernel alone.

    .venv/bin/python benchmarks/argo_day_path.py [--endpoints 10000] [--metrics 8] [--checks 24]
                                                 [--encoding avro|json] [--repeat 3]
                                                 [--distinct-summaries]

Generates D-1 and D (default 10,000 endpoints x 8 metrics x 24 checks, about 1.9M records a day)
as the tenant's metric files (Avro or JSON lines) and connector files, on the embedded default,
then runs in a fresh Dagster instance, each phase in its own process (so each peak RSS is that
phase's alone), steps in process as Weir's runs execute them:

1. ingest: ``argo/metric_data`` (+ quarantine) of D-1, then of D (timed: records/s);
2. ``argo_daily`` for D without ingest: connector snapshots, A/R, status results, checks, results
   stored (everything from landed metric data to checks done);
3. the kernel alone on the same inputs, read from the lake, as ``argo_daily`` runs it: of D-1 the
   records carried into D (``carried_candidates``), ``compute_ar`` + ``status_metric_table``.

argo_daily and the kernel run ``--repeat`` times each, interleaved (a 2-core machine's noise is
+-30 % run to run); medians are compared. Prints seconds, rates, ratios and peak RSS. Targets
(issue 26, 2 cores): ingest >= 400k records/s, the ``argo_daily`` run <= 2x the kernel, peak RSS
<= 1.5 GB. Asserts nothing about time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.peak_memory import peak_rss_mb  # noqa: E402

DAY = date(2024, 3, 10)
TENANT, REPORT = "bench", "Critical"
INGEST_KEYS = (["argo", "metric_data"], ["argo", "metric_data_quarantine"])


def generate(
    folder: Path, endpoints: int, metrics: int, checks: int, encoding: str, distinct: bool = False
) -> int:
    """The tenant's metric files and connector files for D-1 and D, and its registry entry.
    ``distinct``: every record's summary its own text, as real probes' outputs mostly are."""
    import fastavro
    import yaml

    from platform_assets.demo import argo_sample as sd

    services = {f"SVC-{i}": [f"org.bench.svc{i}.check{j}" for j in range(metrics)] for i in range(5)}
    rng = np.random.default_rng(2024)
    fed = sd.federation(TENANT, endpoints // 5, rng, services, endpoints_per_site=5)
    sources = folder / "sources"
    count = 0
    for day in (DAY - timedelta(days=1), DAY):
        frame = sd.metric_frame(fed, day, rng, services, checks, silent_fraction=0.01)
        stamps = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
        records = [
            {"timestamp": ts, "service": s, "hostname": h, "metric": m, "status": st,
             "monitoring_host": mon, "actual_data": None,
             "summary": f"{st} - {h} answered check {i} in {i % 997} ms" if distinct else f"{st} - check ran",
             "message": None, "tags": {"vo": "ops"}}
            for i, (ts, s, h, m, st, mon) in enumerate(zip(
                stamps, frame["service"], frame["hostname"], frame["metric"], frame["status"],
                frame["monitoring_host"], strict=True))
        ]
        folder_of_day = sources / TENANT / "mdata" / day.isoformat()
        folder_of_day.mkdir(parents=True)
        if encoding == "avro":
            with open(folder_of_day / "part-0000.avro", "wb") as handle:
                fastavro.writer(handle, sd.METRIC_AVRO_SCHEMA, records)
        else:
            (folder_of_day / "part-0000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        count = len(records)
        snapshots = sd.connector_snapshots(fed, REPORT, day, rng, services)
        snapshots["aggregation_profile"]["groups"] = [
            {"name": "all", "operation": "OR", "services": [{"name": s, "operation": "OR"} for s in services]}]
        for kind, doc in snapshots.items():
            path = sources / TENANT / "connectors" / REPORT / kind / f"{day.isoformat()}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(doc))
    registry = {"tenants": [{
        "name": TENANT, "reports": [{"name": REPORT, "id": "critical-bench"}],
        "sources": {"metric_data": {"kind": "files", "root": str(sources), "encoding": encoding},
                    "connectors": {"kind": "files", "root": str(sources)}}}]}
    (folder / "tenants.yaml").write_text(yaml.safe_dump(registry))
    (folder / "home").mkdir()
    (folder / "home" / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    return count


def _environment(folder: Path) -> dict[str, str]:
    return {**os.environ, "WEIR_DATA_DIR": str(folder / "data"), "DAGSTER_HOME": str(folder / "home"),
            "WEIR_TENANT_REGISTRY": str(folder / "tenants.yaml"), "WEIR_START_DATE": "2024-03-01",
            "WEIR_EXECUTOR": "in_process", "PYTHONWARNINGS": "ignore"}


def _run(job_name: str, day: date, keys) -> float:
    """One run of ``job_name`` for the tenant-day (only ``keys`` when given), as the instance's
    run worker executes it; its seconds."""
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from platform_assets.argo.partitions import TENANTS_PARTITION, tenant_day_key
    from platform_assets.definitions import defs

    instance = dg.DagsterInstance.get()
    instance.add_dynamic_partitions(TENANTS_PARTITION, [TENANT])
    job = defs.resolve_job_def(job_name)
    recon = ReconstructableRepository.for_module(
        "platform_assets.definitions", "defs", working_directory=str(ROOT)).get_reconstructable_job(job_name)
    tags = job.partitions_def.get_tags_for_partition_key(str(tenant_day_key(day, TENANT)))
    started = time.perf_counter()
    with dg.execute_job(recon, instance, tags=tags, asset_selection=keys) as result:
        if not result.success:
            raise SystemExit(f"{job_name} for {day} failed")
    return time.perf_counter() - started


def phase(name: str) -> dict:
    """Child process: one phase; its figures."""
    if name == "ingest":
        keys = [__import__("dagster").AssetKey(k) for k in INGEST_KEYS]
        previous = _run("argo_daily", DAY - timedelta(days=1), keys)
        return {"seconds": _run("argo_daily", DAY, keys), "previous_day_seconds": previous}
    if name == "daily":
        from platform_assets.definitions import defs

        every = defs.resolve_job_def("argo_daily").asset_layer.executable_asset_keys
        keys = sorted(k for k in every if k.path not in INGEST_KEYS)
        return {"seconds": _run("argo_daily", DAY, keys), "assets": len(keys)}
    # the kernel alone: inputs from the lake the runs wrote, then A/R + status results
    from platform_assets.argo.ar_inputs import build_inputs, read_records, read_snapshots
    from platform_assets.argo.ar_kernel import compute_ar
    from platform_assets.argo.carried import carried_candidates
    from platform_assets.argo.status_metrics import status_metric_table
    from resources.model.tenancy import Report
    from resources.storage import LakeResource

    lake = LakeResource(root=str(Path(os.environ["WEIR_DATA_DIR"]) / "lake"))
    records = read_records(lake, TENANT, DAY)
    previous = read_records(lake, TENANT, DAY - timedelta(days=1))
    report = Report(REPORT, "critical-bench")
    started = time.perf_counter()
    inputs = build_inputs(report, DAY, records, None, read_snapshots(lake, TENANT, DAY, REPORT))
    # as argo_daily: of D-1, the records the report may carry into D
    inputs = replace(inputs, previous=carried_candidates(previous, inputs.exclusions, DAY))
    del previous
    result = compute_ar(inputs)
    rows = status_metric_table(inputs, report.id, inputs.endpoints)  # as argo_daily builds it
    return {"seconds": time.perf_counter() - started, "records": int(len(records)),
            "groups": int(len(result.endpoint_group_ar)), "status_metrics_rows": int(rows.num_rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=8)
    parser.add_argument("--checks", type=int, default=24)
    parser.add_argument("--encoding", choices=("avro", "json"), default="avro")
    parser.add_argument("--repeat", type=int, default=3, help="runs of argo_daily and of the kernel (medians)")
    parser.add_argument("--distinct-summaries", action="store_true",
                        help="every record's summary its own text (real probes' outputs mostly are)")
    parser.add_argument("--phase", nargs=2, metavar=("FOLDER", "PHASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        figures = phase(args.phase[1])
        figures["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(figures))
        return
    with tempfile.TemporaryDirectory(prefix="weir-argo-path-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        n = generate(folder, args.endpoints, args.metrics, args.checks, args.encoding,
                     args.distinct_summaries)
        print(f"generated {n:,} records a day ({args.encoding}) for {args.endpoints:,} endpoints x "
              f"{args.metrics} metrics x {args.checks} checks, D-1 and D"
              f"{', every summary distinct' if args.distinct_summaries else ''}, in {time.perf_counter() - t0:.1f} s "
              f"({datetime.now(UTC):%H:%M:%S} UTC)")
        def run_phase(name: str) -> dict:
            out = subprocess.run([sys.executable, __file__, "--phase", str(folder), name], check=True,
                                 capture_output=True, text=True, env=_environment(folder), cwd=ROOT)
            return json.loads(out.stdout.strip().splitlines()[-1])

        figures = {"ingest": run_phase("ingest")}
        runs: dict[str, list[dict]] = {"daily": [], "kernel": []}
        for _ in range(args.repeat):  # interleaved, so that a noisy minute falls on both
            for name in runs:
                runs[name].append(run_phase(name))
        for name, each in runs.items():  # the median run's figures; peak RSS the highest of all
            seconds = sorted(f["seconds"] for f in each)
            figures[name] = {**each[0], "seconds": seconds[len(seconds) // 2], "all": seconds,
                             "peak_rss_mb": max(f["peak_rss_mb"] for f in each)}
        ingest, daily, kernel = figures["ingest"], figures["daily"], figures["kernel"]
        rate = n / ingest["seconds"]
        ratio = daily["seconds"] / kernel["seconds"]
        print(f"{args.repeat} runs each of argo_daily (the 2nd and later upsert over the 1st's results) and "
              f"the kernel: argo_daily {', '.join(f'{s:.2f}' for s in daily['all'])} s; kernel "
              f"{', '.join(f'{s:.2f}' for s in kernel['all'])} s; medians below")
        print(f"ingest of D ({args.encoding} files -> argo/metric_data): {ingest['seconds']:6.2f} s  "
              f"{rate:>10,.0f} records/s  peak RSS {ingest['peak_rss_mb']:,.0f} MB "
              f"(D-1: {ingest['previous_day_seconds']:.2f} s)")
        print(f"argo_daily for D without ingest ({daily['assets']} assets and their checks): "
              f"{daily['seconds']:6.2f} s  peak RSS {daily['peak_rss_mb']:,.0f} MB")
        print(f"kernel alone (build inputs + compute_ar + status_metrics, {kernel['groups']:,} groups, "
              f"{kernel['status_metrics_rows']:,} status_metrics rows): {kernel['seconds']:6.2f} s  "
              f"peak RSS {kernel['peak_rss_mb']:,.0f} MB")
        print(f"whole path for the day (ingest + argo_daily): {ingest['seconds'] + daily['seconds']:.1f} s; "
              f"argo_daily / kernel: {ratio:.1f}x")
        peak = max(f["peak_rss_mb"] for f in figures.values())
        print(f"targets: ingest >= 400k records/s [{'met' if rate >= 400_000 else 'MISSED'}], "
              f"argo_daily <= 2x kernel [{'met' if ratio <= 2 else 'MISSED'}], "
              f"peak RSS <= 1536 MB [{'met' if peak <= 1536 else 'MISSED'}]")


if __name__ == "__main__":
    main()
