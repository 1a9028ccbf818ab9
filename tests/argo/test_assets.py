"""The ARGO graph through Dagster on file sources: a three-day backfill, re-runs, checks, bad input."""

import json
from datetime import timedelta

import dagster as dg
import pyarrow as pa
import pandas as pd
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.argo.partitions import tenant_day_key
from resources.argo_connectors import snapshot_path
from resources.compute import LocalEngine
from resources.results_store import LocalResultsStore
from resources.storage import LakeResource
from tests.platform import use_reference_results, check_results, local_resources, register_tenants, run_day


@pytest.fixture
def platform(tmp_path, sample_world):
    registry, days = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        yield build_definitions(local_resources(tmp_path, registry)), instance, days, tmp_path


def group_docs(tmp_path, tenant, day):
    return LocalResultsStore(str(tmp_path / "results")).read_day(tenant, "endpoint_group_ar",
                                                                  "critical-" + tenant, day)


def test_three_day_backfill_materializes_everything_and_checks_pass(platform):
    defs, instance, days, tmp_path = platform
    for day in days:
        for tenant in ("acme", "globex"):
            result = run_day(defs, instance, day, tenant)
            assert result.success
            assert all(check_results(result).values()), check_results(result)
    lake = LakeResource(root=str(tmp_path / "lake"))
    for tenant, sites in (("acme", 5), ("globex", 4)):
        for day in days:
            docs = group_docs(tmp_path, tenant, day)
            assert len(docs) == sites
            assert all(-1 <= d["availability"] <= 100 for d in docs)
            assert lake.exists(f"argo/endpoint_ar/{tenant}/{day.isoformat()}.parquet")
    # status_metrics is dictionary-encoded in memory, plain text in the lake (every day alike)
    metrics = lake.read_table(f"argo/status_metrics/acme/{days[-1].isoformat()}.parquet")
    assert metrics.num_rows > 0 and metrics.schema.field("service").type == pa.string()
    meta = instance.get_latest_materialization_event(dg.AssetKey(["argo", "endpoint_group_ar"])).asset_materialization
    assert meta.metadata["previous_day_used"].value is True
    assert meta.metadata["mean_availability"].value > 0


def test_rerunning_a_partition_gives_the_same_results_without_duplicates(platform):
    defs, instance, days, tmp_path = platform
    day = days[0]
    assert run_day(defs, instance, day, "acme").success
    first = group_docs(tmp_path, "acme", day)
    lake = LakeResource(root=str(tmp_path / "lake"))
    key = f"argo/metric_data/acme/{day.isoformat()}.parquet"
    first_bytes = lake.read_bytes(key)
    result = run_day(defs, instance, day, "acme")
    assert result.success
    assert group_docs(tmp_path, "acme", day) == first
    assert lake.read_bytes(key) == first_bytes
    # the second run compared itself with the first one: no discrepancy
    assert check_results(result)["argo/endpoint_group_ar:discrepancy"] is True


def test_bad_metric_records_are_quarantined_and_counted(platform):
    defs, instance, days, tmp_path = platform
    day = days[0]
    folder = tmp_path / "sources" / "acme" / "mdata" / day.isoformat()
    (folder / "part-9999.jsonl").write_text('{"broken\n{"timestamp": "1999-01-01T00:00:00Z", "service": "S", '
                                            '"hostname": "h", "metric": "m", "status": "OK"}\n')
    result = run_day(defs, instance, day, "acme")
    assert result.success
    quarantine = instance.get_latest_materialization_event(dg.AssetKey(["argo", "metric_data_quarantine"]))
    assert quarantine.asset_materialization.metadata["records"].value == 2
    table = LakeResource(root=str(tmp_path / "lake")).read_table(f"argo/metric_data_quarantine/acme/{day}.parquet")
    assert any("outside the day window" in r for r in table.column("reason").to_pylist())


def test_missing_connector_data_fails_naming_what_was_tried(platform):
    defs, instance, days, tmp_path = platform
    day = days[1]
    for d in (day, day - timedelta(days=1)):
        snapshot_path(tmp_path / "sources", "acme", "Critical", "downtimes", d).unlink()
    result = run_day(defs, instance, day, "acme")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "downtimes" in message and "'acme'" in message and day.isoformat() in message


