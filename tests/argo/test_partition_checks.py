"""Checks judged per tenant-day: a range run reports each day's result against its own partition, a
failed run leaves the other partitions' results alone, an empty day warns with the reason, and one
A/R asset (or only its checks) can be selected on its own."""

import json
import shutil

import dagster as dg

from platform_assets.argo.assets_ar import AR_KEYS, STATUS_KEYS
from platform_assets.argo.assets_metric_data import METRIC_DATA
from platform_assets.argo.partitions import tenant_day_key
from platform_assets.definitions import build_definitions
from resources.results_store import LocalResultsStore
from tests.argo.test_ar_range import run_range
from tests.argo.test_assets import group_docs
from tests.platform import use_reference_results, local_resources, register_tenants, run_day

DISCREPANCY = dg.AssetCheckKey(AR_KEYS["endpoint_group_ar"], "discrepancy")
SANITY = dg.AssetCheckKey(AR_KEYS["endpoint_group_ar"], "sanity")
VOLUME = dg.AssetCheckKey(METRIC_DATA, "volume")


def statuses(instance: dg.DagsterInstance, key: dg.AssetCheckKey) -> dict[str, str]:
    """Partition -> the check's status on it as Dagster (and its UI) reckons it: a result counts only
    while it judges the partition's latest materialization."""
    from dagster._core.definitions.partitions.context import partition_loading_context
    from dagster._core.storage.asset_check_state import AssetCheckState, bulk_update_asset_check_state

    partitions = build_definitions().resolve_asset_graph().get(key.asset_key).partitions_def
    with partition_loading_context(dynamic_partitions_store=instance):
        state = bulk_update_asset_check_state(instance, [(key, partitions)], {key: AssetCheckState.empty()})[key]
        return {partition: status.value for status, subset in state.subsets.items()
            for partition in subset.subset_value.get_partition_keys()}


def test_a_range_run_judges_each_day_and_one_bad_day_leaves_the_others_green(tmp_path, sample_world):
    registry, days = sample_world
    use_reference_results(registry, tmp_path / "reference")
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        for day in days:
            assert run_day(defs, instance, day, "acme").success
        # the old system's figures differ on the middle day only
        (tmp_path / "reference").mkdir()
        for day in days:
            reference = group_docs(tmp_path, "acme", day)
            if day == days[1]:
                reference[0] = dict(reference[0], availability=reference[0]["availability"] - 5)
            (tmp_path / "reference" / f"{day.isoformat()}.json").write_text(json.dumps(reference))

        result = run_range(defs, instance, days[0], days[-1], "acme")
        assert result.success  # discrepancy is not blocking
        keys = [str(tenant_day_key(day, "acme")) for day in days]
        evaluations = [e.event_specific_data for e in result.all_events
                       if e.event_type_value == "ASSET_CHECK_EVALUATION"
                       and e.event_specific_data.asset_check_key == DISCREPANCY]
        assert sorted(e.partition for e in evaluations) == sorted(keys)
        assert statuses(instance, DISCREPANCY) == {keys[0]: "SUCCEEDED", keys[1]: "FAILED",
                                                   keys[2]: "SUCCEEDED"}
        failed = next(e for e in evaluations if not e.passed)
        assert failed.metadata["groups_over_threshold"].value == 1
        assert set(statuses(instance, SANITY).values()) == {"SUCCEEDED"}


def test_a_failed_run_leaves_the_partitions_that_passed_green(tmp_path, sample_world):
    registry, days = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        for day in days[:2]:
            assert run_day(defs, instance, day, "acme").success
        # the third day's metric data was never built: its A/R run fails
        failed = run_day(defs, instance, days[2], "acme", job="argo_recompute")
        assert not failed.success
        keys = [str(tenant_day_key(day, "acme")) for day in days]
        seen = statuses(instance, SANITY)
        assert seen[keys[0]] == seen[keys[1]] == "SUCCEEDED"
        assert seen.get(keys[2]) != "SUCCEEDED"


def test_a_day_without_input_is_a_failed_volume_check_with_its_reason(tmp_path, sample_world):
    registry, days = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        shutil.rmtree(tmp_path / "sources" / "acme" / "mdata" / days[0].isoformat())
        result = run_day(defs, instance, days[0], "acme")
        volume = next(e.event_specific_data for e in result.all_events
                      if e.event_type_value == "ASSET_CHECK_EVALUATION"
                      and e.event_specific_data.asset_check_key == VOLUME)
        assert volume.passed is False and volume.severity == dg.AssetCheckSeverity.WARN
        assert "no input for the day" in volume.metadata["reason"].value
        assert statuses(instance, VOLUME) == {str(tenant_day_key(days[0], "acme")): "FAILED"}


def test_one_ar_asset_selected_alone_writes_only_itself(tmp_path, sample_world):
    registry, days = sample_world
    store = LocalResultsStore(str(tmp_path / "results"))
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        day = days[0]
        assert run_day(defs, instance, day, "acme", job="argo_daily").success
        for level in ("endpoint_ar", "endpoint_group_ar", *STATUS_KEYS):
            shutil.rmtree(tmp_path / "results" / "argo_acme" / level, ignore_errors=True)
        partition = str(tenant_day_key(day, "acme"))
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=instance, partition_key=partition,
                                        asset_selection=[AR_KEYS["endpoint_group_ar"]])
        assert result.success
        materialized = {e.asset_key for e in result.all_events
                        if e.event_type_value == "ASSET_MATERIALIZATION"}
        assert materialized == {AR_KEYS["endpoint_group_ar"]}
        checks = {e.event_specific_data.asset_check_key for e in result.all_events
                  if e.event_type_value == "ASSET_CHECK_EVALUATION"}
        assert checks == {SANITY, DISCREPANCY}
        assert group_docs(tmp_path, "acme", day)
        assert not store.read_day("acme", "endpoint_ar", "critical-acme", day)

        # only a check: judged on a fresh computation, nothing written
        shutil.rmtree(tmp_path / "results" / "argo_acme" / "endpoint_group_ar")
        checks_only = defs.resolve_job_def("argo_recompute").get_subset(
            asset_selection=set(), asset_check_selection={SANITY})
        only_check = checks_only.execute_in_process(instance=instance, partition_key=partition)
        assert only_check.success
        assert [e.event_specific_data.asset_check_key for e in only_check.all_events
                if e.event_type_value == "ASSET_CHECK_EVALUATION"] == [SANITY]
        assert not [e for e in only_check.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
        assert not group_docs(tmp_path, "acme", day)


def test_a_subset_run_fails_when_an_unselected_level_fails_sanity(tmp_path, sample_world):
    """The group level is insane; a run selecting only endpoint_ar must not report it written."""
    from tests.argo.test_assets import InsaneEngine

    registry, days = sample_world
    store = LocalResultsStore(str(tmp_path / "results"))
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        sane = build_definitions(local_resources(tmp_path, registry))
        assert run_day(sane, instance, days[0], "acme").success  # metric data and snapshots
        shutil.rmtree(tmp_path / "results")
        defs = build_definitions(local_resources(tmp_path, registry, engine=InsaneEngine()))
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, partition_key=str(tenant_day_key(days[0], "acme")),
            asset_selection=[AR_KEYS["endpoint_ar"]], raise_on_error=False)
        assert not result.success
        [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        assert "endpoint_group_ar of" in failure.event_specific_data.error.message
        assert not store.read_day("acme", "endpoint_ar", "critical-acme", days[0])
