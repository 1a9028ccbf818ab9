"""A small warehouse for tests: sample unloads, resources and range runs through the real jobs."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np

from platform_assets.definitions import build_definitions
from platform_assets.demo.warehouse_sample import generate_events, write_unloads
from resources.compute import LocalEngine
from resources.storage import LakeResource
from resources.warehouse_db import DuckDbWarehouse

DAYS = [date(2024, 3, 4) + timedelta(days=i) for i in range(5)]  # Monday .. Friday
INCREMENTAL_FROM = DAYS[2]
SNAPSHOT_START = DAYS[0] - timedelta(days=30)


def write_world(root: Path, companies: int = 5) -> dict[str, Any]:
    tables = generate_events(companies, DAYS, np.random.default_rng(5))
    write_unloads(root / "landing", tables, INCREMENTAL_FROM)
    return tables


def resources(root: Path, **overrides: Any) -> dict[str, Any]:
    out = {"lake": LakeResource(root=str(root / "lake")), "unloads": LakeResource(root=str(root / "landing")),
           "engine": LocalEngine(), "warehouse_db": DuckDbWarehouse(path=str(root / "wh.duckdb"))}
    out.update(overrides)
    return out


def run_range(defs: dg.Definitions, instance: dg.DagsterInstance, job: str, first: str, last: str,
              run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config or {},
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last})


def load_everything(defs: dg.Definitions, instance: dg.DagsterInstance) -> list[dg.ExecuteInProcessResult]:
    """The snapshot (replace) then each increment (upsert), as an operator would run them."""
    replace = {"ops": {f"warehouse__{t}_postgres": {"config": {"load_mode": "replace"}} for t in
                       ("dim_company", "dim_space", "dim_person", "dim_calendar", "fact_space_event")}}
    results = [run_range(defs, instance, "warehouse_load", SNAPSHOT_START.isoformat(),
                         (INCREMENTAL_FROM - timedelta(days=1)).isoformat(), replace)]
    for day in DAYS[2:]:
        results.append(run_range(defs, instance, "warehouse_load", day.isoformat(), day.isoformat()))
    return results


def build(root: Path, **overrides: Any) -> dg.Definitions:
    from tests.platform import local_resources

    registry = root / "tenants.yaml"
    registry.write_text("tenants: []\n")
    return build_definitions({**local_resources(root, registry), **resources(root, **overrides)})