def materialized_keys(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}


def test_one_unfetchable_kind_leaves_the_others_materialized_and_names_every_failure(platform):
    """The kinds are fetched by one step: a kind that fails does not stop the others, and the
    step's failure names each kind that failed; a missing snapshot is not retried."""
    defs, instance, days, tmp_path = platform
    day = days[1]
    for kind in ("downtimes", "topology_groups"):
        for d in (day - timedelta(days=n) for n in range(4)):
            snapshot_path(tmp_path / "sources", "acme", "Critical", kind, d).unlink(missing_ok=True)
    result = run_day(defs, instance, day, "acme")
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1  # no retries: a missing snapshot will not appear by retrying
    message = failures[0].event_specific_data.error.message
    assert "no downtimes snapshot" in message and "no topology_groups snapshot" in message
    done = materialized_keys(result)
    assert {"argo/weights", "argo/metric_profile", "argo/topology_endpoints"} <= done
    assert not {"argo/downtimes", "argo/topology_groups", "argo/endpoint_ar"} & done


def test_source_errors_and_faults_are_told_after_every_kind_and_retried(platform, monkeypatch):
    """A snapshot file that cannot be read is a source error naming the kind and the file; a
    fault (here a KeyError) is raised as it is, once every other kind is fetched, with the
    source errors in the log; the step is retried (RetryPolicy: twice)."""
    import platform_assets.argo.assets_connectors as connectors

    defs, instance, days, tmp_path = platform
    day = days[1]
    snapshot_path(tmp_path / "sources", "acme", "Critical", "weights", day).write_bytes(b"\xff\xfe not UTF-8")
    fetch_day = connectors._fetch_day

    def faulty(context, kind, *args):
        if kind.name == "downtimes":
            raise KeyError("a fault of Weir's")
        return fetch_day(context, kind, *args)

    monkeypatch.setattr(connectors, "_fetch_day", faulty)
    job = defs.resolve_job_def("argo_daily")
    kinds = ["weights", "downtimes", "topology_groups"]
    result = job.execute_in_process(
        partition_key=str(tenant_day_key(day, "acme")), instance=instance, raise_on_error=False,
        asset_selection=[dg.AssetKey(["argo", k]) for k in kinds])
    assert not result.success
    assert len([e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]) == 2
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "KeyError" in str(failure.event_specific_data.error)
    told = [r.user_message for r in instance.all_logs(result.run_id) if "not fetched" in (r.user_message or "")]
    assert told and "weights: weights snapshot" in told[0] and "cannot be read" in told[0]
    assert "downtimes: KeyError" in told[0]
    assert "argo/topology_groups" in materialized_keys(result)


def test_a_run_may_select_one_kind(platform):
    defs, instance, days, _ = platform
    job = defs.resolve_job_def("argo_daily")
    result = job.execute_in_process(
        partition_key=str(tenant_day_key(days[0], "acme")), instance=instance,
        asset_selection=[dg.AssetKey(["argo", "weights"])])
    assert result.success and materialized_keys(result) == {"argo/weights"}
    event = instance.get_latest_materialization_event(dg.AssetKey(["argo", "weights"]))
    assert event.asset_materialization.metadata["date_used"].value == {"Critical": days[0].isoformat()}


def test_fallback_snapshot_is_used_and_reported(platform):
    defs, instance, days, tmp_path = platform
    day = days[1]
    snapshot_path(tmp_path / "sources", "acme", "Critical", "weights", day).unlink()
    assert run_day(defs, instance, day, "acme").success
    event = instance.get_latest_materialization_event(dg.AssetKey(["argo", "weights"]))
    assert event.asset_materialization.metadata["date_used"].value == {"Critical": (day - timedelta(days=1)).isoformat()}


