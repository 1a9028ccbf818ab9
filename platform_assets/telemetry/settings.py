"""Telemetry settings (the layout the definitions are built from; the run settings) and the
message source: Kafka, or a local inbox on the embedded default.

Topic names are ``{env}.<name>``. The inbox stands in for the ingest topic where no broker runs
(the demo): ``<inbox>/p<N>.jsonl`` is partition N, one message per line, append-only; the
committed position per partition is kept in ``<inbox>/.committed.json`` and written only after
the outputs are durable, exactly as Kafka offsets are. Each append's time is kept in
``<inbox>/p<N>.times`` (``first_offset count epoch_ms`` per append), as Kafka keeps a message's
time: a message with no usable sync time is filed by it, the same hour on every re-run. Lines
added by hand have no time (they are filed by the time they are read).
"""

from __future__ import annotations

import bisect
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from platform_assets.start_dates import RECENT, StartDateError, pinned_start, resolve_start
from platform_assets.telemetry.extraction import SourceMessage
from platform_assets.telemetry.topics import TopicRoute, TopicsError, topic_routes
from platform_assets.telemetry.topics import problems as topic_problems
from resources.kafka import Batch, KafkaResource, Message

TOPIC_NAMES = {"ingest": "telemetry.ingest"}  # what Weir reads; what it produces: topics.py

DEFAULT_START_DATE = RECENT  # 30 days before the code location loads (start_dates.py)
DEFAULT_BACKUP_TIMEZONE = "Asia/Kolkata"
DEFAULT_DEDUP_WINDOW_S = 3600


class LayoutError(ValueError):
    """A telemetry layout setting has a value the definitions cannot be built from."""


def _start(env: Mapping[str, str]) -> str:
    """The hour partitions' first day, a relative start pinned (start_dates.py)."""
    value = env.get("WEIR_TELEMETRY_START_DATE", DEFAULT_START_DATE)
    try:
        return pinned_start(value, "WEIR_TELEMETRY_START_DATE", env)
    except StartDateError as exc:
        raise LayoutError(str(exc)) from None


