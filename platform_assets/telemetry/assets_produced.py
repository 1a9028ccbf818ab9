"""Producing an hour's routed streams to their Kafka topics (``topics.py``) once per event, however
often the hour runs.

An hour re-runs whenever a late batch lands in it (and automation re-runs the current hour after
every ingest run that adds to it). Its routed tables are rewritten whole each time, but a consumer
downstream (Druid) must not receive the events it already has again. So each (topic, hour) keeps
the mids it has produced (``telemetry/produced/<topic>/<hour>.parquet``), written after the
broker acknowledged every message; a re-run produces only rows whose mid is not there. (Records
kept per stream before topics followed the original names still count for the topic that stream
went to then: ``topics.LEGACY_TOPICS``.) Rows that
share a mid within one run are all produced (the record deduplicates across runs, not within a
table). A run killed between the acknowledgement and the record produces those rows again on its
re-run: at least once, never lost. An event whose content changes between runs (a dimension row
loaded later, for ``denorm_events``) is not produced again: the lake has the newer version.
"""

import hashlib

import pyarrow as pa

from platform_assets.telemetry.topics import LEGACY_TOPICS, TopicRoute
from resources.kafka import KafkaResource
from resources.storage import LakeResource

_SCHEMA = pa.schema([("mid", pa.string())])


def produced_key(topic: str, hour: str) -> str:
    return f"telemetry/produced/{topic}/{hour}.parquet"


def _text_id(event: str) -> str:
    return "sha256:" + hashlib.sha256(event.encode()).hexdigest()


def _done(lake: LakeResource, keys: list[str]) -> set[str]:
    done: set[str] = set()
    for key in keys:
        if lake.exists(key):
            done |= set(lake.read_table(key).column("mid").to_pylist())
    return done


def produce_new(
    kafka: KafkaResource,
    lake: LakeResource,
    hour: str,
    topic: str,
    table: pa.Table,
    legacy_record: str | None = None,
) -> int:
    """Produce the rows of ``table`` (columns ``mid``, ``event``) whose mid this (topic, hour) has
    not produced yet, keyed by mid; then record them. Returns how many were produced.
    ``legacy_record``: the stream whose pre-topic-map record also lists mids this topic has."""
    key = produced_key(topic, hour)
    done = _done(lake, [key] + ([produced_key(legacy_record, hour)] if legacy_record else []))
    mids = table.column("mid").to_pylist()
    events = table.column("event").to_pylist()
    # a row without a mid (a raw event that will fail validation) is known by its text's hash
    ids = [
        mid if mid is not None else _text_id(event) for mid, event in zip(mids, events, strict=True)
    ]
    new = [row for row, identity in enumerate(ids) if identity not in done]
    if not new:
        return 0
    kafka.produce_all(
        topic,
        [events[row].encode() for row in new],
        keys=[(mids[row] or "").encode() for row in new],
    )
    recorded = sorted(done | {ids[row] for row in new})
    lake.write_table(key, pa.table({"mid": recorded}, schema=_SCHEMA))
    return len(new)


def produce_stream(
    kafka: KafkaResource,
    lake: LakeResource,
    stream: str,
    hour: str,
    env: str,
    routes: tuple[TopicRoute, ...],
    table: pa.Table,
) -> dict[str, int]:
    """Each route's rows of ``table`` (``mid``, ``eid``, ``event``) to its topic, once per event:
    topic -> events produced now."""
    eids = table.column("eid").to_pylist() if "eid" in table.column_names else [None] * len(table)
    produced = {}
    for route in routes:
        topic = route.name(env)
        rows = [row for row, eid in enumerate(eids) if route.takes(eid)]
        legacy = LEGACY_TOPICS.get(stream)
        produced[topic] = produce_new(
            kafka,
            lake,
            hour,
            topic,
            table.take(pa.array(rows, type=pa.int64())).select(["mid", "event"]),
            stream if legacy is not None and legacy.replace("{env}", env) == topic else None,
        )
    return produced
