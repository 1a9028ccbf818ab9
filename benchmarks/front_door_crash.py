"""Benchmark: the job-template front door under a burst, killed with SIGKILL mid-burst.

    .venv/bin/python benchmarks/front_door_crash.py [--requests 2000] [--clients 64] [--kill-after 0.4]

Starts a fresh database on the machine's PostgreSQL (the config store), a Dagster webserver (no
daemon: launched runs stay queued, so only launching is measured) and the service in its own
process. `--clients` threads POST `--requests` distinct requests; once `--kill-after` of them are
answered the service is killed with SIGKILL and restarted on the same port; every request that got
no answer is sent again, unchanged (same user-run-id), until it is answered. Then the launcher
drains what is stored. Prints answered, stored, launched, launched twice, lost and the p50/p99
latency of the answered POSTs (targets: launched twice 0, lost 0, p99 <= 250 ms on 2 cores).
Asserts nothing about time.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from platform_assets.job_templates.launcher import REQUEST_TAG  # noqa: E402
from resources.job_template_store import JobTemplateStore  # noqa: E402
from benchmarks.job_template_service import _wait_for_port  # noqa: E402
from tests.dagster_services import dagster_deployment  # noqa: E402
from tests.services import free_port  # noqa: E402

BASE = "postgresql://postgres:postgres@127.0.0.1:5432"
TOKEN = "bench-token"


def start_service(port: int, dsn: str, graphql: str) -> subprocess.Popen:
    service = subprocess.Popen(
        [sys.executable, "-m", "platform_assets.job_templates.service", "--port", str(port)], cwd=ROOT,
        env={**os.environ, "JOB_TEMPLATE_PG_DSN": dsn, "JOB_TEMPLATE_API_TOKEN": TOKEN,
             "DAGSTER_GRAPHQL_URL": graphql})
    _wait_for_port(port)
    return service


class Burst:
    """``total`` distinct requests from ``clients`` threads; each keeps re-sending its request
    (same body) until it is answered, as a client that lost an answer would."""

    def __init__(self, url: str, total: int, clients: int):
        self.url, self.total, self.clients = url, total, clients
        self.answers: dict[str, str] = {}  # user-run-id -> run_id
        self.latencies: list[float] = []
        self.answered_at: list[float] = []  # when each answered POST was sent (perf_counter)
        self.unanswered_attempts = 0
        self.lock = threading.Lock()
        self.next = 0

    def body(self, n: int) -> dict:
        return {"user-id": f"client-{n % self.clients}", "user-run-id": f"burst-{n}", "source-type": "oracle",
                "target-type": "s3", "runtime-parameters": [{"TABLE": f"t{n}"}]}

    def client(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        while True:
            with self.lock:
                if self.next >= self.total:
                    return
                n, self.next = self.next, self.next + 1
            body = self.body(n)
            while True:
                started = time.perf_counter()
                try:
                    answer = session.post(self.url, json=body, timeout=10)
                except requests.RequestException:  # the service is down: send it again
                    with self.lock:
                        self.unanswered_attempts += 1
                    time.sleep(0.2)
                    continue
                elapsed = time.perf_counter() - started
                if answer.status_code != 200:
                    with self.lock:
                        self.unanswered_attempts += 1
                    time.sleep(0.2)
                    continue
                with self.lock:
                    self.answers[body["user-run-id"]] = answer.json()["run_id"]
                    self.latencies.append(elapsed)
                    self.answered_at.append(started)
                break


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--kill-after", type=float, default=0.4, help="share answered before the SIGKILL")
    parser.add_argument("--drain-limit", type=float, default=900, help="seconds to wait for every launch")
    opts = parser.parse_args()
    name = f"weir_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{BASE}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        store = JobTemplateStore(dsn=f"{BASE}/{name}")
        store.migrate()
        store.add_template("oracle_to_s3", "oracle", "s3", "sch-tpl-1", {"BATCH": 1000}, {"SOURCE_CONNECTION": "c1"})
        home = Path(tempfile.mkdtemp(prefix="weir-door-bench-"))
        (home / "dagster.yaml").write_text("run_coordinator:\n  module: dagster.core.run_coordinator\n"
                                           "  class: QueuedRunCoordinator\ntelemetry: {enabled: false}\n")
        env = {"JOB_TEMPLATE_PG_DSN": store.dsn, "WEIR_DATA_DIR": str(home / "data")}
        with dagster_deployment(home, env, daemon=False) as (dagster_url, _):
            port = free_port()
            graphql = f"{dagster_url}/graphql"
            service = start_service(port, store.dsn, graphql)
            burst = Burst(f"http://127.0.0.1:{port}/streamsets/job-template-runner", opts.requests, opts.clients)
            threads = [threading.Thread(target=burst.client) for _ in range(opts.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            while len(burst.answers) < opts.kill_after * opts.requests:
                time.sleep(0.01)
            service.send_signal(signal.SIGKILL)
            killed_time = time.perf_counter()
            service.wait()
            killed_at = len(burst.answers)
            service = start_service(port, store.dsn, graphql)
            for thread in threads:
                thread.join()
            burst_s = time.perf_counter() - started
            drain_started = time.perf_counter()
            while (counts := store.request_counts())["accepted"] + counts["launching"] and \
                    time.perf_counter() - drain_started < opts.drain_limit:
                time.sleep(1)
            drain_s = time.perf_counter() - drain_started
            service.terminate()
            service.wait(30)
            with psycopg.connect(store.dsn) as conn:
                stored = dict(conn.execute("SELECT user_run_id, id::text FROM streamsets.run_request").fetchall())
            with dg.DagsterInstance.from_config(str(home)) as instance:
                runs = instance.get_runs(dg.RunsFilter(job_name="job_template_run"))
                per_request = Counter(run.tags.get(REQUEST_TAG) for run in runs)
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    latencies = sorted(burst.latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    twice = sum(1 for count in per_request.values() if count > 1)
    lost = [rid for rid, run_id in burst.answers.items() if stored.get(rid) != run_id or not per_request.get(run_id)]
    print(f"{opts.requests} POSTs from {opts.clients} clients in {burst_s:.1f} s; SIGKILL after {killed_at} answers, "
          f"restarted; {burst.unanswered_attempts} attempts got no answer and were sent again")
    print(f"  answered {len(burst.answers)}, stored {len(stored)}, launched {counts['launched']} "
          f"(runs in Dagster {len(runs)}; drained in {drain_s:.1f} s), launched twice {twice} (must be 0), "
          f"lost {len(lost)} (must be 0)")
    print(f"  latency of the answered POSTs: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms (target p99 <= 250 ms)")
    for label, chosen in (("sent before the kill", [l for l, t in zip(burst.latencies, burst.answered_at)
                                                    if t < killed_time]),
                          ("sent after it", [l for l, t in zip(burst.latencies, burst.answered_at)
                                             if t >= killed_time])):
        chosen.sort()
        if chosen:
            print(f"    {label}: {len(chosen)} POSTs, p50 {statistics.median(chosen) * 1000:.0f} ms, "
                  f"p99 {chosen[min(len(chosen) - 1, int(len(chosen) * 0.99))] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
