"""Benchmark: the job-template REST front door under load, and one request with 100 parameter sets.

    .venv/bin/python benchmarks/job_template_service.py [--clients 20] [--seconds 30]

Starts what the tests start: a fresh database on the machine's PostgreSQL (the config store), a
Dagster webserver + daemon (queued runs, at most 2 at once, so launched runs queue instead of
swamping 2 cores) and the service with its launcher. (1) `--clients` threads POST valid requests
for `--seconds`; every POST validates, looks the template up and records the request; the
launcher launches each as a run through GraphQL meanwhile. Prints p50/p99 POST latency, runs
launched during the load and how long the launcher took to drain the rest.
(2) `job_template_run` with 100 parameter sets on the stand-in Control Hub (instances finish after
0.5 s): peak extra threads while tracking and rows written. Targets (issue 6): p99 <= 250 ms;
100 instances with <= 16 threads, all 100 rows. Prints figures; asserts nothing about time.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from platform_assets.job_templates.jobs import job_template_run  # noqa: E402
from resources.job_template_store import JobTemplateStore  # noqa: E402
from resources.streamsets import RUN_SECONDS, StreamSetsResource  # noqa: E402
from tests.dagster_services import dagster_deployment  # noqa: E402
from tests.services import free_port  # noqa: E402

BASE = "postgresql://postgres:postgres@127.0.0.1:5432"
TOKEN = "bench-token"
INSTANCE_YAML = """run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config: {max_concurrent_runs: 2}
telemetry: {enabled: false}
"""


def _wait_for_port(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the service did not listen on {port}")


def load(url: str, clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        i = 0
        while time.monotonic() < stop:
            body = {"user-id": f"client-{number}", "user-run-id": f"bench-{number}-{i}", "source-type": "oracle",
                    "target-type": "s3", "runtime-parameters": [{"TABLE": f"t{i}"}]}
            started = time.perf_counter()
            answer = session.post(url, json=body, timeout=30)
            elapsed = time.perf_counter() - started
            assert answer.status_code == 200, answer.text
            with lock:
                latencies.append(elapsed)
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def hundred_sets(store: JobTemplateStore) -> tuple[float, int, int]:
    baseline = threading.active_count()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], threading.active_count() - baseline - 1)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    config = {"user-id": "bench", "user-run-id": "bench-100", "source-type": "oracle", "target-type": "s3",
              "runtime-parameters": [{"TABLE": f"t{i}", RUN_SECONDS: 0.5} for i in range(100)],
              "poll-seconds": 0.1}
    started = time.perf_counter()
    with dg.instance_for_test() as instance:
        result = job_template_run.execute_in_process(
            run_config={"ops": {"run_job_templates": {"config": config}}}, instance=instance,
            resources={"job_template_store": store, "streamsets": StreamSetsResource()})
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    assert result.success
    return elapsed, peak[0], len(store.instances("bench-100"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--drain-limit", type=float, default=120, help="seconds to watch the launch backlog drain")
    opts = parser.parse_args()
    name = f"weir_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{BASE}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        store = JobTemplateStore(dsn=f"{BASE}/{name}")
        store.migrate()
        store.add_template("oracle_to_s3", "oracle", "s3", "sch-tpl-1", {"BATCH": 1000}, {"SOURCE_CONNECTION": "c1"})
        home = Path(tempfile.mkdtemp(prefix="weir-jt-bench-"))
        (home / "dagster.yaml").write_text(INSTANCE_YAML)
        env = {"JOB_TEMPLATE_PG_DSN": store.dsn, "WEIR_DATA_DIR": str(home / "data")}
        with dagster_deployment(home, env) as (dagster_url, _):
            port = free_port()
            # the service as it is deployed: its own process (python -m ...service)
            service = subprocess.Popen(
                [sys.executable, "-m", "platform_assets.job_templates.service", "--port", str(port)], cwd=ROOT,
                env={**os.environ, "JOB_TEMPLATE_PG_DSN": store.dsn, "JOB_TEMPLATE_API_TOKEN": TOKEN,
                     "DAGSTER_GRAPHQL_URL": f"{dagster_url}/graphql"})
            _wait_for_port(port)
            latencies = sorted(load(f"http://127.0.0.1:{port}/streamsets/job-template-runner",
                                    opts.clients, opts.seconds))
            during = store.request_counts()
            drain_started = time.perf_counter()
            while (counts := store.request_counts())["accepted"] + counts["launching"] and \
                    time.perf_counter() - drain_started < opts.drain_limit:
                time.sleep(0.5)
            drain = time.perf_counter() - drain_started
            service.terminate()
            service.wait(30)
        elapsed, threads, rows = hundred_sets(store)
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"POST /streamsets/job-template-runner, {opts.clients} clients x {opts.seconds:g} s: {len(latencies)} "
          f"requests accepted, {len(latencies) / opts.seconds:.1f}/s")
    drained = counts["launched"] + counts["failed"] - during["launched"] - during["failed"]
    print(f"  runs launched through GraphQL during the load: {during['launched']} "
          f"({during['launched'] / opts.seconds:.1f}/s); afterwards {drained} in {drain:.1f} s "
          f"({drained / max(drain, 1e-9):.1f}/s); states at the end: {counts} (accepted requests stay queued, durably)")
    print(f"  latency p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (target p99 <= 250 ms)")
    print(f"one request with 100 parameter sets: {elapsed:.2f} s, peak extra threads {threads} (target <= 16), "
          f"rows written {rows} (target 100)")


if __name__ == "__main__":
    main()
