"""Benchmark: from a Dagster run's start to the Flink streaming job RUNNING, against a bare REST
submit of the same jar to the same cluster.

    .venv/bin/python benchmarks/flink_submit.py [--repeats 5]

Starts a real Flink 2.3 session cluster (as the tests do), compiles the test jobs' jar, then for each
repeat: (a) bare REST: POST /jars/upload, POST /jars/<id>/run, poll /jobs/<id> until every task
runs; (b) Weir: `ingest_metric_stream` executed in process for a fresh tenant (config parse, job
lookup by name, jar lookup by content hash, run, wait for RUNNING). Jobs are cancelled between
repeats. Target (issue 5): median overhead <= 2 s, and a second submit of the same jar uploads
nothing. Prints figures; asserts nothing about time.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_assets.streaming.jobs import ingest_metric_stream  # noqa: E402
from resources.flink import FlinkResource  # noqa: E402
from resources.monitoring_conf import MonitoringConfResource  # noqa: E402
from tests.flink_cluster import build_test_jar, flink_cluster  # noqa: E402
from tests.streaming.conf_files import write_conf  # noqa: E402

ENTRY = "weir.testjobs.EndlessJob"


def bare_submit(url: str, jar: Path, name: str) -> tuple[float, str]:
    started = time.perf_counter()
    with jar.open("rb") as handle:
        uploaded = requests.post(f"{url}/jars/upload", files={"jarfile": (jar.name, handle)}, timeout=30).json()
    jar_id = Path(uploaded["filename"]).name
    job = requests.post(f"{url}/jars/{jar_id}/run", timeout=30,
                        json={"entryClass": ENTRY, "programArgsList": [name]}).json()["jobid"]
    while True:
        detail = requests.get(f"{url}/jobs/{job}", timeout=10).json()
        if detail["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in detail["vertices"]):
            return time.perf_counter() - started, job
        time.sleep(0.05)


def weir_submit(conf: Path, tenant: str) -> tuple[float, str, bool]:
    started = time.perf_counter()
    result = ingest_metric_stream.execute_in_process(
        run_config={"ops": {"ensure_metric_stream": {"config": {"tenant": tenant}}}},
        resources={"monitoring": MonitoringConfResource(path=str(conf))})
    elapsed = time.perf_counter() - started
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    meta = output.event_specific_data.metadata
    return elapsed, meta["job_id"].value, meta["submitted"].value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="weir-flink-bench-"))
    jar = build_test_jar(work)
    with flink_cluster(work / "cluster") as url:
        flink = FlinkResource(rest_url=url)
        tenants = tuple(f"bench{i}" for i in range(opts.repeats + 1))
        conf = write_conf(work, url, jar, tenants=tenants)
        weir_submit(conf, tenants[-1])  # warm-up: imports, first upload of the content-hashed jar
        uploads_before = len(flink.jar_ids())
        bare, weir = [], []
        for i in range(opts.repeats):
            seconds, job = bare_submit(url, jar, f"bare-{i}")
            bare.append(seconds)
            flink.cancel(job)
            seconds, job, submitted = weir_submit(conf, tenants[i])
            assert submitted
            weir.append(seconds)
            flink.cancel(job)
        bare_uploads = opts.repeats
        weir_uploads = len(flink.jar_ids()) - uploads_before - bare_uploads
        for job in flink.list_jobs():
            if job["state"] == "RUNNING":
                flink.cancel(job["jid"])
    overheads = [w - b for w, b in zip(weir, bare)]
    print(f"repeats: {opts.repeats}")
    print(f"bare REST submit -> RUNNING:      median {statistics.median(bare):.2f} s  "
          f"(min {min(bare):.2f}, max {max(bare):.2f})")
    print(f"Dagster run start -> RUNNING:     median {statistics.median(weir):.2f} s  "
          f"(min {min(weir):.2f}, max {max(weir):.2f})")
    print(f"overhead (Weir - bare):           median {statistics.median(overheads):.2f} s  (target <= 2 s)")
    print(f"jar uploads by Weir's {opts.repeats} submits after the first: {weir_uploads} (target 0)")


if __name__ == "__main__":
    main()
