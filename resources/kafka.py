"""Kafka, through confluent-kafka, behind a narrow API: drain a topic, then commit.

``drain`` reads every partition from the group's committed offset to the end (partition EOF, not
the watermark lookup, which some brokers answer wrongly) and returns the messages with the offset
ranges it covered. Nothing is committed until the caller has made its output durable and calls
``commit``: a crash in between replays the same messages, it never loses them.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka import Message as ConfluentMessage
from confluent_kafka.admin import AdminClient, NewTopic


@dataclass(frozen=True)
class Message:
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None = None
    timestamp_ms: int | None = None  # the broker's or producer's time, when the message carries one


@dataclass
class Batch:
    topic: str
    group: str
    messages: list[Message] = field(default_factory=list)
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict)  # partition -> (first, last)

    def offset_ranges(self) -> dict[str, str]:
        """For metadata: ``{"p0": "120-359"}``."""
        return {f"p{p}": f"{a}-{b}" for p, (a, b) in sorted(self.ranges.items())}


class KafkaResource(dg.ConfigurableResource):
    bootstrap_servers: str
    session_timeout_ms: int = 10_000
    poll_timeout_s: float = 0.5
    drain_timeout_s: float = 120.0
    extra_config: dict[str, str] = {}

    def _base(self) -> dict[str, str | int | float | bool]:
        return {"bootstrap.servers": self.bootstrap_servers, **self.extra_config}

    def _consumer(self, group: str, read_ahead: bool = True) -> Consumer:
        # reading: telemetry batches are ~100 KB, so fetch many per request (librdkafka's default is
        # 1 MB) and keep fetching while the caller writes a micro-batch (default: a 64 MB queue,
        # then 1 s back-off). Not reading ahead (the lag, one message per partition each sensor
        # tick): small fetches, so that a large backlog is not pulled over the network to be
        # dropped.
        fetching = (
            {
                "max.partition.fetch.bytes": 16 << 20,
                "queued.max.messages.kbytes": 256 << 10,
                "fetch.queue.backoff.ms": 20,
            }
            if read_ahead
            else {
                "max.partition.fetch.bytes": 64 << 10,
                "queued.max.messages.kbytes": 1024,
                "queued.min.messages": 1,
            }
        )
        return Consumer(
            {
                **self._base(),
                "group.id": group,
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": self.session_timeout_ms,
                **fetching,
            }
        )

    def producer(self) -> Producer:
        return Producer({**self._base(), "linger.ms": 20})

    def create_topic(self, topic: str, partitions: int = 1) -> None:
        admin = AdminClient(self._base())  # keep a reference until the futures resolve
        futures = admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10)
        for future in futures.values():
            try:
                future.result()
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise

    def _assign_committed(
        self, consumer: Consumer, topic: str
    ) -> tuple[list[int], list[TopicPartition]]:
        """Assign every partition of ``topic`` at the group's committed offset (the beginning when
        nothing is committed yet)."""
        meta = consumer.list_topics(topic, timeout=10)
        if topic not in meta.topics or meta.topics[topic].error is not None:
            raise dg.Failure(f"Kafka topic {topic!r} does not exist on {self.bootstrap_servers}")
        partitions = sorted(meta.topics[topic].partitions)
        assigned = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        for tp in assigned:
            if tp.offset < 0:
                tp.offset = -2  # OFFSET_BEGINNING
        consumer.assign(assigned)
        return partitions, assigned

    @contextmanager
    def reader(self, topic: str, group: str) -> Iterator["TopicReader"]:
        """One consumer over every partition of ``topic``, from the group's committed offsets, read
        in micro-batches and committed through the same connection. Keeping one consumer for a whole
        run matters: a fresh consumer pays an offset lookup and an end-of-partition wait (about 1 s
        on the test broker) before its first message."""
        consumer = self._consumer(group)
        try:
            partitions, _ = self._assign_committed(consumer, topic)
            yield TopicReader(
                consumer, topic, group, partitions, self.poll_timeout_s, self.drain_timeout_s
            )
        finally:
            consumer.close()

    def drain(self, topic: str, group: str, max_messages: int = 5_000_000) -> Batch:
        """Everything from the committed offsets to the end of each partition (or max_messages)."""
        with self.reader(topic, group) as reader:
            return reader.next_batch(max_messages)

    def partitions(self, topic: str) -> list[int]:
        consumer = self._consumer("weir-metadata")
        try:
            meta = consumer.list_topics(topic, timeout=10)
            return sorted(meta.topics[topic].partitions) if topic in meta.topics else []
        finally:
            consumer.close()

    def produce_all(
        self,
        topic: str,
        values: list,
        keys: list[bytes] | None = None,
        timeout_s: float = 60.0,
        partition: int | None = None,
    ) -> None:
        """Produce ``values`` and wait until every one is acknowledged (fails loudly otherwise)."""
        producer = self.producer()
        errors: list[str] = []

        def delivered(err, _msg) -> None:  # noqa: ANN001 - confluent callback
            if err is not None:
                errors.append(str(err))

        for index, value in enumerate(values):
            while True:
                try:
                    extra: dict[str, Any] = (
                        {"partition": partition} if partition is not None else {}
                    )
                    producer.produce(
                        topic,
                        value=value,
                        key=keys[index] if keys else None,
                        on_delivery=delivered,
                        **extra,
                    )
                    break
                except BufferError:  # local queue full: let deliveries drain
                    producer.poll(0.1)
        remaining = producer.flush(timeout_s)
        if remaining or errors:
            raise dg.Failure(
                f"Kafka produce to {topic!r}: {remaining} undelivered, errors: {errors[:3]}"
            )

    def lag(self, topic: str, group: str) -> dict[int, int]:
        """Messages not yet committed by ``group``, per partition. The high watermark is read from
        the consumer's cache after a fetch (a plain watermark lookup is wrong on some brokers)."""
        consumer = self._consumer(group, read_ahead=False)
        try:
            partitions, committed = self._assign_committed(consumer, topic)
            pending = set(partitions)
            high: dict[int, int] = {}
            start: dict[int, int] = {tp.partition: tp.offset for tp in committed}
            deadline = time.monotonic() + 30
            while pending and time.monotonic() < deadline:
                msg = consumer.poll(self.poll_timeout_s)
                if msg is None:
                    continue
                p, error = msg.partition(), msg.error()
                if p is not None and p in pending:
                    low, hi = consumer.get_watermark_offsets(TopicPartition(topic, p), cached=True)
                    if error and error.code() == KafkaError._PARTITION_EOF:
                        high[p] = _offset(msg)
                    elif not error:
                        high[p] = max(hi, _offset(msg) + 1)
                        start[p] = start[p] if start[p] >= 0 else _offset(msg)
                    pending.discard(p)
            if pending:
                raise dg.Failure(
                    f"Kafka lag of {topic!r}: no answer for partitions {sorted(pending)}"
                )
            return {p: max(0, high[p] - (start[p] if start[p] >= 0 else 0)) for p in partitions}
        finally:
            consumer.close()

    def commit(self, batch: Batch) -> None:
        """Commit past the last offset of each partition in ``batch`` (after outputs are
        durable)."""
        if not batch.ranges:
            return
        consumer = self._consumer(batch.group)
        try:
            _commit(consumer, batch)
        finally:
            consumer.close()

    def committed(self, topic: str, group: str) -> dict[int, int]:
        consumer = self._consumer(group)
        try:
            meta = consumer.list_topics(topic, timeout=10)
            parts = sorted(meta.topics[topic].partitions) if topic in meta.topics else []
            tps = consumer.committed([TopicPartition(topic, p) for p in parts], timeout=10)
            return {tp.partition: tp.offset for tp in tps}
        finally:
            consumer.close()


