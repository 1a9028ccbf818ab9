"""The demo's runs belong to the `weir` code location, so the UI's Overview timeline and job pages
show them (platform_assets/demo/located_runs.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
import dagster as dg
from platform_assets.argo.partitions import TENANTS_PARTITION
from platform_assets.definitions import defs
from platform_assets.demo.located_runs import run_job
instance = dg.DagsterInstance.get()
instance.add_dynamic_partitions(TENANTS_PARTITION, ["acme"])
assert run_job(defs, instance, "argo_daily", partition_key=sys.argv[1] + "|acme")
[run] = instance.get_runs()
origin = run.remote_job_origin
print(run.status.value, origin.location_name, origin.repository_origin.repository_name, run.job_name,
      run.tags["dagster/partition"])
"""


def test_a_demo_run_is_a_run_of_the_weir_location(tmp_path, sample_world):
    registry, days = sample_world
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "WEIR_TENANT_REGISTRY": str(registry),
           "WEIR_DATA_DIR": str(tmp_path / "data"), "PLATFORM_ENV": "local"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, days[0].isoformat()], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["SUCCESS", "weir", "__repository__", "argo_daily", f"{days[0]}|acme"]