def test_unknown_tenant_partition_is_refused(platform):
    defs, instance, days, _ = platform
    instance.add_dynamic_partitions("tenants", ["initech"])
    result = run_day(defs, instance, days[0], "initech")
    assert not result.success
    errors = [e.event_specific_data.error.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert errors and all("unknown tenant 'initech'" in m for m in errors)


class InsaneEngine(LocalEngine):
    """Returns out-of-range availabilities, as a broken engine would."""

    def run(self, kernel, *args):
        result = super().run(kernel, *args)
        result.endpoint_group_ar["availability"] = 250.0
        return result


def test_failed_sanity_blocks_the_results_store_write(tmp_path, sample_world):
    registry, days = sample_world
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry, engine=InsaneEngine()))
        result = run_day(defs, instance, days[0], "acme")
        assert check_results(result)["argo/endpoint_group_ar:sanity"] is False
        assert group_docs(tmp_path, "acme", days[0]) == []


def test_discrepancy_against_a_reference_beyond_threshold(tmp_path, sample_world):
    registry, days = sample_world
    use_reference_results(registry, tmp_path / "reference")
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry))
        day = days[0]
        assert run_day(defs, instance, day, "acme").success
        reference = group_docs(tmp_path, "acme", day)
        reference[0] = dict(reference[0], availability=reference[0]["availability"] - 0.6)
        reference[1] = dict(reference[1], availability=reference[1]["availability"] - 0.4)
        (tmp_path / "reference").mkdir()
        (tmp_path / "reference" / f"{day.isoformat()}.json").write_text(json.dumps(reference))
        result = run_day(defs, instance, day, "acme")
        assert check_results(result)["argo/endpoint_group_ar:discrepancy"] is False
        evaluation = next(e.event_specific_data for e in result.all_events
                          if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == "discrepancy")
        offending = evaluation.metadata["offending_groups"].value
        assert [g["name"] for g in offending] == [reference[0]["name"]]
        # a looser threshold passes
        loose = {"ops": {"argo_ar": {"config": {"discrepancy_threshold": 1.0}}}}
        assert check_results(run_day(defs, instance, day, "acme", run_config=loose))["argo/endpoint_group_ar:discrepancy"]


def test_volume_check_warns_when_a_day_is_thin(platform):
    defs, instance, days, tmp_path = platform
    for day in days[:2]:
        assert run_day(defs, instance, day, "acme").success
    part = tmp_path / "sources" / "acme" / "mdata" / days[2].isoformat() / "part-0000.jsonl"
    lines = part.read_text().splitlines()
    part.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # half the usual records
    result = run_day(defs, instance, days[2], "acme")
    assert result.success  # a warning, not a failure
    evaluation = next(e.event_specific_data for e in result.all_events
                      if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == "volume")
    assert evaluation.passed is False and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert 0.45 < evaluation.metadata["ratio"].value < 0.55


def test_endpoint_documents_carry_info_from_topology(platform):
    defs, instance, days, tmp_path = platform
    assert run_day(defs, instance, days[0], "acme").success
    docs = LocalResultsStore(str(tmp_path / "results")).read_day("acme", "endpoint_ar", "critical-acme", days[0])
    assert docs and all(d["info"]["URL"] == f"https://{d['name']}/" for d in docs)


