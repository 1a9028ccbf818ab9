"""The warehouse keeps every version and every row (issue 21), through the real jobs and a real
PostgreSQL: a later increment's new version of an earlier day's row rewrites that day and the
database; a day without unload files fails and never empties a day; rows no database would take
are quarantined with the reason instead of failing the day's COPY."""

import gzip
from datetime import date, datetime, timedelta, timezone

import dagster as dg
import psycopg

from platform_assets.warehouse.catalog import load_catalog
from platform_assets.warehouse.unload import format_rows, read_unload
from resources.storage import LakeResource
from resources.warehouse_db import PostgresWarehouse
from tests.warehouse.world import DAYS, INCREMENTAL_FROM, SNAPSHOT_START, build, load_everything, run_range, write_world

COMPANY = load_catalog()["dim_company"]
LOOSE = {"ops": {"warehouse__dim_company_parquet": {"config": {"max_bad_share": 1.0}}}}


def _increment(root, day) -> "Path":  # noqa: F821
    return root / "landing" / "csv" / "dim_company" / "incremental" / day.isoformat() / "dim_company_0000_part_00.gz"


def _append(root, day, payload: bytes) -> None:
    part = _increment(root, day)
    before = gzip.decompress(part.read_bytes()) if part.exists() else b""
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(gzip.compress(before + payload))


def _snapshot_company(root) -> dict:
    lake = LakeResource(root=str(root / "landing"))
    for key in lake.list("csv/dim_company/snapshot"):
        rows = read_unload(lake.read_bytes(key), COMPANY, key).table.to_pylist()
        if rows:
            return rows[0]
    raise AssertionError("no snapshot company")


def _db_names(dsn: str) -> dict[int, str]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT company_id, name FROM warehouse.dim_company").fetchall())


def _partition(root, day: date) -> dict[int, str]:
    table = LakeResource(root=str(root / "lake")).read_table(f"warehouse/dim_company/created_date={day}/part-0.parquet")
    return dict(zip(table.column("company_id").to_pylist(), table.column("name").to_pylist(), strict=True))


def test_a_later_increment_rewrites_the_earlier_day_and_the_database(tmp_path, pg_dsn):
    write_world(tmp_path)
    company = _snapshot_company(tmp_path)
    renamed = dict(company, name="Renamed & Sons")
    _append(tmp_path, DAYS[3], format_rows([list(renamed.values())]))
    defs = build(tmp_path, warehouse_db=PostgresWarehouse(dsn=pg_dsn))
    with dg.instance_for_test() as instance:
        assert all(r.success for r in load_everything(defs, instance))
        day = company["created_date"]
        assert _partition(tmp_path, day)[company["company_id"]] == "Renamed & Sons"
        assert _db_names(pg_dsn)[company["company_id"]] == "Renamed & Sons"
        events = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["warehouse", "dim_company_parquet"]),
                                  asset_partitions=[day.isoformat()]), limit=10).records
        assert any("rewritten" in (r.asset_materialization.description or "") for r in events)
        # re-running the earlier day keeps the newest version (idempotent, never older)
        again = run_range(defs, instance, "warehouse_load", SNAPSHOT_START.isoformat(),
                          (INCREMENTAL_FROM - timedelta(days=1)).isoformat())
        assert again.success
        assert _partition(tmp_path, day)[company["company_id"]] == "Renamed & Sons"
        assert _db_names(pg_dsn)[company["company_id"]] == "Renamed & Sons"


