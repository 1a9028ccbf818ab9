"""Extraction: Kafka messages (telemetry batches) -> raw events, batch duplicates, failed batches.

A batch is ``{id, ver, params{msgid, ...}, syncts?, events[]}``. Each event gets the batch's
``syncts`` (else the message's Kafka time, else the extraction time) and ``@timestamp``; one LOG audit
event per batch records what arrived. Nothing is dropped: what cannot be used lands in ``failed``
with a reason and the original bytes. Everything derived is deterministic (the audit event's mid
comes from the batch's msgid), so extracting the same messages twice gives the same output.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

import msgspec
import orjson

MAX_EVENT_BYTES = 1 << 20  # 1 MiB, as the Sunbird extractor
AUDIT_PRODUCER = "weir.telemetry.extractor"


@dataclass(frozen=True)
class SourceMessage:
    """One Kafka message as consumed: where it came from and its bytes."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    value: bytes | None
    syncts: int | None = None  # the sync time ingest filed the message under (landing), when known

    @property
    def source(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass
class Extracted:
    events: list[dict[str, Any]] = field(default_factory=list)       # raw events, audit events included
    duplicates: list[dict[str, Any]] = field(default_factory=list)   # batches whose msgid was seen
    failed: list[dict[str, Any]] = field(default_factory=list)       # {reason, source, payload}
    msgids: list[str] = field(default_factory=list)                  # msgids of accepted batches


def iso_timestamp(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{epoch_ms % 1000:03d}Z"


def batch_syncts(batch: Any, message: SourceMessage, now_ms: int, earliest_ms: int = 0) -> int:
    """The batch's own sync time when it carries a usable one (not before ``earliest_ms``, not after
    now: a hostile or broken clock must not file data into an hour that does not exist), else the
    Kafka time under the same rule, else now."""
    if message.syncts is not None:
        return message.syncts
    value = batch.get("syncts") if isinstance(batch, dict) else None
    for candidate in (value, message.timestamp_ms):
        if isinstance(candidate, (int, float)) and not isinstance(candidate, bool) and earliest_ms <= candidate <= now_ms:
            return int(candidate)
    return now_ms


class _BatchHead(msgspec.Struct):
    """Only the batch's sync time; msgspec skips everything else without building it."""

    syncts: Any = None


_HEAD = msgspec.json.Decoder(_BatchHead)


def message_syncts(message: SourceMessage, now_ms: int, earliest_ms: int = 0) -> int:
    """``batch_syncts`` without parsing the events: what ingest files a message by (~30x cheaper)."""
    try:
        head = _HEAD.decode(message.value) if message.value is not None else None
    except (msgspec.DecodeError, msgspec.ValidationError):
        head = None
    return batch_syncts({"syncts": head.syncts} if head is not None else None, message, now_ms, earliest_ms)


def parse_batch(message: SourceMessage) -> tuple[dict[str, Any] | None, str | None]:
    """(batch, None) or (None, reason) for a message that is not a usable batch."""
    if message.value is None:
        return None, "empty message (tombstone)"
    try:
        batch = orjson.loads(message.value)
    except orjson.JSONDecodeError as exc:
        reason = "not UTF-8" if "utf-8" in str(exc).lower() else f"not JSON: {exc}"
        return None, reason[:300]
    if not isinstance(batch, dict):
        return None, f"batch is a JSON {type(batch).__name__}, not an object"
    if not isinstance(batch.get("events"), list):
        return None, "batch has no events list"
    params = batch.get("params")
    if not isinstance(params, dict) or not isinstance(params.get("msgid"), str) or not params["msgid"]:
        return None, "batch has no params.msgid"
    return batch, None


def _failed(reason: str, message: SourceMessage, payload: bytes | None) -> dict[str, Any]:
    return {"reason": reason, "source": message.source, "payload": payload or b""}


def audit_event(batch: dict[str, Any], syncts: int, accepted: int, refused: int, env: str) -> dict[str, Any]:
    """The LOG event the extractor adds per batch (edata.type telemetry_audit)."""
    msgid = batch["params"]["msgid"]
    first = next((e for e in batch["events"] if isinstance(e, dict)), {})
    context = first.get("context") if isinstance(first.get("context"), dict) else {}
    channel = context.get("channel") if isinstance(context.get("channel"), str) else "unknown"
    return {
        "eid": "LOG", "ets": syncts, "ver": "3.0",
        "mid": "LOG:" + hashlib.sha1(msgid.encode()).hexdigest(),
        "actor": {"id": AUDIT_PRODUCER, "type": "System"},
        "context": {"channel": channel, "env": env, "pdata": {"id": AUDIT_PRODUCER, "pid": "extractor", "ver": "1.0"}},
        "edata": {"type": "telemetry_audit", "level": "INFO", "message": "telemetry batch extracted",
                  "params": [{"ver": str(batch.get("ver", ""))}, {"events_count": accepted},
                             {"sync_status": "SUCCESS" if not refused else "PARTIAL"}, {"msgid": msgid}]},
        "syncts": syncts, "@timestamp": iso_timestamp(syncts),
    }


def extract(messages: Iterable[SourceMessage], seen_msgids: set[str], now_ms: int, env: str) -> Extracted:
    """Split ``messages`` into raw events, duplicate batches and failures. ``seen_msgids`` holds the
    msgids already accepted within the dedup window; it grows with every accepted batch."""
    out = Extracted()
    for message in messages:
        batch, reason = parse_batch(message)
        if batch is None:
            out.failed.append(_failed(reason or "unusable batch", message, message.value))
            continue
        msgid = batch["params"]["msgid"]
        syncts = batch_syncts(batch, message, now_ms)
        if msgid in seen_msgids:
            out.duplicates.append({"msgid": msgid, "source": message.source, "syncts": syncts,
                                   "events_count": len(batch["events"]), "payload": message.value})
            continue
        seen_msgids.add(msgid)
        out.msgids.append(msgid)
        stamp = iso_timestamp(syncts)
        accepted = refused = 0
        small = len(message.value or b"") <= MAX_EVENT_BYTES  # then no event in it can be over the limit
        for index, event in enumerate(batch["events"]):
            if not isinstance(event, dict):
                out.failed.append(_failed(f"event {index} is a JSON {type(event).__name__}, not an object",
                                          message, orjson.dumps(event)))
                refused += 1
                continue
            size = 0 if small else len(orjson.dumps(event))
            if size > MAX_EVENT_BYTES:
                out.failed.append(_failed(f"event {index} is {size} bytes, over the {MAX_EVENT_BYTES}-byte limit",
                                          message, orjson.dumps(event)))
                refused += 1
                continue
            event["syncts"] = syncts
            event["@timestamp"] = stamp
            out.events.append(event)
            accepted += 1
        out.events.append(audit_event(batch, syncts, accepted, refused, env))
    return out