def test_whole_graph_on_an_s3_lake(tmp_path, sample_world, s3_endpoint):
    import boto3
    from dagster_aws.s3 import S3Resource

    registry, days = sample_world
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="x",
                 aws_secret_access_key="x").create_bucket(Bucket="weir-graph")
    s3 = S3Resource(endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    lake = LakeResource(root="s3://weir-graph/lake", s3=s3)
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        defs = build_definitions(local_resources(tmp_path, registry, lake=lake))
        for day in days[:2]:
            assert run_day(defs, instance, day, "globex").success
    assert lake.read_table(f"argo/endpoint_group_ar/globex/{days[1]}.parquet").num_rows == 4
    assert not (tmp_path / "lake").exists()


def test_status_timelines_are_written_beside_ar_and_never_doubled(platform):
    defs, instance, days, tmp_path = platform
    store = LocalResultsStore(str(tmp_path / "results"))
    day = days[0]
    assert run_day(defs, instance, day, "acme").success
    first = {level: store.read_day("acme", level, "critical-acme", day)
             for level in ("status_endpoints", "status_services", "status_endpoint_groups")}
    metrics = store.read_day("acme", "status_metrics", "critical-acme", day)
    records = LakeResource(root=str(tmp_path / "lake")).read_table(
        f"argo/metric_data/acme/{day.isoformat()}.parquet").num_rows
    assert records <= len(metrics)  # each record once per group of its endpoint, plus missing series
    assert all(d["previous_state"] and d["date_integer"] == int(day.strftime("%Y%m%d")) and d["tags"] == []
               for d in metrics)
    assert not any(isinstance(v, float) and v != v for d in metrics for v in d.values())  # null, never NaN
    endpoints = {(d["supergroup"], d["service"], d["name"])  # each endpoint with A/R has a timeline
                 for d in store.read_day("acme", "endpoint_ar", "critical-acme", day)}
    assert {(d["endpoint_group"], d["service"], d["host"]) for d in first["status_endpoints"]} == endpoints
    for level, docs in first.items():
        assert docs and all(d["date_integer"] == int(day.strftime("%Y%m%d")) for d in docs)
        assert {d["status"] for d in docs} <= {"OK", "WARNING", "CRITICAL", "UNKNOWN", "MISSING", "DOWNTIME"}
        starts = {d["timestamp"] for d in docs if d["timestamp"].endswith("T00:00:00Z")}
        assert starts == {f"{day.isoformat()}T00:00:00Z"}  # every timeline starts at midnight
        assert all(d["timestamp"].startswith(day.isoformat()) for d in docs)
    assert all(d["info"]["URL"] == f"https://{d['host']}/" for d in first["status_endpoints"])
    assert run_day(defs, instance, day, "acme").success  # upsert again: the same documents, once
    assert len(store.read_day("acme", "status_metrics", "critical-acme", day)) == len(metrics)
    for level, docs in first.items():
        again = store.read_day("acme", level, "critical-acme", day)
        assert sorted(map(json.dumps, again)) == sorted(map(json.dumps, docs))
    meta = instance.get_latest_materialization_event(dg.AssetKey(["argo", "status_endpoints"])).asset_materialization
    assert meta.metadata["dagster/row_count"].value == len(first["status_endpoints"])


def test_applied_status_changes_are_counted_in_the_kernel_stats(platform):
    defs, instance, days, tmp_path = platform
    day = days[0]
    path = snapshot_path(tmp_path / "sources", "acme", "Critical", "recomputations", day)
    path.write_text(json.dumps([{"id": "r1", "start_time": f"{day}T01:00:00Z", "end_time": f"{day}T02:00:00Z",
                                 "exclude": [], "applied_status_changes": [{"hostname": "h", "state": "OK"}]}]))
    result = run_day(defs, instance, day, "acme")
    assert result.success
    meta = instance.get_latest_materialization_event(dg.AssetKey(["argo", "endpoint_group_ar"])).asset_materialization
    assert meta.metadata["kernel_stats"].value["Critical"]["recomputation_status_changes"] == 1


def test_a_report_config_naming_a_profile_the_snapshot_lacks_fails_naming_all(platform):
    """Tenant, report, day, kind and field in the step's failure, and nothing written."""
    defs, instance, days, tmp_path = platform
    day = days[0]
    path = snapshot_path(tmp_path / "sources", "acme", "Critical", "report_config", day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"status": {"code": "200"}, "data": [{
        "id": "critical-acme", "info": {"name": "Critical"},
        "topology_schema": {"group": {"type": "NGI", "group": {"type": "SITES"}}},
        "profiles": [{"id": "no-such-profile", "type": "metric"}, {"id": "a", "type": "aggregation"},
                     {"id": "o", "type": "operations"}]}]}))
    profile = snapshot_path(tmp_path / "sources", "acme", "Critical", "metric_profile", day)
    profile.write_text(json.dumps({**json.loads(profile.read_text()), "id": "the-real-profile"}))
    result = run_day(defs, instance, day, "acme")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert all(part in message for part in ("'acme'", "'Critical'", day.isoformat(), "metric_profile",
                                            "profiles[].id", "no-such-profile")), message
    assert group_docs(tmp_path, "acme", day) == []
