"""The warehouse slice of ``make demo``: sample unloads -> Parquet -> database -> aggregates."""

import os
from datetime import timedelta
from pathlib import Path

import numpy as np

from platform_assets.demo.warehouse_sample import generate_events, write_unloads

DEMO_DAYS = 5
DEMO_DB = "weir_demo"


def choose_database(data_dir: Path) -> str:
    """WAREHOUSE_PG_DSN if set; else the machine's PostgreSQL if it answers (database weir_demo);
    else the DuckDB file the README documents. Sets
    WAREHOUSE_PG_DSN accordingly; returns a label."""
    if os.environ.get("WAREHOUSE_PG_DSN"):
        return "PostgreSQL (WAREHOUSE_PG_DSN)"
    base = "postgresql://postgres:postgres@127.0.0.1:5432"
    try:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as admin:
            if not admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DEMO_DB,)
            ).fetchone():
                admin.execute(f'CREATE DATABASE "{DEMO_DB}"')
    except Exception:  # noqa: BLE001 - any failure means: no reachable PostgreSQL
        return f"DuckDB file {data_dir / 'warehouse.duckdb'} (no PostgreSQL reachable)"
    os.environ["WAREHOUSE_PG_DSN"] = f"{base}/{DEMO_DB}"
    return f"PostgreSQL {base.split('@')[1]}/{DEMO_DB}"


def write_sample(data_dir: Path, days: list) -> None:
    tables = generate_events(8, days, np.random.default_rng(42))
    write_unloads(data_dir / "landing", tables, days[2])


def run(defs, instance, days: list, quiet: dict) -> bool:  # noqa: ANN001 - Dagster objects
    from platform_assets.demo.located_runs import run_job
    from platform_assets.warehouse.catalog import load_catalog

    def in_range(job: str, first: str, last: str, config: dict | None = None) -> bool:
        success = run_job(
            defs,
            instance,
            job,
            {**quiet, **(config or {})},
            tags={
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            },
        )
        print(f"{job:>17} {first} .. {last}: {'ok' if success else 'FAILED'}", flush=True)
        return success

    replace = {
        "ops": {
            f"warehouse__{t}_postgres": {"config": {"load_mode": "replace"}} for t in load_catalog()
        }
    }
    ok = in_range(
        "warehouse_load",
        (days[0] - timedelta(days=30)).isoformat(),
        (days[2] - timedelta(days=1)).isoformat(),
        replace,
    )
    for day in days[2:]:
        ok = ok and in_range("warehouse_load", day.isoformat(), day.isoformat())
    ok = ok and in_range("warehouse_hourly", f"{days[0]}-00:00", f"{days[-1]}-23:00")
    monday = days[0] - timedelta(days=days[0].weekday())
    return ok and in_range("warehouse_weekly", monday.isoformat(), monday.isoformat())


def print_summary(data_dir: Path, days: list) -> None:
    import duckdb

    lake = data_dir / "lake" / "warehouse"
    con = duckdb.connect()
    print("\nBusiest spaces per day (occupied minutes, from warehouse/agg_hourly_space):")
    print(
        con.execute(f"""
        WITH per_day AS (
            SELECT strftime(make_timestamp(hour_start_us), '%Y-%m-%d') AS day, space_id,
                   round(sum(occupied_minutes)) AS occupied_minutes, sum(events) AS events
            FROM read_parquet('{lake}/agg_hourly_space/*.parquet') GROUP BY 1, 2)
        SELECT * FROM per_day
        QUALIFY row_number() OVER (PARTITION BY day ORDER BY occupied_minutes DESC) = 1
        ORDER BY day""")
        .df()
        .to_string(index=False)
    )
    print("\nPeople per company and ISO week (warehouse/week_people_count):")
    print(
        con.execute(f"""SELECT company_id, distinct_people, events
        FROM read_parquet('{lake}/week_people_count/*.parquet') ORDER BY company_id""")
        .df()
        .to_string(index=False)
    )
