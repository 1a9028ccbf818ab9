"""On the embedded default (the local inbox instead of Kafka): the hourly assets follow the landing
zone automatically, and a late batch for an earlier hour re-runs that hour's chain, and the next
hour's (whose dedup window it is in)."""

import time

import dagster as dg
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.telemetry import landing
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry.settings import Inbox, TelemetrySettings
from tests.platform import local_resources

HOUR_MS = 3_600_000
PROCESS = dg.AssetKey(["telemetry", "unique_events"])


def requested(result, key) -> set[str]:
    return set(result.get_requested_partitions(key)) if result.total_requested else set()


def test_late_batch_reruns_its_own_hour_and_the_chain_follows(tmp_path):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    settings = resources["telemetry"]
    inbox = Inbox(settings.inbox_dir, settings.topic("ingest"))
    now = int(time.time() * 1000)
    recent = (now // HOUR_MS - 1) * HOUR_MS + 600_000  # ten minutes into the previous hour
    earlier = recent - 2 * HOUR_MS
    recent_hour, earlier_hour = landing.hour_key(recent), landing.hour_key(earlier)
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)  # the daemon's earlier tick
        assert baseline.total_requested == 0
        inbox.append(0, sample_data.batches(3, 5, recent, spread_ms=1000, seed=1))
        ingest = defs.resolve_job_def("telemetry_ingest")
        assert ingest.execute_in_process(instance=instance).output_for_node("ingest_telemetry")["hours"] == [recent_hour]
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
        assert requested(first, PROCESS) == {recent_hour, landing.hour_key(recent + HOUR_MS)}  # the current hour too
        hourly = defs.resolve_job_def("telemetry_hourly")
        assert hourly.execute_in_process(partition_key=recent_hour, instance=instance).success
        settled = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert requested(settled, PROCESS) == set()  # handled: nothing new upstream
        # the day's session summary follows the hour it depends on
        assert requested(settled, dg.AssetKey(["telemetry", "workflow_summary"])) or \
            requested(first, dg.AssetKey(["telemetry", "workflow_summary"]))

        inbox.append(0, sample_data.batches(2, 5, earlier, spread_ms=1000, seed=2, msgid_prefix="late"))
        late = ingest.execute_in_process(instance=instance).output_for_node("ingest_telemetry")
        assert late["hours"] == [earlier_hour] and late["messages"] == 2  # only the new lines
        again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor)
        assert requested(again, PROCESS) == {earlier_hour, landing.hour_key(earlier + HOUR_MS)}
        assert hourly.execute_in_process(partition_key=earlier_hour, instance=instance).success
        lake = resources["lake"]
        unique = lake.read_table(landing.table_key("unique_events", earlier_hour))
        assert unique.num_rows == 10 + 2  # ten events and one audit LOG event per batch
        assert inbox.committed() == {0: 5}


def test_a_late_batch_re_runs_the_next_hour_too_so_an_id_it_brings_stays_unique_once(tmp_path):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    settings, lake = resources["telemetry"], resources["lake"]
    inbox = Inbox(settings.inbox_dir, settings.topic("ingest"))
    base = (int(time.time() * 1000) // HOUR_MS - 3) * HOUR_MS
    first_hour, next_hour = landing.hour_key(base), landing.hour_key(base + HOUR_MS)
    defs = build_definitions(resources)
    ingest, hourly = defs.resolve_job_def("telemetry_ingest"), defs.resolve_job_def("telemetry_hourly")
    with dg.instance_for_test() as instance:
        start = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        inbox.append(0, sample_data.batches(1, 5, base + HOUR_MS + 600_000, seed=4))
        assert ingest.execute_in_process(instance=instance).output_for_node("ingest_telemetry")["hours"] == [next_hour]
        assert hourly.execute_in_process(partition_key=next_hour, instance=instance).success
        settled = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=start.cursor)
        # the same events, sent earlier by another device and arriving late, in the hour before
        inbox.append(0, sample_data.batches(1, 5, base + 600_000, seed=4, msgid_prefix="late"))
        assert ingest.execute_in_process(instance=instance).output_for_node("ingest_telemetry")["hours"] == [first_hour]
        late = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor)
        assert requested(late, PROCESS) == {first_hour, next_hour}
        for hour in (first_hour, next_hour):
            assert hourly.execute_in_process(partition_key=hour, instance=instance).success
    unique = {h: lake.read_table(landing.table_key("unique_events", h)).column("eid").to_pylist() for h in (first_hour, next_hour)}
    assert len(unique[first_hour]) == 5 + 1 and unique[next_hour] == ["LOG"]  # the next hour keeps its audit event
    assert lake.read_table(landing.table_key("duplicate_events", next_hour)).num_rows == 5


