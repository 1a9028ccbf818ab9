"""Restore: replay a topic's backups (days of the backup timezone) into a Kafka topic.

Each (partition, offset) is replayed once, in order, with its key, into the same partition number
when the target has it (else partition 0), so consumers of the restored topic see the original
order per partition.

    .venv/bin/python -m platform_assets.telemetry.restore --topic dev.telemetry.ingest \\
        --day 2026-11-23 --target dev.telemetry.ingest.replay
"""

import argparse
import os

from platform_assets.telemetry import backups
from resources.kafka import KafkaResource
from resources.storage import LakeResource


def restore_topic(
    store: LakeResource, kafka: KafkaResource, topic: str, days: list[str], target: str
) -> int:
    """Replay the backups of ``topic`` for ``days`` into ``target``; returns the messages
    produced."""
    keys = [k for day in days for k in store.list(f"{backups.PREFIX}/{topic}/{day}/")]
    records = backups.replay_order(store.read_bytes(k) for k in keys)
    by_partition: dict[int, list[dict]] = {}
    for record in records:
        by_partition.setdefault(record["partition"], []).append(record)
    partitions = kafka.partitions(target)
    for partition, chosen in sorted(by_partition.items()):
        kafka.produce_all(
            target,
            [r["value"] for r in chosen],
            keys=[r["key"] for r in chosen],
            partition=partition if partition in partitions else 0,
        )
    return len(records)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Replay telemetry topic backups into a Kafka topic"
    )
    parser.add_argument("--topic", required=True)
    parser.add_argument(
        "--day", action="append", required=True, help="YYYY-MM-DD in the backup timezone"
    )
    parser.add_argument("--target", required=True)
    parser.add_argument("--backup-root", default=os.environ.get("WEIR_TELEMETRY_BACKUP_ROOT", ""))
    opts = parser.parse_args()
    from dagster_aws.s3 import S3Resource

    store = LakeResource(
        root=opts.backup_root, s3=S3Resource(endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None)
    )
    kafka = KafkaResource(bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"])
    print(
        f"replayed {restore_topic(store, kafka, opts.topic, opts.day, opts.target)} messages into "
        f"{opts.target}"
    )


if __name__ == "__main__":
    main()
