"""An hour's chunks parsed by worker processes give the tables of parsing in-process, and hours
deduplicate in order: a step waits for the earlier hours of its window, or fails naming them."""

import threading
import time

import dagster as dg
import pyarrow as pa
import pytest

from platform_assets.definitions import build_definitions
from platform_assets.telemetry import hour_order, landing, parallel_parse, sample_data
from platform_assets.telemetry.hour_processing import HourProcessor
from platform_assets.telemetry.settings import Inbox, TelemetrySettings
from platform_assets.telemetry.validation import EventValidator, shipped_validator
from tests.platform import local_resources
from tests.telemetry.test_hour_processing import NOW, messages

HOUR_MS = 3_600_000


def tables_of(workers: int, size: int, validator=None):
    processor = HourProcessor(validator or shipped_validator(), set(), {"earlier-mid"}, NOW, "dev")
    msgs = messages()
    chunks = iter([msgs[i:i + size] for i in range(0, len(msgs), size)])
    parts = list(parallel_parse.chunk_tables(processor, chunks, workers))
    return {name: pa.concat_tables([p[name] for p in parts]) for name in parts[0]}, processor.totals


@pytest.mark.parametrize("workers", [1, 2])
def test_worker_parsing_gives_the_tables_of_in_process_parsing(workers):
    # chunks of 3 messages: the re-sent batch, the broken messages and the duplicated mids all fall
    # into chunks parsed by workers as well as by the step's own process
    serial, serial_totals = tables_of(0, 3)
    parallel, parallel_totals = tables_of(workers, 3)
    assert serial["extractor_duplicates"].num_rows == 1 and serial["duplicate_events"].num_rows > 0
    assert serial["extractor_failed"].num_rows >= 4 and serial["failed_events"].num_rows > 0
    for name, table in serial.items():
        assert parallel[name].equals(table), name
    assert parallel_totals == serial_totals


def test_a_custom_validator_or_a_single_chunk_parses_in_process(monkeypatch):
    monkeypatch.setattr(parallel_parse, "_pool", lambda workers: pytest.fail("a worker pool was started"))
    custom, _ = tables_of(2, 3, validator=EventValidator())
    one_chunk, _ = tables_of(2, 10_000)
    assert custom["raw_events"].num_rows == one_chunk["raw_events"].num_rows > 0


def write_landing(lake, hour: str, name: str) -> str:
    key = f"{landing.landing_dir(hour)}/{name}.parquet"
    with lake.staged_writes() as staged:
        staged.table(key, landing.LANDING_SCHEMA).write_table(landing.LANDING_SCHEMA.empty_table())
    return key


def record_processed(lake, hour: str, files: list[str], with_record: bool = True) -> None:
    table = hour_order.msgids_table([], files) if with_record else pa.table({"msgid": pa.array([], pa.string())})
    lake.write_table(landing.msgids_key(hour), table)


def test_unprocessed_landing_is_what_the_hours_step_has_not_read(tmp_path):
    lake = local_resources(tmp_path, tmp_path / "none.yaml")["lake"]
    hour = "2026-11-30-10:00"
    assert hour_order.unprocessed_landing(lake, hour) == []            # nothing landed
    first = write_landing(lake, hour, "p0-0-9")
    assert hour_order.unprocessed_landing(lake, hour) == [first]       # landed, never processed
    record_processed(lake, hour, [first])
    assert hour_order.unprocessed_landing(lake, hour) == []
    late = write_landing(lake, hour, "p0-10-12")
    assert hour_order.unprocessed_landing(lake, hour) == [late]        # a late batch waits for the re-run
    record_processed(lake, hour, [first], with_record=False)           # written before the record existed
    assert hour_order.unprocessed_landing(lake, hour) == []


def test_a_step_waits_for_the_earlier_hour_then_goes_on(tmp_path):
    lake = local_resources(tmp_path, tmp_path / "none.yaml")["lake"]
    earlier = "2026-11-30-10:00"
    pending = write_landing(lake, earlier, "p0-0-9")
    told = []
    with pytest.raises(hour_order.EarlierHourPending, match=r"2026-11-30-10:00.*1 landing file.*materialize 2026-11-30-10:00 first"):
        hour_order.wait_for_earlier_hours(lake, "2026-11-30-11:00", [earlier], 0, told.append)
    finish = threading.Timer(0.5, record_processed, (lake, earlier, [pending]))
    finish.start()
    started = time.monotonic()
    hour_order.wait_for_earlier_hours(lake, "2026-11-30-11:00", [earlier], 30, told.append)
    assert 0.4 < time.monotonic() - started < 10
    assert told and "waiting for hour 2026-11-30-10:00" in told[-1]


def test_hours_run_out_of_order_fail_clearly_and_in_order_dedup_across_the_boundary(tmp_path):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    inbox_source = resources["telemetry"]
    resources["telemetry"] = TelemetrySettings(env=inbox_source.env, source=inbox_source.source,
                                               inbox_dir=inbox_source.inbox_dir, order_wait_s=0)
    settings, lake = resources["telemetry"], resources["lake"]
    inbox = Inbox(settings.inbox_dir, settings.topic("ingest"))
    start = (int(time.time() * 1000) // HOUR_MS - 3) * HOUR_MS
    first_hour, second_hour = landing.hour_key(start), landing.hour_key(start + HOUR_MS)
    batches = sample_data.batches(2, 5, start + HOUR_MS - 60_000, spread_ms=1000, seed=5)
    resent = sample_data.batches(1, 5, start + HOUR_MS + 60_000, spread_ms=1000, seed=5, msgid_prefix="again")
    inbox.append(0, batches + resent)  # the second hour re-sends the first hour's first 5 events (new msgid)
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        ingest = defs.resolve_job_def("telemetry_ingest").execute_in_process(instance=instance)
        assert ingest.output_for_node("ingest_telemetry")["hours"] == [first_hour, second_hour]
        hourly = defs.resolve_job_def("telemetry_hourly")
        early = hourly.execute_in_process(partition_key=second_hour, instance=instance, raise_on_error=False)
        assert not early.success
        failure = next(e for e in early.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
        assert f"materialize {first_hour} first" in failure.event_specific_data.error.message
        assert not lake.exists(landing.table_key("unique_events", second_hour))  # nothing written
        assert hourly.execute_in_process(partition_key=first_hour, instance=instance).success
        assert hourly.execute_in_process(partition_key=second_hour, instance=instance).success
    duplicates = lake.read_table(landing.table_key("duplicate_events", second_hour))
    assert duplicates.num_rows == 5  # the re-sent events, seen in the hour before
    first_mids = set(lake.read_table(landing.table_key("unique_events", first_hour)).column("mid").to_pylist())
    assert set(duplicates.column("mid").to_pylist()) <= first_mids
