"""Telemetry settings and the message source: Kafka, or a local inbox on the embedded default.

Topic names are ``{env}.<name>``. The inbox stands in for the ingest topic where no broker runs
(the demo): ``<inbox>/p<N>.jsonl`` is partition N, one message per line, append-only; the
committed position per partition is kept in ``<inbox>/.committed.json`` and written only after
the outputs are durable, exactly as Kafka offsets are.
"""

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Protocol

import dagster as dg

from platform_assets.telemetry.extraction import SourceMessage
from platform_assets.telemetry.partitions import BACKUP_TIMEZONE
from resources.kafka import Batch, KafkaResource, Message

TOPIC_NAMES = {
    "ingest": "telemetry.ingest",
    "routed_events": "telemetry.unique",
    "druid_log_events": "druid.events.log",
    "druid_error_events": "druid.events.error",
    "audit_events": "telemetry.audit",
    "denorm_events": "telemetry.denorm",
}


# The dedup window (seconds) of deployments: also how far back a late batch re-runs later hours
# (``assets``), which is fixed when the definitions load, hence an environment variable.
DEDUP_WINDOW_S = int(os.environ.get("WEIR_TELEMETRY_DEDUP_WINDOW_S", "3600"))


class TelemetrySettings(dg.ConfigurableResource):
    env: str = "dev"
    source: str = "kafka"            # "kafka" or "inbox"
    inbox_dir: str = ""
    consumer_group: str = "weir-telemetry"
    micro_batch_messages: int = 2000  # messages per durable step (landing + backups, then commit)
    dedup_window_s: int = DEDUP_WINDOW_S
    hour_workers: int = -1            # processes parsing an hour's chunks beside the step (-1: cores - 1)
    backup_timezone: str = BACKUP_TIMEZONE  # must match the partitions of telemetry/topic_backups
    backup_roll_bytes: int = 64 << 20
    produce_routed: bool = False      # also produce routed/denormalized events to their topics
    max_age_days: int = 92

    def topic(self, name: str) -> str:
        return f"{self.env}.{TOPIC_NAMES[name]}"


def inbox_settings(data_dir: str) -> TelemetrySettings:
    return TelemetrySettings(env=os.environ.get("WEIR_TELEMETRY_ENV", "dev"), source="inbox",
                             inbox_dir=str(Path(data_dir) / "telemetry" / "inbox"))


class Inbox:
    """The local stand-in for the ingest topic (see the module docstring). Like a Kafka consumer,
    an instance reads on from where it last read; a new instance starts at the committed position."""

    def __init__(self, folder: str, topic: str):
        self.folder = Path(folder)
        self.topic = topic
        self._committed_path = self.folder / ".committed.json"
        self._position: dict[int, int] | None = None

    def committed(self) -> dict[int, int]:
        if not self._committed_path.exists():
            return {}
        return {int(k): v for k, v in json.loads(self._committed_path.read_text()).items()}

    def next_batch(self, max_messages: int) -> Batch:
        """Up to ``max_messages`` messages after what this instance read (what a reader reads)."""
        if self._position is None:
            self._position = self.committed()
        batch = Batch(self.topic, "inbox")
        for path in sorted(self.folder.glob("p*.jsonl")):
            partition = int(path.stem[1:])
            start = self._position.get(partition, 0)
            with path.open("rb") as handle:
                for offset, line in enumerate(handle):
                    if offset < start:
                        continue
                    if len(batch.messages) >= max_messages:
                        return batch
                    batch.messages.append(Message(partition, offset, line.rstrip(b"\n")))
                    first, _ = batch.ranges.get(partition, (offset, offset))
                    batch.ranges[partition] = (first, offset)
                    self._position[partition] = offset + 1
        return batch

    def commit(self, batch: Batch) -> None:
        committed = self.committed()
        committed.update({p: last + 1 for p, (_, last) in batch.ranges.items()})
        tmp = self._committed_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(committed))
        os.replace(tmp, self._committed_path)

    def append(self, partition: int, messages: list[bytes]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f"p{partition}.jsonl").open("ab") as handle:
            for message in messages:
                if b"\n" in message:
                    raise ValueError("inbox messages are single lines")
                handle.write(message + b"\n")


def source_messages(batch: Batch) -> list[SourceMessage]:
    return [SourceMessage(batch.topic, m.partition, m.offset, m.timestamp_ms, m.value, key=m.key)
            for m in batch.messages]


class MessageReader(Protocol):
    def next_batch(self, max_messages: int) -> Batch: ...

    def commit(self, batch: Batch) -> None: ...


@contextmanager
def message_reader(settings: TelemetrySettings, kafka: KafkaResource) -> Iterator[MessageReader]:
    """A reader of the ingest topic, or of the local inbox that stands in for it."""
    if settings.source == "inbox":
        yield Inbox(settings.inbox_dir, settings.topic("ingest"))
    elif settings.source == "kafka":
        with kafka.reader(settings.topic("ingest"), settings.consumer_group) as reader:
            yield reader
    else:
        raise dg.Failure(f"telemetry source must be 'kafka' or 'inbox', not {settings.source!r}")
