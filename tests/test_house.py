"""The house's promises that no single slice test covers: settings are read when definitions load
or runs start (never at import), the dg project and the Dagster CLI load from the repository root,
and the README's `make dev` serves the UI on the local instance with no variables set."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Imports every module of the slices, resources and sensors with an os.environ that records reads.
_IMPORT_ALL = """
import importlib, linecache, os, pkgutil, sys
read = set()
original = os.environ
OURS = ("platform_assets", "resources", "sensors")
def note(key, depth=2):
    frame = sys._getframe(depth)
    caller = frame.f_globals.get("__name__", "")
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    if caller.startswith(OURS) and ("environ" in line or "getenv" in line):  # not a C extension's read
        read.add(f"{caller}: {key}")
class Watch(dict):
    def __getitem__(self, key):
        note(key); return original[key]
    def get(self, key, default=None):
        note(key); return original.get(key, default)
    def __contains__(self, key):
        note(key); return key in original
os.environ = Watch(original)
os.getenv = lambda key, default=None: (note(key, 3), original.get(key, default))[1]
skip = {"platform_assets.definitions", "platform_assets.environments"}
for package in ("resources", "sensors", "platform_assets"):
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if info.name in skip or info.name.startswith("platform_assets.demo"):
            continue
        importlib.import_module(info.name)
print(sorted(read))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    """What a fresh shell has: no DAGSTER_*, no WEIR_*, no PLATFORM_ENV."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ", "USER")}
    return {**keep, "DAGSTER_DISABLE_TELEMETRY": "yes", **extra}


def test_no_module_reads_the_environment_when_imported():
    out = subprocess.run([sys.executable, "-c", _IMPORT_ALL], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env=_clean_env(PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_dg_check_defs_and_the_dagster_cli_load_from_the_repository_root():
    env = _clean_env()
    checked = subprocess.run([str(BIN / "dg"), "check", "defs"], cwd=ROOT, capture_output=True, text=True,
                             timeout=600, env=env)
    assert checked.returncode == 0, (checked.stdout + checked.stderr)[-3000:]
    listed = subprocess.run([str(BIN / "dg"), "list", "defs", "--json"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, env=env)
    assert listed.returncode == 0 and "endpoint_group_ar" in listed.stdout, listed.stderr[-3000:]
    validated = subprocess.run([str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
                               cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert validated.returncode == 0, (validated.stdout + validated.stderr)[-3000:]


def test_make_dev_serves_the_ui_on_the_local_instance_with_no_variables_set(tmp_path):
    port = free_port()
    proc = subprocess.Popen(["make", "dev", f"PORT={port}", f"DATA={tmp_path}"], cwd=ROOT, env=_clean_env(),
                            stdout=open(tmp_path / "dev.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, page = time.monotonic() + 240, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/locations/weir/asset-groups/argo", timeout=5)
                version = requests.post(f"http://127.0.0.1:{port}/graphql", timeout=10, json={
                    "query": "{ instance { info } workspaceOrError { ... on Workspace { locationEntries { name "
                             "locationOrLoadError { __typename } } } } }"}).json()["data"]
                if version["workspaceOrError"]["locationEntries"][0]["locationOrLoadError"]:
                    break
            except (requests.RequestException, KeyError, IndexError, TypeError):
                time.sleep(1)
        log = (tmp_path / "dev.log").read_text()
        assert page is not None and page.status_code == 200, log[-3000:]
        entry = version["workspaceOrError"]["locationEntries"][0]
        assert entry["name"] == "weir" and entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", log[-3000:]
        info = version["instance"]["info"]
        assert "SqliteRunStorage" in info and str(ROOT / ".weir" / "dagster_home") in info, info
        assert "DAGSTER_PG" not in log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

