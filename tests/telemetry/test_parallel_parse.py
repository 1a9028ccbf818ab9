"""An hour's chunks parsed by worker processes give the tables of parsing in-process."""

import pyarrow as pa
import pytest

from platform_assets.telemetry import parallel_parse
from platform_assets.telemetry.hour_processing import HourProcessor
from platform_assets.telemetry.validation import EventValidator, shipped_validator
from tests.telemetry.test_hour_processing import NOW, messages

pytestmark = pytest.mark.fast  # no external service: make test-fast


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
