"""Restore: replay a topic's backups (days of the backup timezone) into a Kafka topic.

From Weir's exact backups (``--topic``), each (partition, offset) is replayed once, in order, with
its key, into the same partition number when the target has it (else partition 0), so consumers
of the restored topic see the original order per partition. From Secor files (``--secor PREFIX``:
Weir's ``secor/<topic>``, or a folder the original's Secor wrote, in upstream naming
``dt=<day>/1_<partition>_<offset>.gz`` or the Sunbird fork's ``<day>-<partition>-<ms>.json.gz``)
each line is replayed in file order, into the file's partition; Secor kept no keys.

    .venv/bin/python -m platform_assets.telemetry.restore --topic dev.telemetry.ingest \\
        --day 2026-11-23 --target dev.telemetry.ingest.replay
    .venv/bin/python -m platform_assets.telemetry.restore --secor unique/raw \\
        --day 2024-01-02 --target prod.telemetry.unique
"""

import argparse
import os

from platform_assets.telemetry import backups, secor
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


def secor_keys(store: LakeResource, prefix: str, day: str) -> list[tuple[int, int, str, bool]]:
    """(partition, offset, key, gzip) of the Secor files of ``day`` under ``prefix``, in order."""
    prefix = prefix.rstrip("/")
    found = []
    fork_files = [  # the Sunbird fork: <prefix>/<day>-<partition>-<ms>.json.gz, no day folder
        k
        for k in store.list(f"{prefix}/")
        if k.rsplit("/", 1)[0] == prefix and k.rsplit("/", 1)[1].startswith(f"{day}-")
    ]
    for key in store.list(f"{prefix}/dt={day}/") + fork_files:
        parsed = secor.parse_name(key.rsplit("/", 1)[1])
        if parsed is not None:
            found.append((parsed[0], parsed[1], key, parsed[2]))
    return sorted(set(found))


def restore_secor(
    store: LakeResource, kafka: KafkaResource, prefix: str, days: list[str], target: str
) -> int:
    """Replay the Secor files of ``days`` under ``prefix`` into ``target``; returns the messages
    produced. A file that is not readable gzip fails the restore, naming it, before anything
    of it is produced."""
    partitions = kafka.partitions(target)
    produced = 0
    for day in days:
        for partition, _, key, compressed in secor_keys(store, prefix, day):
            try:
                values = secor.read_secor(store.read_bytes(key), compressed)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
            kafka.produce_all(target, values, partition=partition if partition in partitions else 0)
            produced += len(values)
    return produced


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Replay telemetry topic backups into a Kafka topic"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--topic", help="replay Weir's exact backups of this topic")
    source.add_argument("--secor", help="replay the Secor files under this prefix")
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
    if opts.secor:
        count = restore_secor(store, kafka, opts.secor, opts.day, opts.target)
    else:
        count = restore_topic(store, kafka, opts.topic, opts.day, opts.target)
    print(f"replayed {count} messages into {opts.target}")


if __name__ == "__main__":
    main()
