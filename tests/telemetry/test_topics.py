"""Which topics the routed streams go to: the original pipeline's names, a deployment's overrides,
and the records kept before topics followed those names still counting (nothing produced twice)."""

import uuid

import pyarrow as pa
import pytest

from platform_assets.telemetry import assets_produced
from platform_assets.telemetry.settings import TelemetrySettings
from platform_assets.telemetry.topics import DEFAULT_ROUTES, TopicsError, topic_routes
from resources.kafka import KafkaResource
from resources.storage import LakeResource


@pytest.mark.fast
def test_the_defaults_are_the_original_topic_names():
    names = {stream: [r.name("prod") for r in routes] for stream, routes in DEFAULT_ROUTES.items()}
    assert names["raw_events"] == ["prod.telemetry.raw"]
    assert names["routed_events"] == ["prod.telemetry.unique", "prod.telemetry.cb.audit"]
    assert names["denorm_events"] == ["prod.telemetry.denorm", "prod.druid.events.telemetry"]
    assert "workflow_summary" not in names  # not the original's ME_WORKFLOW_SUMMARY: not published as it
    assert names["druid_log_events"] == ["prod.druid.events.log"]
    assert names["druid_error_events"] == ["prod.telemetry.error"]
    assert names["audit_events"] == ["prod.telemetry.audit"]
    unique, cb_audit = DEFAULT_ROUTES["routed_events"]
    assert unique.takes("SHARE") and unique.takes("AUDIT") and not unique.takes("SHARE_ITEM")
    assert not unique.takes("CB_AUDIT") and cb_audit.takes("CB_AUDIT") and not cb_audit.takes("INTERACT")
    assert not DEFAULT_ROUTES["raw_events"][0].takes("LOG")


@pytest.mark.fast
def test_a_deployment_renames_topics_and_bad_maps_are_refused_with_the_reason():
    routes = topic_routes('{"routed_events": ["{env}.events.main", {"topic": "x.cb", "only_eids": ["CB_AUDIT"]}]}')
    assert [r.name("qa") for r in routes["routed_events"]] == ["qa.events.main", "x.cb"]
    assert routes["raw_events"] == DEFAULT_ROUTES["raw_events"]  # streams not named keep the defaults
    for bad, reason in (("[1]", "must map"), ('{"nope": []}', "unknown stream"), ("{", "not JSON"),
                        ('{"raw_events": [{"topic": "a", "colour": 1}]}', "unknown keys"),
                        ('{"raw_events": [{"topic": "a", "skip_eids": "LOG"}]}', "list of eids")):
        with pytest.raises(TopicsError, match=reason):
            topic_routes(bad)
    settings = TelemetrySettings(env="qa", topics='{"raw_events": ["{env}.bad topic"]}')
    assert any("not a Kafka topic name" in p for p in settings.problems())
    assert any("not JSON" in p for p in TelemetrySettings(env="qa", topics="{").problems())
    shared = TelemetrySettings(env="qa", topics='{"audit_events": ["{env}.telemetry.raw"]}')
    assert any("also raw_events's: one stream per topic" in p for p in shared.problems())


def test_a_record_kept_per_stream_before_the_topic_map_still_counts(tmp_path, kafka_bootstrap):
    """A deployment that produced routed_events to {env}.telemetry.unique under the old record
    (produced/routed_events/<hour>) re-runs the hour: the events already sent are not sent again."""
    env = f"t{uuid.uuid4().hex[:8]}"
    kafka = KafkaResource(bootstrap_servers=kafka_bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
    lake = LakeResource(root=str(tmp_path / "lake"))
    for route in DEFAULT_ROUTES["routed_events"]:
        kafka.create_topic(route.name(env))
    hour = "2026-11-23-02:00"
    lake.write_table("telemetry/produced/routed_events/2026-11-23-02:00.parquet", pa.table({"mid": ["a", "b"]}))
    table = pa.table({"mid": ["a", "b", "c", "d"], "eid": ["INTERACT", "SHARE", "CB_AUDIT", "START"],
                      "event": ['{"mid":"a"}', '{"mid":"b"}', '{"mid":"c"}', '{"mid":"d"}']})
    sent = assets_produced.produce_stream(kafka, lake, "routed_events", hour, env, DEFAULT_ROUTES["routed_events"],
                                          table)
    assert sent == {f"{env}.telemetry.unique": 1, f"{env}.telemetry.cb.audit": 1}
    again = assets_produced.produce_stream(kafka, lake, "routed_events", hour, env, DEFAULT_ROUTES["routed_events"],
                                           table)
    assert again == {f"{env}.telemetry.unique": 0, f"{env}.telemetry.cb.audit": 0}
    on_unique = kafka.drain(f"{env}.telemetry.unique", f"check-{env}").messages
    assert sorted(m.key.decode() for m in on_unique) == ["d"]  # a, b were sent before the topic map



def test_rows_without_a_mid_are_produced_once_too(tmp_path, kafka_bootstrap):
    """A raw event without a mid (it will fail validation) reaches the raw topic once however often
    its hour re-runs: known by its text's hash."""
    env = f"t{uuid.uuid4().hex[:8]}"
    kafka = KafkaResource(bootstrap_servers=kafka_bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
    lake = LakeResource(root=str(tmp_path / "lake"))
    kafka.create_topic(f"{env}.telemetry.raw")
    table = pa.table({"mid": ["a", None, None], "eid": ["START", "START", None],
                      "event": ['{"mid":"a"}', '{"eid":"START"}', '{"oops":1}']})
    for expected in (3, 0):
        sent = assets_produced.produce_stream(kafka, lake, "raw_events", "2026-11-23-02:00", env,
                                              DEFAULT_ROUTES["raw_events"], table)
        assert sent == {f"{env}.telemetry.raw": expected}
    assert len(kafka.drain(f"{env}.telemetry.raw", f"check-{env}").messages) == 3