def test_inbox_commit_is_what_resumes_and_a_bad_line_is_refused(tmp_path):
    inbox = Inbox(str(tmp_path / "inbox"), "dev.telemetry.ingest")
    inbox.append(1, [b'{"a": 1}', b'{"a": 2}', b'{"a": 3}'])
    first = inbox.next_batch(max_messages=2)
    assert [m.offset for m in first.messages] == [0, 1] and first.ranges == {1: (0, 1)}
    assert [m.offset for m in inbox.next_batch(10).messages] == [2]  # a reader reads on
    assert inbox.next_batch(10).messages == []
    fresh = Inbox(str(tmp_path / "inbox"), "dev.telemetry.ingest")
    assert [m.offset for m in fresh.next_batch(10).messages] == [0, 1, 2]  # nothing committed yet: replayed
    inbox.commit(first)
    assert [m.offset for m in Inbox(str(tmp_path / "inbox"), "dev.telemetry.ingest").next_batch(10).messages] == [2]
    with pytest.raises(ValueError, match="single lines"):
        inbox.append(1, [b'{"a":\n 1}'])


def test_the_inbox_keeps_each_append_time_as_kafka_keeps_a_message_time(tmp_path):
    inbox = Inbox(str(tmp_path / "inbox"), "dev.telemetry.ingest")
    inbox.append(0, [b"first", b"second"], timestamp_ms=1_000)
    (tmp_path / "inbox" / "p0.jsonl").open("ab").write(b"by hand\n")  # no time known
    inbox.append(0, [b"third"], timestamp_ms=3_000)
    read = Inbox(str(tmp_path / "inbox"), "dev.telemetry.ingest").next_batch(10).messages
    assert [(m.value, m.timestamp_ms) for m in read] == [
        (b"first", 1_000), (b"second", 1_000), (b"by hand", None), (b"third", 3_000)]
    with pytest.raises(ValueError, match="single lines"):
        inbox.append(0, [b"fine", b"two\nlines"])
    assert len(Inbox(str(tmp_path / "inbox"), "dev.telemetry.ingest").next_batch(10).messages) == 4  # none of it


def test_an_undated_message_is_filed_by_its_append_time_on_every_run(tmp_path):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    settings = resources["telemetry"]
    appended = (int(time.time() * 1000) // HOUR_MS - 5) * HOUR_MS + 60_000
    Inbox(settings.inbox_dir, settings.topic("ingest")).append(0, [b"not json", b'{"syncts": "soon"}'], timestamp_ms=appended)
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        ingest = defs.resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
    assert ingest.output_for_node("ingest_telemetry")["hours"] == [landing.hour_key(appended)]


@pytest.mark.parametrize("changes, reason", [
    ({"micro_batch_messages": 0}, "micro_batch_messages must be 1 or more, not 0"),
    ({"env": "prod; rm -rf /"}, "env 'prod; rm -rf /' cannot start a Kafka topic name"),
    ({"source": "ftp"}, "source must be 'kafka' or 'inbox', not 'ftp'"),
    ({"inbox_dir": ""}, "source 'inbox' needs inbox_dir"),
    ({"dedup_window_s": -1, "max_age_days": 0}, "dedup_window_s must be 0 or more, not -1; max_age_days must be 1"),
    ({"backup_timezone": "Mars/Olympus"}, "backup_timezone 'Mars/Olympus' differs from WEIR_TELEMETRY_BACKUP_TZ"),
])
def test_wrong_settings_fail_the_run_at_once_with_their_reason(tmp_path, changes, reason):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    inbox = resources["telemetry"]
    Inbox(inbox.inbox_dir, inbox.topic("ingest")).append(0, sample_data.batches(1, 2, int(time.time() * 1000) - HOUR_MS))
    fields = {"env": inbox.env, "source": "inbox", "inbox_dir": inbox.inbox_dir, **changes}
    resources["telemetry"] = TelemetrySettings(**fields)
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        for job, hour in (("telemetry_ingest", None), ("telemetry_hourly", "2026-11-30-10:00")):
            result = defs.resolve_job_def(job).execute_in_process(instance=instance, partition_key=hour, raise_on_error=False)
            assert not result.success and reason in str(result.all_events), job
    assert Inbox(inbox.inbox_dir, inbox.topic("ingest")).committed() == {}  # nothing taken
    assert not (tmp_path / "lake" / "telemetry" / "landing").exists()
