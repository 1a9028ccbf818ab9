"""Checks and failure paths of the warehouse assets, through the real jobs."""

import gzip
import json
from datetime import timedelta

import dagster as dg
import pandas as pd

from resources.storage import LakeResource
from tests.platform import check_results
from tests.warehouse.world import DAYS, INCREMENTAL_FROM, build, load_everything, run_range, write_world


def increment_part(root, table, day):
    return root / "landing" / "csv" / table / "incremental" / day.isoformat() / f"{table}_0000_part_00.gz"


def test_too_many_bad_lines_fail_the_partition_with_the_figure(tmp_path):
    write_world(tmp_path)
    part = increment_part(tmp_path, "dim_person", INCREMENTAL_FROM)
    lines = gzip.decompress(part.read_bytes()) if part.exists() else b""
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(gzip.compress(lines + b'"1"|"broken\n' * 5))
    defs = build(tmp_path)
    with dg.instance_for_test() as instance:
        result = run_range(defs, instance, "warehouse_load", INCREMENTAL_FROM.isoformat(), INCREMENTAL_FROM.isoformat())
        assert not result.success
        errors = [e.event_specific_data.error.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        assert any("5 of 5 lines are bad (100.00%, allowed 1.00%)" in m for m in errors), errors
        loose = {"ops": {"warehouse__dim_person_parquet": {"config": {"max_bad_share": 1.0}}}}
        ok = run_range(defs, instance, "warehouse_load", INCREMENTAL_FROM.isoformat(), INCREMENTAL_FROM.isoformat(), loose)
        assert ok.success
        quarantine = LakeResource(root=str(tmp_path / "lake")).read_table(
            f"warehouse_quarantine/dim_person/{INCREMENTAL_FROM}_{INCREMENTAL_FROM}.parquet")
        assert quarantine.num_rows == 5 and set(quarantine.column("line").to_pylist()) == {1, 2, 3, 4, 5}


def test_short_source_day_blocks_the_load_and_aggregates(tmp_path):
    write_world(tmp_path)
    day = DAYS[3]
    part = increment_part(tmp_path, "fact_space_event", day)
    full = part.read_bytes()
    lines = gzip.decompress(full).splitlines(keepends=True)
    part.write_bytes(gzip.compress(b"".join(lines[: len(lines) // 2])))  # the manifest still says all
    defs = build(tmp_path)
    with dg.instance_for_test() as instance:
        results = load_everything(defs, instance)  # snapshot, DAYS[2], DAYS[3], DAYS[4]
        short = results[2]
        assert not short.success
        assert check_results(short)["warehouse/fact_space_event_parquet:source_completeness"] is False
        ran = {e.step_key for e in short.all_events if e.event_type_value == "STEP_SUCCESS"}
        assert "warehouse__fact_space_event_postgres" not in ran
        hourly = run_range(defs, instance, "warehouse_hourly", f"{day}-10:00", f"{day}-10:00")
        assert not hourly.success
        errors = [e.event_specific_data.error.message for e in hourly.all_events if e.event_type_value == "STEP_FAILURE"]
        assert any(day.isoformat() in m and "source_completeness" in m for m in errors)
        part.write_bytes(full)  # the complete unload arrives: reload, and the aggregates run
        assert run_range(defs, instance, "warehouse_load", day.isoformat(), day.isoformat()).success
        assert run_range(defs, instance, "warehouse_hourly", f"{day}-10:00", f"{day}-10:00").success


def test_reference_discrepancy_lists_mismatched_keys(tmp_path):
    write_world(tmp_path)
    defs = build(tmp_path)
    with dg.instance_for_test() as instance:
        load_everything(defs, instance)
        assert run_range(defs, instance, "warehouse_weekly", "2024-03-04", "2024-03-04").success
        ours = LakeResource(root=str(tmp_path / "lake")).read_table("warehouse/week_people_count/2024-03-04.parquet")
        reference = ours.to_pandas()
        reference["week_start"] = pd.to_datetime(reference.pop("week_start_us"), unit="us", utc=True).astype(str)
        (tmp_path / "ref").mkdir()
        reference.to_csv(tmp_path / "ref" / "week_people_count.csv", index=False)
        config = {"ops": {"warehouse__week_people_count": {"config": {"reference_dir": str(tmp_path / "ref")}}}}
        same = run_range(defs, instance, "warehouse_weekly", "2024-03-04", "2024-03-04", config)
        assert check_results(same)["warehouse/week_people_count:reference_discrepancy"] is True
        reference.loc[0, "events"] = int(reference.loc[0, "events"] * 1.02) + 1  # the old warehouse counted 2% more
        reference.to_csv(tmp_path / "ref" / "week_people_count.csv", index=False)
        off = run_range(defs, instance, "warehouse_weekly", "2024-03-04", "2024-03-04", config)
        assert check_results(off)["warehouse/week_people_count:reference_discrepancy"] is False
        evaluation = next(e.event_specific_data for e in off.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION")
        keys = evaluation.metadata["mismatched_keys"].value
        assert len(keys) == 1 and keys[0]["company_id"] == int(reference.loc[0, "company_id"])
