"""Secor-compatible backups: the layout and line format the original's Secor wrote, for the ingest
topic (cut from the exact backups, by offset) and the topics Weir produces (from the hour tables),
split by day in the backup timezone; re-runs leave one copy; files of the original's Secor read."""

from datetime import UTC, datetime

import dagster as dg
import orjson
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.demo import telemetry_sample as sample_data
from platform_assets.telemetry import backups, landing, secor
from platform_assets.telemetry.settings import Inbox
from tests.platform import local_resources

HOUR = "2026-11-23-18:00"  # 23:30-00:30 in Asia/Kolkata: the hour's rows fall on two backup days
HOUR_MS = int(datetime(2026, 11, 23, 18, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.fast
def test_names_and_lines_follow_secor():
    key = secor.secor_key("prod.telemetry.unique", "2026-11-23", 3, 1234)
    assert key == "secor/prod.telemetry.unique/dt=2026-11-23/1_3_00000000000000001234.gz"
    file = secor.secor_file(key, [b'{"mid":"a"}', b'{"mid":"b"}'])
    import gzip
    assert gzip.decompress(file.data) == b'{"mid":"a"}\n{"mid":"b"}\n'  # Secor's delimited text
    assert secor.read_secor(file.data) == [b'{"mid":"a"}', b'{"mid":"b"}']
    assert secor.parse_name("1_3_00000000000000001234.gz") == (3, 1234, True)
    assert secor.parse_name("2024-01-02-3-1704188400123.json.gz") == (3, 1704188400123, True)  # Sunbird's fork
    assert secor.parse_name("2024-01-02-1704188400123.json.gz") == (0, 1704188400123, True)
    assert secor.parse_name("notes.txt") is None
    with pytest.raises(ValueError, match="gzip"):
        secor.read_secor(b"not gzip")
    records = [{"partition": p, "offset": o, "value": b"v%d" % o} for p, o in ((0, 5), (0, 6), (0, 8), (1, 2))]
    cut = secor.ingest_files(records, "t", "2026-11-23", roll_bytes=1 << 20)
    assert [f.key.rsplit("/", 1)[1] for f in cut] == [  # a gap in offsets starts a new file
        "1_0_00000000000000000005.gz", "1_0_00000000000000000008.gz", "1_1_00000000000000000002.gz"]


def _run(defs, instance, job: str, partition: str) -> dg.ExecuteInProcessResult:
    result = defs.resolve_job_def(job).execute_in_process(partition_key=partition, instance=instance)
    assert result.success
    return result


def test_a_day_of_topics_in_secors_layout_once_however_often_it_runs(tmp_path):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    settings, lake, store = resources["telemetry"], resources["lake"], resources["telemetry_backups"]
    env = settings.env
    batches = sample_data.batches(6, 5, HOUR_MS + 60_000, spread_ms=3_000_000, seed=41)
    no_events = b'{"params":{"msgid":"empty-1"},"syncts":%d}' % (HOUR_MS + 120_000)
    batches.append(no_events)  # an extractor failure (no events list), backed up as it arrived
    Inbox(settings.inbox_dir, settings.topic("ingest")).append(0, batches)
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        ingest = defs.resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
        assert HOUR in ingest.output_for_node("ingest_telemetry")["hours"]
        _run(defs, instance, "telemetry_hourly", HOUR)
        first = {day: _run(defs, instance, "telemetry_secor_backups", day) for day in ("2026-11-23", "2026-11-24")}
        files = {k: store.read_bytes(k) for k in store.list(secor.PREFIX)}
        _run(defs, instance, "telemetry_secor_backups", "2026-11-23")  # again: the same files, no copies
        assert {k: store.read_bytes(k) for k in store.list(secor.PREFIX)} == files
    meta = first["2026-11-23"].asset_materializations_for_node("telemetry__secor_backups")[0].metadata
    assert meta["stale_files_removed"].value == 0

    def lines(topic: str, day: str) -> list[bytes]:
        keys = sorted(k for k in files if k.startswith(secor.day_folder(topic, day)))
        return [line for k in keys for line in secor.read_secor(files[k])]

    # the ingest topic: every consumed message once, by day of its batch's syncts, in offset order
    backed_up = backups.replay_order(store.read_bytes(k) for k in store.list(backups.PREFIX))
    for day in ("2026-11-23", "2026-11-24"):
        expected = [r["value"] for r in backed_up if backups.local_day(r["syncts"], "Asia/Kolkata") == day]
        assert lines(settings.topic("ingest"), day) == expected and expected
    assert no_events in lines(settings.topic("ingest"), "2026-11-23")

    # the produced topics: the hour's rows split between the two days by syncts, the routes' filters kept
    for stream, topic in (("raw_events", f"{env}.telemetry.raw"), ("routed_events", f"{env}.telemetry.unique"),
                          ("denorm_events", f"{env}.telemetry.denorm")):
        rows = lake.read_table(landing.table_key(stream, HOUR)).to_pylist()
        route = settings.routes(stream)[0]
        got = lines(topic, "2026-11-23") + lines(topic, "2026-11-24")
        assert sorted(got) == sorted(r["event"].encode() for r in rows if route.takes(r["eid"])), stream
        assert lines(topic, "2026-11-23") and lines(topic, "2026-11-24"), stream  # both days have some
        assert all(orjson.loads(line)["eid"] != "LOG" for line in lines(f"{env}.telemetry.raw", "2026-11-23"))
    failed = lines(f"{env}.telemetry.extractor.failed", "2026-11-23") + lines(
        f"{env}.telemetry.extractor.failed", "2026-11-24")
    assert failed == [no_events]
    assert all(k.rsplit("/", 1)[1].startswith("1_") and k.endswith(".gz") and "/dt=" in k for k in files)


def test_a_file_removed_from_the_hour_tables_goes_from_the_day_too(tmp_path):
    """A stale Secor file (e.g. from an earlier run of an hour that later produced nothing) is
    removed when its day is backed up again, so readers never see a message twice or a retracted one."""
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    settings, store = resources["telemetry"], resources["telemetry_backups"]
    Inbox(settings.inbox_dir, settings.topic("ingest")).append(0, sample_data.batches(2, 3, HOUR_MS + 60_000, seed=43))
    stale = secor.secor_key(f"{settings.env}.telemetry.raw", "2026-11-23", 0, 99)
    # a topic with nothing at all for the day now (no extractor failures): its old file goes too
    gone = secor.secor_key(f"{settings.env}.telemetry.extractor.failed", "2026-11-23", 0, 99)
    store.write_bytes(gone, secor.secor_file(gone, [b'{"old":2}']).data)
    store.write_bytes(stale, secor.secor_file(stale, [b'{"old":1}']).data)
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        defs.resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
        _run(defs, instance, "telemetry_hourly", HOUR)
        result = _run(defs, instance, "telemetry_secor_backups", "2026-11-23")
    assert not store.exists(stale) and not store.exists(gone)
    assert result.asset_materializations_for_node("telemetry__secor_backups")[0].metadata[
        "stale_files_removed"].value == 2


def test_backups_the_original_secor_wrote_replay_into_a_topic_in_order(tmp_path, kafka_bootstrap):
    """A migrating deployment's own Secor folders (upstream naming and the Sunbird fork's) replay
    through Weir's restore, line by line, into the files' partitions; a broken file is named."""
    import uuid

    from platform_assets.telemetry.restore import restore_secor
    from resources.kafka import KafkaResource
    from resources.storage import LakeResource

    store = LakeResource(root=str(tmp_path / "old-secor"))
    upstream = [(0, 7, [b'{"mid":"u1"}', b'{"mid":"u2"}']), (0, 9, [b'{"mid":"u3"}']), (1, 4, [b'{"mid":"u4"}'])]
    for partition, offset, values in upstream:
        key = f"raw_logs/prod.telemetry.unique/dt=2024-01-02/1_{partition}_{offset:020d}.gz"
        store.write_bytes(key, secor.secor_file(key, values).data)
    fork = f"unique/raw/2024-01-02-1-1704188400123.json.gz"
    store.write_bytes(fork, secor.secor_file(fork, [b'{"mid":"f1"}', b'{"mid":"f2"}']).data)
    store.write_bytes("unique/raw/2024-01-03-0-1704274800000.json.gz", b"")  # another day: not replayed
    kafka = KafkaResource(bootstrap_servers=kafka_bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
    target = f"replay-{uuid.uuid4().hex[:8]}"
    kafka.create_topic(target, partitions=2)
    assert restore_secor(store, kafka, "raw_logs/prod.telemetry.unique", ["2024-01-02"], target) == 4
    assert restore_secor(store, kafka, "unique/raw", ["2024-01-02"], target) == 2
    messages = kafka.drain(target, f"check-{target}").messages
    by_partition = {p: [m.value for m in messages if m.partition == p] for p in (0, 1)}
    assert by_partition[0] == [b'{"mid":"u1"}', b'{"mid":"u2"}', b'{"mid":"u3"}']
    assert by_partition[1] == [b'{"mid":"u4"}', b'{"mid":"f1"}', b'{"mid":"f2"}']
    store.write_bytes("unique/raw/2024-01-05-0-1.json.gz", b"truncated")
    with pytest.raises(ValueError, match="2024-01-05-0-1.json.gz: not a readable gzip file"):
        restore_secor(store, kafka, "unique/raw", ["2024-01-05"], target)


def test_the_daily_schedule_backs_up_the_day_before_in_the_backup_timezone(tmp_path):
    from zoneinfo import ZoneInfo

    defs = build_definitions(local_resources(tmp_path, tmp_path / "none.yaml"))
    schedule = defs.get_schedule_def("secor_backups_daily")
    assert schedule.execution_timezone == "Asia/Kolkata" and schedule.cron_schedule == "30 1 * * *"
    tick = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 24, 1, 30, tzinfo=ZoneInfo("Asia/Kolkata")),
        repository_def=defs.get_repository_def())
    [request] = schedule.evaluate_tick(tick).run_requests
    assert request.partition_key == "2026-11-23"