@dataclass(frozen=True)
class TelemetryLayout:
    """What the telemetry definitions are built from, read from the environment when the code
    location loads (``definitions.build_defs``) and again when a run starts (to compare with the
    run's ``TelemetrySettings``), never at import:

    | variable                          | field            | default      |
    |-----------------------------------|------------------|--------------|
    | ``WEIR_TELEMETRY_START_DATE``     | start_date       | -30d         |
    | ``WEIR_TELEMETRY_BACKUP_TZ``      | backup_timezone  | Asia/Kolkata |
    | ``WEIR_TELEMETRY_DEDUP_WINDOW_S`` | dedup_window_s   | 3600         |

    The dedup window is also how far back a late batch re-runs later hours (the landing
    dependency of ``assets``), hence part of the layout."""

    start_date: str = DEFAULT_START_DATE
    backup_timezone: str = DEFAULT_BACKUP_TIMEZONE
    dedup_window_s: int = DEFAULT_DEDUP_WINDOW_S

    def __post_init__(self) -> None:
        try:
            start = resolve_start(self.start_date, "WEIR_TELEMETRY_START_DATE")
            object.__setattr__(self, "start_date", start)
        except StartDateError as exc:
            raise LayoutError(str(exc)) from None
        try:
            ZoneInfo(self.backup_timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise LayoutError(
                f"WEIR_TELEMETRY_BACKUP_TZ {self.backup_timezone!r} is not a known timezone"
            ) from None
        if self.dedup_window_s < 0:
            raise LayoutError(
                f"WEIR_TELEMETRY_DEDUP_WINDOW_S must be 0 or more, not {self.dedup_window_s}"
            )

    @property
    def start_ms(self) -> int:
        """The first hour partition's start (sync times are never filed before it)."""
        start = datetime.fromisoformat(self.start_date).replace(tzinfo=UTC)
        return int(start.timestamp() * 1000)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TelemetryLayout:
        window = env.get("WEIR_TELEMETRY_DEDUP_WINDOW_S", str(DEFAULT_DEDUP_WINDOW_S))
        try:
            window_s = int(window)
        except ValueError:
            raise LayoutError(
                f"WEIR_TELEMETRY_DEDUP_WINDOW_S {window!r} is not a whole number of seconds"
            ) from None
        return cls(
            start_date=_start(env),
            backup_timezone=env.get("WEIR_TELEMETRY_BACKUP_TZ", DEFAULT_BACKUP_TIMEZONE),
            dedup_window_s=window_s,
        )


class TelemetrySettings(dg.ConfigurableResource):
    env: str = "dev"
    source: str = "kafka"  # "kafka" or "inbox"
    inbox_dir: str = ""
    consumer_group: str = "weir-telemetry"
    micro_batch_messages: int = 2000  # messages per durable step (landing + backups, then commit)
    dedup_window_s: int = DEFAULT_DEDUP_WINDOW_S  # the layout's, unless a run is told otherwise
    hour_workers: int = -1  # processes parsing an hour's chunks beside the step (-1: cores - 1)
    backup_timezone: str = (
        DEFAULT_BACKUP_TIMEZONE  # must match the partitions of telemetry/topic_backups
    )
    backup_roll_bytes: int = 64 << 20
    produce_routed: bool = False  # also produce the routed streams to their topics (topics.py)
    topics: str = ""  # WEIR_TELEMETRY_TOPICS: JSON replacing the topics of the streams it names
    max_age_days: int = 92
    backlog_lag_threshold: int = (
        1000  # telemetry_backlog starts an ingest run at this many messages...
    )
    backlog_max_delay_s: float = 300.0  # ...or when any backlog has waited this long

    def topic(self, name: str) -> str:
        return f"{self.env}.{TOPIC_NAMES[name]}"

    def routes(self, stream: str) -> tuple[TopicRoute, ...]:
        """The topics ``stream`` is produced to (the original pipeline's names by default)."""
        return topic_routes(self.topics).get(stream, ())

    def problems(self) -> list[str]:
        """What is wrong with these settings, in words (empty: nothing). Checked when a run starts,
        so that a wrong value fails it at once with its reason, not later or silently (a
        micro-batch of 0 messages would ingest nothing and succeed)."""
        out = []
        if not _TOPIC_NAME.fullmatch(self.env):
            out.append(
                f"env {self.env[:80]!r} cannot start a Kafka topic name (letters, digits, '.', "
                "'_', '-')"
            )
        try:
            out += topic_problems(topic_routes(self.topics), self.env)
        except TopicsError as exc:
            out.append(str(exc))
        if self.source not in ("kafka", "inbox"):
            out.append(f"source must be 'kafka' or 'inbox', not {self.source[:80]!r}")
        elif self.source == "inbox" and not self.inbox_dir:
            out.append("source 'inbox' needs inbox_dir")
        for name, least in (
            ("micro_batch_messages", 1),
            ("dedup_window_s", 0),
            ("hour_workers", -1),
            ("backup_roll_bytes", 1),
            ("max_age_days", 1),
        ):
            if getattr(self, name) < least:
                out.append(f"{name} must be {least} or more, not {getattr(self, name)}")
        layout = TelemetryLayout.from_env()  # what the definitions were built from
        if (
            self.backup_timezone != layout.backup_timezone
        ):  # the day partitions of telemetry/topic_backups
            out.append(
                f"backup_timezone {self.backup_timezone[:80]!r} differs from "
                f"WEIR_TELEMETRY_BACKUP_TZ ({layout.backup_timezone!r}), the timezone of the "
                "backup day partitions: set both alike"
            )
        return out

    def check(self) -> None:
        """Raise ``dg.Failure`` naming every problem (``problems``)."""
        if problems := self.problems():
            raise dg.Failure("telemetry settings: " + "; ".join(problems))


_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


def inbox_settings(
    data_dir: str, env: str = "dev", layout: TelemetryLayout | None = None
) -> TelemetrySettings:
    """The embedded default: the local inbox under ``data_dir`` stands in for the ingest topic."""
    layout = layout or TelemetryLayout()
    return TelemetrySettings(
        env=env,
        source="inbox",
        inbox_dir=str(Path(data_dir) / "telemetry" / "inbox"),
        dedup_window_s=layout.dedup_window_s,
        backup_timezone=layout.backup_timezone,
    )


class Inbox:
    """The local stand-in for the ingest topic (see the module docstring). Like a Kafka consumer,
    an instance reads on from where it last read; a
    new instance starts at the committed position."""

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
            appended = _AppendTimes(path.with_suffix(".times"))
            with path.open("rb") as handle:
                for offset, line in enumerate(handle):
                    if offset < start:
                        continue
                    if len(batch.messages) >= max_messages:
                        return batch
                    batch.messages.append(
                        Message(
                            partition, offset, line.rstrip(b"\n"), timestamp_ms=appended.get(offset)
                        )
                    )
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

    def append(
        self, partition: int, messages: list[bytes], timestamp_ms: int | None = None
    ) -> None:
        """Append ``messages`` (all or none: each must be one line) at ``timestamp_ms`` (default
        now)."""
        if any(b"\n" in message for message in messages):
            raise ValueError("inbox messages are single lines")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"p{partition}.jsonl"
        first = _line_count(path)
        with path.open("ab") as handle:
            handle.write(b"".join(message + b"\n" for message in messages))
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        with path.with_suffix(".times").open("a") as times:
            times.write(f"{first} {len(messages)} {stamp}\n")


def _line_count(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


class _AppendTimes:
    """The append time of an inbox partition's offsets (``p<N>.times``), None where unknown."""

    def __init__(self, path: Path) -> None:
        self._ranges: list[tuple[int, int, int]] = []
        if path.exists():
            for line in path.read_text().splitlines():
                first, count, stamp = map(int, line.split())
                self._ranges.append((first, first + count, stamp))

    def get(self, offset: int) -> int | None:
        at = (
            bisect.bisect_right(self._ranges, (offset, float("inf"))) - 1
        )  # appends come in offset order
        if at >= 0 and self._ranges[at][0] <= offset < self._ranges[at][1]:
            return self._ranges[at][2]
        return None


def source_messages(batch: Batch) -> list[SourceMessage]:
    return [
        SourceMessage(batch.topic, m.partition, m.offset, m.timestamp_ms, m.value, key=m.key)
        for m in batch.messages
    ]


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