class TopicReader:
    """Micro-batches from one assigned consumer (see ``KafkaResource.reader``)."""

    def __init__(
        self,
        consumer: Consumer,
        topic: str,
        group: str,
        partitions: list[int],
        poll_timeout_s: float,
        drain_timeout_s: float,
    ):
        self._consumer = consumer
        self.topic, self.group = topic, group
        self._partitions = partitions
        self._at_end: set[int] = set()
        self._poll_timeout_s = poll_timeout_s
        self._drain_timeout_s = drain_timeout_s

    def next_batch(self, max_messages: int) -> Batch:
        """Up to ``max_messages`` further messages, stopping early once every partition is at its
        end; an empty batch means there is nothing more to read right now."""
        batch = Batch(self.topic, self.group)
        deadline = time.monotonic() + self._drain_timeout_s
        while len(self._at_end) < len(self._partitions) and len(batch.messages) < max_messages:
            if time.monotonic() > deadline:
                raise dg.Failure(
                    f"Kafka read of {self.topic!r} did not reach the end within "
                    f"{self._drain_timeout_s}s"
                )
            # short waits: consume() returns what arrived,
            # so the end of a partition costs no full timeout
            wanted = min(max_messages - len(batch.messages), 10_000)
            for msg in self._consumer.consume(wanted, min(self._poll_timeout_s, 0.05)):
                error = msg.error()
                if error:
                    if error.code() == KafkaError._PARTITION_EOF:
                        self._at_end.add(_partition(msg))
                        continue
                    raise dg.Failure(f"Kafka error on {self.topic!r}: {error}")
                p, o = _partition(msg), _offset(msg)
                self._at_end.discard(p)
                kind, stamp = msg.timestamp()
                batch.messages.append(
                    Message(p, o, msg.value(), msg.key(), stamp if kind and stamp > 0 else None)
                )
                first, _ = batch.ranges.get(p, (o, o))
                batch.ranges[p] = (first, o)
        return batch

    def commit(self, batch: Batch) -> None:
        """Commit past the last offset of each partition in ``batch`` (after outputs are
        durable)."""
        if batch.ranges:
            _commit(self._consumer, batch)


def _partition(msg: ConfluentMessage) -> int:
    """The partition of a consumed message or end-of-partition event (always set on those)."""
    partition = msg.partition()
    assert partition is not None
    return partition


def _offset(msg: ConfluentMessage) -> int:
    """The offset of a consumed message or end-of-partition event (always set on those)."""
    offset = msg.offset()
    assert offset is not None
    return offset


def _commit(consumer: Consumer, batch: Batch) -> None:
    consumer.commit(
        offsets=[
            TopicPartition(batch.topic, p, last + 1)
            for p, (_, last) in sorted(batch.ranges.items())
        ],
        asynchronous=False,
    )
