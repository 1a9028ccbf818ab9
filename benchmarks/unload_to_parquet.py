"""Benchmark: Redshift unload files -> Parquet on the local engine and on Spark local[2], and the
PostgreSQL COPY load.

    .venv/bin/python benchmarks/unload_to_parquet.py [--mb 1000] [--pg-rows 1000000] [--before REV]

Generates ~``--mb`` MB of fact_space_event unload parts (vectorised, so generation is quick), then
converts them with Weir's reader (2 files at a time, one per core) and with Spark's CSV reader,
writing Parquet either way. Prints MB/s and the ratio, and rows/s for the PostgreSQL load (machine's
server on 127.0.0.1:5432). Targets (issue 3): conversion >= 80 MB/s and >= 4x Spark; load >= 150k rows/s;
issue 21 (the exact reader): still >= 100 MB/s. ``--before REV`` also times the reader as it was at git
revision REV on the same files, for a before/after figure from one run.
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS_PER_PART = 1_000_000


def _quoted(array: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise('"', pc.cast(array, pa.string()), '"', "")


def write_parts(folder: Path, megabytes: int) -> tuple[int, int]:
    rng = np.random.default_rng(1)
    written, rows, k = 0, 0, 0
    base = 1_709_510_400_000_000
    while written < megabytes * 1_000_000:
        n = ROWS_PER_PART
        ts = pa.array(base + rng.integers(0, 7 * 86_400_000_000, n), pa.timestamp("us"))
        person = pa.array(rng.integers(1, 50_000, n))
        kinds = pa.array(np.array(["checkin", "checkout", "sensor", 'odd|"type'], dtype=object)[rng.integers(0, 4, n)])
        kinds = pc.replace_substring(pc.replace_substring(kinds, "|", "\\|"), '"', '\\"')
        person_text = pc.if_else(pc.equal(pc.bit_wise_and(person, 7), 0), "\\N", _quoted(person))
        columns = [_quoted(pa.array(np.arange(rows, rows + n))), _quoted(pa.array(rng.integers(1, 5000, n))),
                   _quoted(pa.array(rng.integers(1, 200, n))), person_text,
                   pc.binary_join_element_wise('"', kinds, '"', ""),
                   _quoted(pc.strftime(ts, "%Y-%m-%d %H:%M:%S")), _quoted(pa.array(rng.integers(0, 30, n))),
                   _quoted(pc.strftime(ts, "%Y-%m-%d"))]
        lines = pc.binary_join_element_wise(*columns, "|")
        payload = "\n".join(lines.to_pylist()).encode() + b"\n"
        (folder / f"fact_space_event_{k:04d}_part_00").write_bytes(payload)
        written += len(payload)
        rows += n
        k += 1
    return written, rows


def reader_at(revision: str):
    """``read_unload`` as it was at a git revision (the module is loaded from ``git show``)."""
    import importlib.util
    import subprocess

    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(["git", "show", f"{revision}:platform_assets/warehouse/unload.py"], cwd=root,
                            check=True, capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as file:
        file.write(source)
    spec = importlib.util.spec_from_file_location("unload_before", file.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.read_unload


def convert_local(folder: Path, out: Path, read_unload=None) -> int:
    from platform_assets.warehouse.catalog import load_catalog

    if read_unload is None:
        from platform_assets.warehouse.unload import read_unload
    table = load_catalog()["fact_space_event"]

    def one(path: Path) -> int:
        parsed = read_unload(path.read_bytes(), table, path.name)
        pq.write_table(parsed.table, out / f"{path.name}.parquet")
        return parsed.table.num_rows

    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(one, sorted(folder.glob("*_part_00"))))


def convert_spark(folder: Path, out: Path) -> int:
    from dagster_pyspark import LazyPySparkResource

    from resources.compute import local_spark_config

    spark = LazyPySparkResource(spark_config=local_spark_config(2)).spark_session
    spark.range(1).count()
    schema = ("event_id long, space_id long, company_id long, person_id long, event_type string, "
              "event_ts timestamp, people_count int, created_date date")
    started = time.perf_counter()
    frame = spark.read.csv(str(folder / "*_part_00"), schema=schema, sep="|", quote='"', escape="\\",
                           nullValue="\\N", timestampFormat="yyyy-MM-dd HH:mm:ss")
    frame.write.mode("overwrite").parquet(str(out / "spark"))
    count = spark.read.parquet(str(out / "spark")).count()
    convert_spark.seconds = time.perf_counter() - started
    return count


def pg_load(rows: int) -> float | None:
    import psycopg

    from platform_assets.warehouse.catalog import load_catalog
    from resources.warehouse_db import PostgresWarehouse

    base, name = "postgresql://postgres:postgres@127.0.0.1:5432", f"weir_bench_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        rng = np.random.default_rng(2)
        table = load_catalog()["fact_space_event"]
        ts = pa.array(1_709_510_400_000_000 + rng.integers(0, 86_400_000_000, rows), pa.timestamp("us", tz="UTC"))
        data = pa.table({"event_id": np.arange(rows), "space_id": rng.integers(1, 5000, rows),
                         "company_id": rng.integers(1, 200, rows), "person_id": rng.integers(1, 50_000, rows),
                         "event_type": pa.array(["checkin"] * rows), "event_ts": ts,
                         "people_count": pa.array(rng.integers(0, 30, rows), pa.int32()),
                         "created_date": pc.cast(ts, pa.date32())}, schema=table.schema())
        db = PostgresWarehouse(dsn=f"{base}/{name}")
        started = time.perf_counter()
        db.load(table, data, "replace")
        return rows / (time.perf_counter() - started)
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1000)
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--before", help="also time the reader of this git revision")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="weir-unload-") as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        out.mkdir()
        t0 = time.perf_counter()
        size, rows = write_parts(folder, args.mb)
        print(f"generated {size / 1e6:,.0f} MB of unload parts ({rows:,} rows) in {time.perf_counter() - t0:.1f} s")
        if args.before:
            t0 = time.perf_counter()
            before_rows = convert_local(folder, out, reader_at(args.before))
            before_s = time.perf_counter() - t0
            print(f"local engine at {args.before}: {before_s:6.1f} s  {size / 1e6 / before_s:7.1f} MB/s  rows {before_rows:,}")
        t0 = time.perf_counter()
        local_rows = convert_local(folder, out)
        local_s = time.perf_counter() - t0
        spark_rows = convert_spark(folder, out)
        spark_s = convert_spark.seconds
        local_rate, spark_rate = size / 1e6 / local_s, size / 1e6 / spark_s
        print(f"local engine: {local_s:6.1f} s  {local_rate:7.1f} MB/s  rows {local_rows:,}")
        print(f"spark local[2]: {spark_s:6.1f} s  {spark_rate:7.1f} MB/s  rows {spark_rows:,}")
        print(f"ratio local/spark: {local_rate / spark_rate:.1f}x   same row count: {local_rows == spark_rows}")
    rate = pg_load(args.pg_rows)
    print(f"PostgreSQL COPY load: {rate:,.0f} rows/s" if rate else "PostgreSQL not reachable: load not measured")
    print(f"targets: >= 100 MB/s [{'met' if local_rate >= 100 else 'MISSED'}], >= 4x Spark "
          f"[{'met' if local_rate >= 4 * spark_rate else 'MISSED'}], load >= 150k rows/s "
          f"[{'met' if rate and rate >= 150_000 else 'MISSED'}]")


if __name__ == "__main__":
    main()
