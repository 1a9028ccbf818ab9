"""Producing an hour's routed events to their Kafka topics once per event, however often the hour
runs.

An hour re-runs whenever a late batch lands in it (and automation re-runs the current hour after
every ingest run that adds to it). Its routed tables are rewritten whole each time, but a consumer
downstream (Druid) must not receive the events it already has again. So each (stream, hour) keeps
the mids it has produced (``telemetry/produced/<stream>/<hour>.parquet``), written after the
broker acknowledged every message; a re-run produces only rows whose mid is not there. Rows that
share a mid within one run are all produced (the record deduplicates across runs, not within a
table). A run killed between the acknowledgement and the record produces those rows again on its
re-run: at least once, never lost. An event whose content changes between runs (a dimension row
loaded later, for ``denorm_events``) is not produced again: the lake has the newer version.
"""

import pyarrow as pa

from resources.kafka import KafkaResource
from resources.storage import LakeResource

_SCHEMA = pa.schema([("mid", pa.string())])


def produced_key(stream: str, hour: str) -> str:
    return f"telemetry/produced/{stream}/{hour}.parquet"


def produce_new(
    kafka: KafkaResource, lake: LakeResource, stream: str, hour: str, topic: str, table: pa.Table
) -> int:
    """Produce the rows of ``table`` (columns ``mid``, ``event``) whose mid this (stream, hour) has
    not produced yet, keyed by mid; then record them. Returns how many were produced."""
    key = produced_key(stream, hour)
    done = set(lake.read_table(key).column("mid").to_pylist()) if lake.exists(key) else set()
    mids = table.column("mid").to_pylist()
    new = [row for row, mid in enumerate(mids) if mid not in done]
    if not new:
        return 0
    events = table.column("event").to_pylist()
    kafka.produce_all(
        topic,
        [events[row].encode() for row in new],
        keys=[(mids[row] or "").encode() for row in new],
    )
    recorded = sorted(done | {mids[row] for row in new if mids[row] is not None})
    lake.write_table(key, pa.table({"mid": recorded}, schema=_SCHEMA))
    return len(new)
