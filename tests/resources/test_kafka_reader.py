"""KafkaResource.reader against the real test broker: micro-batches read on without gaps or
repeats, commits go through the same consumer, and a new reader resumes from them."""

import uuid

from resources.kafka import KafkaResource


def test_micro_batches_read_on_and_a_new_reader_resumes_from_the_commit(kafka_bootstrap):
    kafka = KafkaResource(bootstrap_servers=kafka_bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
    topic, group = f"reader-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    kafka.create_topic(topic, partitions=2)
    values = [b"m%03d" % i for i in range(25)]
    kafka.produce_all(topic, values[:20], keys=[b"k%d" % i for i in range(20)])
    with kafka.reader(topic, group) as reader:
        first, second = reader.next_batch(8), reader.next_batch(8)
        assert len(first.messages) == 8 and len(second.messages) == 8
        reader.commit(first)
        seen = [(m.partition, m.offset) for m in first.messages + second.messages]
        assert len(set(seen)) == 16  # no message twice
        rest = reader.next_batch(100)
        assert len(rest.messages) == 4 and reader.next_batch(100).messages == []  # at the end: empty
    assert {m.key for m in first.messages} <= {b"k%d" % i for i in range(20)}
    # only the first micro-batch was committed: a new reader starts right after it
    kafka.produce_all(topic, values[20:])
    with kafka.reader(topic, group) as again:
        replay = again.next_batch(100)
    committed = {(m.partition, m.offset) for m in first.messages}
    replayed = {(m.partition, m.offset) for m in replay.messages}
    assert not committed & replayed and len(replayed) == 25 - 8
    assert sorted(m.value for m in first.messages + replay.messages) == sorted(values)
