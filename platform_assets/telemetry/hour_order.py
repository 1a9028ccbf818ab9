"""Hours in order: an hour's dedup state is what the earlier hours of its window accepted.

Hour H reads the msgids and unique mids that the hours before it (within the dedup window) stored.
If H ran while one of them still had landing files it had not processed (never run, running now,
or a late batch waiting for its re-run), a batch or event re-sent across the hour boundary would be
unique in both hours, and the outputs would depend on which run finished first. So each hour's step
records which landing files it processed (in the metadata of its msgids file, which is published
after the step's other files, so a recorded file's unique events are already there), and a step first
waits until every earlier hour of its window has processed all of its landing files. Runs launched
together (automation after one ingest run, a backfill) therefore finish in hour order; a step whose
earlier hour nobody runs fails after ``timeout_s`` with a message naming that hour, before writing.

A late batch re-runs its own hour only: later hours are not re-run (a duplicate of that late batch
already accepted by the next hour stays there), as a stream deduplicator would behave.
"""

import json
import time
from typing import Callable

import pyarrow as pa

from platform_assets.telemetry import landing
from resources.storage import LakeResource

PROCESSED_FILES = b"weir.landing_files"
POLL_S = 1.0


def msgids_table(msgids: list[str], landing_files: list[str]) -> pa.Table:
    """The hour's accepted msgids, with the landing files they came from in the schema metadata."""
    schema = pa.schema([("msgid", pa.string())], metadata={PROCESSED_FILES: json.dumps(sorted(landing_files))})
    return pa.table({"msgid": pa.array(msgids, pa.string())}, schema=schema)


def unprocessed_landing(lake: LakeResource, hour: str) -> list[str]:
    """Landing files of ``hour`` that its step has not processed (all of them when it never ran)."""
    files = lake.list(landing.landing_dir(hour))
    if not files:
        return []
    if not lake.exists(landing.msgids_key(hour)):
        return files
    metadata = lake.parquet_file(landing.msgids_key(hour)).schema_arrow.metadata or {}
    if PROCESSED_FILES not in metadata:  # written before the record existed: its run saw a complete hour
        return []
    processed = set(json.loads(metadata[PROCESSED_FILES]))
    return [f for f in files if f not in processed]


class EarlierHourPending(Exception):
    """An earlier hour of the dedup window still has landing files to process."""


def wait_for_earlier_hours(lake: LakeResource, hour: str, earlier: list[str], timeout_s: float,
                           log: Callable[[str], None]) -> None:
    """Return once every hour in ``earlier`` has processed all its landing files; raise
    ``EarlierHourPending`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    told: set[str] = set()
    for earlier_hour in earlier:
        while pending := unprocessed_landing(lake, earlier_hour):
            if time.monotonic() >= deadline:
                raise EarlierHourPending(
                    f"hour {hour} deduplicates against hour {earlier_hour}, which has {len(pending)} landing "
                    f"file(s) not processed yet (e.g. {pending[0]}); materialize {earlier_hour} first "
                    f"(automation and backfills run the hours in order; waited {timeout_s:.0f} s)")
            if earlier_hour not in told:
                told.add(earlier_hour)
                log(f"waiting for hour {earlier_hour} ({len(pending)} landing file(s) to process) before "
                    f"deduplicating {hour} against it")
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
