"""``job_template_run`` against the real config store and the stand-in Control Hub."""

import dagster as dg
import pytest

from platform_assets.job_templates.jobs import job_template_run
from resources.job_template_store import JobTemplateStore
from resources.streamsets import RUN_SECONDS, SIMULATE, StreamSetsResource


@pytest.fixture
def store(pg_dsn):
    store = JobTemplateStore(dsn=pg_dsn)
    store.migrate()
    store.add_template("oracle_to_s3", "oracle", "s3", "sch-tpl-1", {"BATCH": 1000, RUN_SECONDS: 0.1},
                       {"SOURCE_CONNECTION": "conn-1"})
    return store


def _run(store, instance, sets, **extra):
    config = {"user-id": "u1", "user-run-id": "run-7", "source-type": "oracle", "target-type": "s3",
              "runtime-parameters": sets, "poll-seconds": 0.05, **extra}
    return job_template_run.execute_in_process(
        run_config={"ops": {"run_job_templates": {"config": config}}}, instance=instance, raise_on_error=False,
        resources={"job_template_store": store, "streamsets": StreamSetsResource()})


def _materialization(instance, run_id):
    [record] = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    event = record.event_log_entry.dagster_event
    return event.asset_key.to_user_string(), {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}


def test_every_instance_is_recorded_with_metrics_and_a_materialization(store):
    with dg.instance_for_test() as instance:
        result = _run(store, instance, [{"TABLE": "orders"}, {"TABLE": "customers", "BATCH": 10}])
        assert result.success
        key, meta = _materialization(instance, result.run_id)
    assert key == "job_templates/oracle_to_s3"
    assert (meta["instances"], meta["succeeded"], meta["status"]) == (2, 2, "OK") and meta["input_records"] > 0
    rows = store.instances("run-7")
    assert len(rows) == 2 and all(r["successful_run"] and r["user_id"] == "u1" for r in rows)
    assert {r["pattern_name"] for r in rows} == {"oracle_to_s3"}


def test_failed_and_timed_out_instances_fail_the_run_but_are_recorded(store):
    with dg.instance_for_test() as instance:
        result = _run(store, instance, [{"TABLE": "a"}, {SIMULATE: "fail"}, {SIMULATE: "hang"}],
                      **{"max-wait-seconds": 0.5})
        assert not result.success
        _, meta = _materialization(instance, result.run_id)
    message = result.failure_data_for_node("run_job_templates").error.message
    assert "2 of 3 instance(s) failed" in message and "timed out after 0.5s" in message
    assert (meta["succeeded"], meta["failed"], meta["timed_out"], meta["status"]) == (1, 2, 1, "FAILED")
    rows = store.instances("run-7")
    assert [r["successful_run"] for r in rows] == [True, False, False]


def test_unknown_pattern_and_connection_override_are_refused_without_starting_anything(store):
    with dg.instance_for_test() as instance:
        unknown = _run(store, instance, [{"T": 1}], **{"target-type": "kafka"})
        override = _run(store, instance, [{"SOURCE_CONNECTION": "mine"}])
    assert "no job template for source-type 'oracle' and target-type 'kafka'" in \
        unknown.failure_data_for_node("run_job_templates").error.message
    assert "connections set by the administrator" in override.failure_data_for_node("run_job_templates").error.message
    assert store.instances("run-7") == []
