"""A/R over a date range in one run (the single-run backfill policy): each day is computed from its
own inputs and keeps its own metadata; the checks name the failing days."""

import dagster as dg

from platform_assets.argo.assets_ar import AR_KEYS
from platform_assets.argo.partitions import backfill_policy
from platform_assets.argo.assets_history import latest_metadata
from platform_assets.definitions import build_definitions
from platform_assets.argo.partitions import tenant_day_key
from tests.platform import check_results, local_resources, register_tenants, run_day
from tests.argo.test_assets import group_docs

import pytest


def run_range(defs, instance, first, last, tenant):
    tags = {"dagster/asset_partition_range_start": str(tenant_day_key(first, tenant)),
            "dagster/asset_partition_range_end": str(tenant_day_key(last, tenant))}
    return defs.resolve_job_def("argo_recompute").execute_in_process(instance=instance, tags=tags,
                                                                     raise_on_error=False)


def test_a_range_run_gives_every_day_its_own_results_and_metadata(tmp_path, sample_world):
    registry, days = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        for day in days:  # per-day reference results
            assert run_day(defs, instance, day, "acme").success
        per_day = {day: latest_metadata(instance, AR_KEYS["endpoint_group_ar"], day, "acme") for day in days}
        docs = {day: group_docs(tmp_path, "acme", day) for day in days}

        result = run_range(defs, instance, days[0], days[-1], "acme")
        assert result.success
        assert all(check_results(result).values())
        materialized = [e.partition for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
                        and e.asset_key == AR_KEYS["endpoint_group_ar"]]
        assert sorted(materialized) == sorted(str(tenant_day_key(d, "acme")) for d in days)
        for day in days:
            again = latest_metadata(instance, AR_KEYS["endpoint_group_ar"], day, "acme")
            assert again["mean_availability"] == per_day[day]["mean_availability"]
            assert again["previous_day_fingerprint"] == per_day[day]["previous_day_fingerprint"]
            assert again["availability_by_group"] == per_day[day]["availability_by_group"]
            assert group_docs(tmp_path, "acme", day) == docs[day]  # upserted, not duplicated
        # the days really differ, so a shared metadata block would have been caught
        assert len({repr(m["availability_by_group"]) for m in per_day.values()}) == len(days)


def test_a_range_run_stops_on_a_day_without_inputs_and_names_it(tmp_path, sample_world):
    registry, days = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        assert run_day(defs, instance, days[0], "acme").success  # only the first day has metric data
        result = run_range(defs, instance, days[0], days[-1], "acme")
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert f"acme {days[1]}" in str(failure.event_specific_data.error.message)


def test_backfill_policy_names():
    assert backfill_policy("single_run").max_partitions_per_run is None
    assert backfill_policy("per_partition").max_partitions_per_run == 1
    with pytest.raises(ValueError, match="single_run or per_partition"):
        backfill_policy("weekly")