def test_a_day_without_unload_files_fails_and_never_empties_the_day(tmp_path, pg_dsn):
    write_world(tmp_path)
    day = DAYS[3]
    _append(tmp_path, day, format_rows([[8001, "New Co", "x", False, datetime(2024, 3, 7, tzinfo=timezone.utc), day]]))
    defs = build(tmp_path, warehouse_db=PostgresWarehouse(dsn=pg_dsn))
    with dg.instance_for_test() as instance:
        assert all(r.success for r in load_everything(defs, instance))
        before_lake, before_db = _partition(tmp_path, day), _db_names(pg_dsn)
        _increment(tmp_path, day).unlink()  # the landing files are gone
        failed = run_range(defs, instance, "warehouse_load", day.isoformat(), day.isoformat())
        assert not failed.success
        errors = [e.event_specific_data.error.message for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
        assert any(f"dim_company: no unload files for {day}" in m and "incremental" in m for m in errors), errors
        assert _partition(tmp_path, day) == before_lake and _db_names(pg_dsn) == before_db
        skip = {"ops": {"warehouse__dim_company_parquet": {"config": {"missing_days": "skip"}}}}
        skipped = defs.resolve_job_def("warehouse_load").execute_in_process(
            instance=instance, raise_on_error=False, run_config=skip, partition_key=day.isoformat(),
            asset_selection=[dg.AssetKey(["warehouse", "dim_company_parquet"])])
        assert skipped.success
        metadata = skipped.asset_materializations_for_node("warehouse__dim_company_parquet")[0].metadata
        assert metadata["skipped_days_without_source"].value == [day.isoformat()]
        assert _partition(tmp_path, day) == before_lake


def test_rows_no_database_takes_are_quarantined_and_the_day_still_loads(tmp_path, pg_dsn):
    write_world(tmp_path)
    at = datetime(2024, 3, 6, 9, tzinfo=timezone.utc)
    day = DAYS[2]
    bad = format_rows([
        [9001, "No day", "x", False, at, None],          # NULL partition column
        [None, "No key", "x", False, at, day],           # NULL primary key
        [9002, "Twin A", "x", False, at, day],           # the same key twice, different values
        [9002, "Twin B", "x", False, at, day],
        [9003, "Same", "x", False, at, day],            # the same row twice: kept once
        [9003, "Same", "x", False, at, day],
    ]) + b'"9004"|"NUL\x00byte"|"x"|"f"|"2024-03-06 09:00:00+00"|"2024-03-06"\n'
    _append(tmp_path, day, bad)
    defs = build(tmp_path, warehouse_db=PostgresWarehouse(dsn=pg_dsn))
    with dg.instance_for_test() as instance:
        strict = run_range(defs, instance, "warehouse_load", day.isoformat(), day.isoformat())
        assert not strict.success  # they count against max_bad_share (1 % by default)
        ok = run_range(defs, instance, "warehouse_load", day.isoformat(), day.isoformat(), LOOSE)
        assert ok.success
    names = _db_names(pg_dsn)
    assert names[9003] == "Same" and not {9001, 9002, 9004} & set(names)
    quarantine = LakeResource(root=str(tmp_path / "lake")).read_table(
        f"warehouse_quarantine/dim_company/{day}_{day}.parquet").to_pylist()
    reasons = sorted(q["reason"] for q in quarantine)
    assert reasons == sorted([
        "NULL partition column created_date", "NULL primary key column company_id",
        "primary key (9002,) repeated in the file with different values",
        "primary key (9002,) repeated in the file with different values",
        "primary key (9003,) repeated in the file (an identical copy is kept)",
        "NUL byte at byte 12 of the line",
    ]), reasons


def test_a_skipped_day_is_still_rewritten_when_other_increments_carry_its_rows(tmp_path):
    from platform_assets.warehouse.assets_parquet import read_sources

    at = datetime(2024, 3, 5, 9, tzinfo=timezone.utc)
    increments = {date(2024, 3, 4): [[1, "first", "x", False, at, date(2024, 3, 4)]],
                  date(2024, 3, 6): [[7, "v1", "x", False, at, date(2024, 3, 5)]],
                  date(2024, 3, 7): [[7, "v2", "x", False, at, date(2024, 3, 5)]]}
    for day, rows in increments.items():
        folder = tmp_path / "csv" / "dim_company" / "incremental" / day.isoformat()
        folder.mkdir(parents=True)
        (folder / "dim_company_0000_part_00").write_bytes(format_rows(rows))
    days = [date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)]  # 03-05 has no files of its own
    sources = read_sources(COMPANY, days, LakeResource(root=str(tmp_path)), 1.0, "skip")
    assert sources.skipped == [date(2024, 3, 5)] and date(2024, 3, 5) in sources.days
    assert sources.rows.filter(sources.rows.column("company_id").to_numpy() == 7).column("name").to_pylist() == ["v2"]
