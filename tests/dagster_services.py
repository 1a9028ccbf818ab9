"""A real Dagster deployment for tests: `dagster-daemon` and `dagster-webserver` processes started
from the project's workspace.yaml with a given DAGSTER_HOME, and a small GraphQL client."""

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import requests

from tests.services import free_port, stop_process_groups

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


class GraphQL:
    def __init__(self, url: str):
        self.url = url

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]


def production_home(tmp_path: Path, pg_dsn: str) -> tuple[Path, dict[str, str]]:
    """A DAGSTER_HOME holding the production dagster.yaml, and the variables that point it at the
    test database (``pg_dsn``) with the local platform environment under ``tmp_path``."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    return home, {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "postgres",
                  "DAGSTER_PG_PASSWORD": "postgres", "DAGSTER_PG_DB": pg_dsn.rsplit("/", 1)[1],
                  "PLATFORM_ENV": "local", "WEIR_DATA_DIR": str(tmp_path / "data")}


def _create_storage(home: Path, env: dict[str, str]) -> None:
    """Create the instance's tables once, before the webserver and the daemon start together: two
    processes creating a fresh SQLite schema at once can collide ("table ... already exists")."""
    subprocess.run([str(BIN / "python"), "-c", "import dagster as dg, sys\n"
                    "with dg.DagsterInstance.from_config(sys.argv[1]) as i:\n"
                    "    i.get_runs(limit=1); i.all_instigator_state(); i.get_latest_materialization_event(dg.AssetKey('x'))"
                    , str(home)], cwd=home, env=env, check=True, capture_output=True, timeout=120)


@contextmanager
def dagster_deployment(home: Path, env: dict[str, str], daemon: bool = True,
                       timeout_s: float = 180) -> Iterator[tuple[str, GraphQL]]:
    """Start the webserver (and the daemon) on 127.0.0.1; yield (URL, GraphQL client) once the
    code location `weir` has loaded."""
    port = free_port()
    full_env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "yes", **env}
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    workspace = str(ROOT / "workspace.yaml")
    _create_storage(home, full_env)
    commands = [[str(BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(port)]]
    if daemon:
        commands.append([str(BIN / "dagster-daemon"), "run", "-w", workspace])
    # not from the repository root: its .env names the local instance, which would replace `home`
    procs = [subprocess.Popen(cmd, cwd=home, env=full_env, stdout=open(logs / f"{Path(cmd[0]).name}.log", "w"),
                              stderr=subprocess.STDOUT, start_new_session=True) for cmd in commands]
    url = f"http://127.0.0.1:{port}"
    client = GraphQL(url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                tails = {f.name: f.read_text()[-1500:] for f in logs.glob("*.log")}
                raise RuntimeError(f"Dagster did not come up at {url}: {tails}")
            try:
                data = client("{ workspaceOrError { ... on Workspace { locationEntries { name "
                              "locationOrLoadError { __typename } } } } }")
                entries = data["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["locationOrLoadError"] and \
                        entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation":
                    break
                if entries and entries[0]["locationOrLoadError"] and \
                        entries[0]["locationOrLoadError"]["__typename"] == "PythonError":
                    raise RuntimeError(f"code location failed to load: {client('{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError { ... on PythonError { message } } } } } }')}")
            except (requests.RequestException, AssertionError):
                pass
            time.sleep(1)
        yield url, client
    finally:
        stop_process_groups(procs, grace_s=20)
