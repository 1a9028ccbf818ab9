"""Extraction: Kafka messages (telemetry batches) -> raw events, batch duplicates, failed batches.

A batch is ``{id, ver, params{msgid, ...}, syncts?, events[]}``. Each event gets the batch's
``syncts`` (else the message's Kafka time, else the extraction time) and ``@timestamp``; one LOG
audit event per batch records what arrived. Nothing is dropped: what cannot be used lands in
``failed`` with a reason and the original bytes. Everything derived is deterministic (the audit
event's mid comes from the batch's msgid), so extracting
the same messages twice gives the same output.

msgspec splits a batch into its events' texts without building them; an event's text is kept as
sent, with ``"syncts"`` and ``"@timestamp"`` spliced in before its closing brace. Where the native
reader is given (``native_reader``), it reads each event first, straight into its hour row; a
compiled schema type (``schema_types``) reads what it refuses, and orjson only what both refuse.
Which reader read an event changes nothing in the outputs (tested against orjson alone).
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
import orjson

from platform_assets.telemetry.native_reader import ReadRow

MAX_EVENT_BYTES = 1 << 20  # 1 MiB, as the Sunbird extractor
AUDIT_PRODUCER = "weir.telemetry.extractor"
MSGID_DUPLICATE_REASON = "msgid already seen in the dedup window"


@dataclass(frozen=True)
class SourceMessage:
    """One Kafka message as consumed: where it came from and its bytes."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    value: bytes | None
    syncts: int | None = None  # the sync time ingest filed the message under (landing), when known
    key: bytes | None = None

    @property
    def source(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass
class Extracted:
    events: list[dict[str, Any]] = field(default_factory=list)  # raw events, audit events included
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # batches whose msgid was seen
    failed: list[dict[str, Any]] = field(default_factory=list)  # {reason, source, payload}
    msgids: list[str] = field(default_factory=list)  # msgids of accepted batches


def iso_timestamp(epoch_ms: int) -> str:
    return (
        datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{epoch_ms % 1000:03d}Z"
    )


def _trusted_syncts(candidates: tuple[Any, ...], now_ms: int, earliest_ms: int) -> int:
    """The first candidate that is a number in [earliest_ms, now_ms] (a hostile or broken clock must
    not file data into an hour that does not exist), else now."""
    for candidate in candidates:
        if (
            isinstance(candidate, (int, float))
            and not isinstance(candidate, bool)
            and earliest_ms <= candidate <= now_ms
        ):
            return int(candidate)
    return now_ms


def batch_syncts(
    batch_syncts_value: Any, message: SourceMessage, now_ms: int, earliest_ms: int = 0
) -> int:
    """What ingest filed the message under when known; else the batch's own ``syncts``, else the
    Kafka time, each only when trusted (see ``_trusted_syncts``), else now."""
    if message.syncts is not None:
        return message.syncts
    return _trusted_syncts((batch_syncts_value, message.timestamp_ms), now_ms, earliest_ms)


class _BatchHead(msgspec.Struct):
    """Only the batch's sync time; msgspec skips everything else without building it."""

    syncts: Any = None


_HEAD = msgspec.json.Decoder(_BatchHead)
_EVENTS_MEMBER = b',"events":'


def _head_syncts(value: bytes) -> Any:
    """The batch's top-level ``syncts``. Sunbird's API writes it before the events, so first the
    members before the first ``,"events":`` are decoded on their own, closed with ``}`` (a few
    hundred bytes instead of the ~100 KB batch). That text cannot occur inside a string (its quote
    would be escaped), and a cut inside a nested object leaves braces open, which fails to decode:
    then, as when the prefix has no ``syncts``, the whole batch is decoded."""
    cut = value.find(_EVENTS_MEMBER)
    if cut > 0:
        try:
            found = _HEAD.decode(value[:cut] + b"}").syncts
        except (msgspec.DecodeError, msgspec.ValidationError):
            found = None
        if found is not None:
            return found
    try:
        return _HEAD.decode(value).syncts
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def message_syncts(message: SourceMessage, now_ms: int, earliest_ms: int = 0) -> int:
    """``batch_syncts`` without parsing the events: what ingest files a message by."""
    value = _head_syncts(message.value) if message.value is not None else None
    return batch_syncts(value, message, now_ms, earliest_ms)


def parse_batch(message: SourceMessage) -> tuple[dict[str, Any] | None, str | None]:
    """(batch, None) or (None, reason) for a message that is not a usable batch: the reference
    reading (orjson) of what a usable batch is, and the wording of every reason."""
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
    if _msgid(batch.get("params")) is None:
        return None, "batch has no params.msgid"
    return batch, None


class BatchFrame(msgspec.Struct, gc=False):
    """A batch as msgspec splits it: the members extraction reads, and each event's JSON text as
    sent (its bytes are checked to be JSON, not parsed into objects)."""

    events: list[msgspec.Raw]
    params: Any = None
    syncts: Any = None
    ver: Any = None


_FRAME = msgspec.json.Decoder(BatchFrame)
_FRAME_ERRORS = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    RecursionError,
    UnicodeDecodeError,
    ValueError,
)


def _utf8(value: bytes) -> bool:
    if value.isascii():
        return True
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


def _split(message: SourceMessage) -> tuple[BatchFrame | None, list[Any], str | None]:
    """``frame_batch`` without copying the texts: where msgspec split the batch they are still its
    ``msgspec.Raw`` views of the message (the frame's own ``events`` list)."""
    value = message.value
    frame = None
    if value is not None and _utf8(value):
        try:
            frame = _FRAME.decode(value)
        except _FRAME_ERRORS:
            frame = None
    if frame is not None and _msgid(frame.params) is not None:
        return frame, frame.events, None
    batch, reason = parse_batch(message)
    if batch is None:
        return None, [], reason
    frame = BatchFrame(
        events=[], params=batch.get("params"), syncts=batch.get("syncts"), ver=batch.get("ver")
    )
    return frame, [written_json(event) for event in batch["events"]], None


def frame_batch(message: SourceMessage) -> tuple[BatchFrame | None, list[bytes | None], str | None]:
    """(frame, its event texts as sent, None) for a usable batch, else (None, [], reason). Usable is
    what ``parse_batch`` says (valid UTF-8 throughout, a JSON object with an events list and a
    msgid); msgspec splits it, and only a batch it cannot split is read by orjson (for the reason,
    or, where orjson reads what msgspec could not, for its events, serialized again: None for one
    that cannot be)."""
    frame, texts, reason = _split(message)
    if frame is not None and texts is frame.events:
        texts = [bytes(event) for event in texts]
    return frame, texts, reason


def written_json(value: Any) -> bytes | None:
    """A parsed value's JSON text again (msgspec where orjson will not nest beyond 255 levels), or
    None when neither can write it."""
    try:
        return orjson.dumps(value)
    except TypeError:
        try:
            return msgspec.json.encode(value)
        except RecursionError:
            return None


def _msgid(params: Any) -> str | None:
    msgid = params.get("msgid") if isinstance(params, dict) else None
    return msgid if isinstance(msgid, str) and msgid else None


def _failed(reason: str, message: SourceMessage, payload: bytes | None) -> dict[str, Any]:
    return {"reason": reason, "source": message.source, "payload": payload or b""}


def audit_mid(msgid: str) -> str:
    """The mid of a batch's audit event: derived from its msgid, so a re-extraction gives the
    same."""
    return "LOG:" + hashlib.sha1(msgid.encode()).hexdigest()


def channel_of(event: Any) -> str:
    """An event's ``context.channel`` when it has one, else "unknown" (the audit event's
    channel)."""
    if type(event) is tuple:  # the native reader's row of a valid event
        return event[4]
    if not isinstance(event, dict):
        channel = getattr(
            getattr(event, "context", None), "channel", None
        )  # a compiled type's event
        return channel if isinstance(channel, str) else "unknown"
    context = event.get("context")
    channel = context.get("channel") if isinstance(context, dict) else None
    return channel if isinstance(channel, str) else "unknown"


def audit_event(
    msgid: str, ver: Any, channel: str, syncts: int, accepted: int, refused: int, env: str
) -> dict[str, Any]:
    """The LOG event the extractor adds per batch (edata.type telemetry_audit), in the channel of
    its first event that is an object."""
    return {
        "eid": "LOG",
        "ets": syncts,
        "ver": "3.0",
        "mid": audit_mid(msgid),
        "actor": {"id": AUDIT_PRODUCER, "type": "System"},
        "context": {
            "channel": channel,
            "env": env,
            "pdata": {"id": AUDIT_PRODUCER, "pid": "extractor", "ver": "1.0"},
        },
        "edata": {
            "type": "telemetry_audit",
            "level": "INFO",
            "message": "telemetry batch extracted",
            "params": [
                {"ver": str(ver if ver is not None else "")},
                {"events_count": accepted},
                {"sync_status": "SUCCESS" if not refused else "PARTIAL"},
                {"msgid": msgid},
            ],
        },
        "syncts": syncts,
        "@timestamp": iso_timestamp(syncts),
    }


Decoded = Callable[
    [bytes], Any
]  # an event text -> its compiled type's event if that accepts it, else None


@dataclass
class MessageExtract:
    """One message's share of the extraction: each accepted event (an object within the size
    limit) with its JSON text, the batch's sync time and ``@timestamp`` added; the audit event;
    what failed, or that it was a duplicate batch. An accepted event is the native reader's row (a
    tuple: then it is valid), what its compiled type decoded (also valid) or, when both refused it
    or there is none, the parsed dict (checked later, by ``EventValidator.error``)."""

    msgid: str | None = None
    events: list[tuple[Any, bytes]] = field(default_factory=list)
    audit: tuple[dict[str, Any], bytes] | None = None
    failed: list[dict[str, Any]] = field(default_factory=list)
    duplicate: dict[str, Any] | None = None
    syncts: int | None = None  # the batch's sync time (None: the batch could not be used)
    events_count: int = 0  # entries of the batch's events list
    timestamp: str = ""  # the sync time as ``@timestamp``
    stamp: bytes = b""  # '"syncts":…,"@timestamp":"…"': the members every event gets

    def spliced(self, text: bytes) -> bytes:
        """The text of an object that has members but neither stamped one, stamped without parsing:
        the members added before its closing brace (the text stays as sent otherwise)."""
        return b"%s,%s}" % (text[:-1], self.stamp)

    def stamped(self, event: dict[str, Any], text: bytes) -> bytes:
        """A parsed event (``text`` as sent) with the stamped members set, replacing any it carried,
        and its text: spliced when it carried neither, else serialized again (which raises
        TypeError for nesting deeper than orjson writes, 255 levels)."""
        carried = not event or "syncts" in event or "@timestamp" in event
        event["syncts"], event["@timestamp"] = self.syncts, self.timestamp
        return orjson.dumps(event) if carried else self.spliced(text)


def duplicate_record(
    message: SourceMessage, msgid: str, syncts: int, events_count: int
) -> dict[str, Any]:
    """The ``extractor_duplicates`` record of a batch whose msgid was already seen."""
    return {
        "msgid": msgid,
        "mid": msgid,
        "reason": MSGID_DUPLICATE_REASON,
        "source": message.source,
        "syncts": syncts,
        "events_count": events_count,
        "payload": message.value,
    }


def _never(text: bytes) -> None:
    return None


_DIGIT_BLOCK = 154  # any run of 309 digits holds an aligned block of 154


def may_hold_huge_integer(value: bytes) -> bool:
    """Whether ``value`` may hold an integer of 309 digits or more: one msgspec decodes (as a Python
    int, where a schema leaves a value unconstrained) but orjson refuses (it reads integers beyond
    64 bits as doubles, and that one is infinite). Vectorized over aligned blocks (~0.5 µs per 1 KB
    event here); digits in a string that look alike only cost the exact path."""
    usable = len(value) // _DIGIT_BLOCK * _DIGIT_BLOCK
    if not usable:
        return False
    codes = np.frombuffer(value, np.uint8, count=usable)
    return bool(((codes - 48) < 10).reshape(-1, _DIGIT_BLOCK).all(axis=1).any())


def _read_event(text: bytes | None, decoded: Decoded) -> tuple[Any, str | None]:
    """(the event, None): its compiled type's event, or the dict orjson parsed; else (None, why it
    is not an event this platform can take)."""
    if text is None:
        return None, "is nested too deep to be written back as JSON"
    typed = decoded(text)
    if typed is not None:
        return typed, None
    try:
        event = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return None, f"is not JSON this platform can read: {exc}"
    if not isinstance(event, dict):
        return None, f"is a JSON {type(event).__name__}, not an object"
    return event, None


def _opened(
    frame: BatchFrame, msgid: str, message: SourceMessage, now_ms: int, events_count: int
) -> MessageExtract:
    """The extract of a usable, not duplicate batch before its events are read: msgid and stamp."""
    syncts = batch_syncts(frame.syncts, message, now_ms)
    timestamp = iso_timestamp(syncts)
    return MessageExtract(
        msgid=msgid,
        syncts=syncts,
        events_count=events_count,
        timestamp=timestamp,
        stamp=b'"syncts":%d,"@timestamp":"%s"' % (syncts, timestamp.encode()),
    )


def _reader(text: bytes | None, decoded: Decoded) -> Decoded:
    """``decoded``, unless the event text may hold an integer orjson cannot read: then orjson reads
    it (and refuses it if it cannot)."""
    return (
        _never
        if decoded is not _never and text is not None and may_hold_huge_integer(text)
        else decoded
    )


def _take(
    out: MessageExtract, message: SourceMessage, index: int, text: bytes | None, decoded: Decoded
) -> Any:
    """Read event ``index`` into ``out.events``, or with its reason into ``out.failed``; the event
    read (accepted or not), None when it could not be read."""
    event, reason = _read_event(text, decoded)
    if event is None:
        out.failed.append(_failed(f"event {index} {reason}"[:300], message, text or b""))
        return None
    assert text is not None  # _read_event reads no event from None
    if len(text) > MAX_EVENT_BYTES:
        out.failed.append(
            _failed(
                f"event {index} is {len(text)} bytes, over the {MAX_EVENT_BYTES}-byte limit",
                message,
                text,
            )
        )
    elif type(event) is not dict:  # valid: an object of the eid's declared members (none stamped)
        out.events.append((event, out.spliced(text)))
    else:
        try:
            out.events.append((event, out.stamped(event, text)))
        except TypeError as exc:
            out.failed.append(
                _failed(f"event {index} cannot be written back as JSON: {exc}"[:300], message, text)
            )
    return event


def _read(
    out: MessageExtract,
    message: SourceMessage,
    index: int,
    text: Any,
    decoded: Decoded,
    read_row: ReadRow | None,
) -> Any:
    """Read event ``index`` (its text as split, a ``msgspec.Raw`` view or bytes) into ``out``: by
    the native reader when it accepts it (its row, stamped text), else by ``_take``. The event read
    (a row, a compiled type's event or a dict), None when it could not be read."""
    if read_row is not None and text is not None and len(text) <= MAX_EVENT_BYTES:
        assert out.syncts is not None  # set by _opened
        hit = read_row(text, out.syncts, out.stamp)
        if hit is not None:
            out.events.append(hit)
            return hit[0]
    text = bytes(text) if type(text) is msgspec.Raw else text
    return _take(out, message, index, text, _reader(text, decoded))


def extract_message(
    message: SourceMessage,
    seen_msgids: set[str],
    now_ms: int,
    env: str,
    decoded: Decoded = _never,
    read_row: ReadRow | None = None,
) -> MessageExtract:
    """Extract one message (see the module docstring); ``seen_msgids`` grows with an accepted batch.
    msgspec splits the batch into its events' texts (``_split``, no copies); each event is read
    once: by ``read_row`` (``EventValidator.row_reader``) when the native reader accepts it, else by
    ``decoded`` (``EventValidator.valid_event``) when its compiled type does, else by orjson. An
    event orjson cannot read (nested too deep, a number beyond a double) or write back fails alone;
    an event's size is that of its text as sent."""
    frame, texts, reason = _split(message)
    if frame is None:
        return MessageExtract(failed=[_failed(reason or "unusable batch", message, message.value)])
    msgid = _msgid(frame.params)
    assert msgid is not None  # a usable batch has one (parse_batch)
    if msgid in seen_msgids:
        syncts = batch_syncts(frame.syncts, message, now_ms)
        return MessageExtract(
            duplicate=duplicate_record(message, msgid, syncts, len(texts)),
            syncts=syncts,
            events_count=len(texts),
        )
    seen_msgids.add(msgid)
    out = _opened(frame, msgid, message, now_ms, len(texts))
    first: Any = None
    for index, text in enumerate(texts):
        event = _read(out, message, index, text, decoded, read_row)
        first = event if first is None else first
    assert out.syncts is not None  # set by _opened
    audit = audit_event(
        msgid, frame.ver, channel_of(first), out.syncts, len(out.events), len(out.failed), env
    )
    out.audit = (audit, orjson.dumps(audit))
    return out


def batch_msgid(message: SourceMessage) -> str | None:
    """The msgid ``extract_message`` finds in the message; None when it is not a usable batch."""
    frame, _, _ = _split(message)
    return None if frame is None else _msgid(frame.params)


def extract_event(
    message: SourceMessage,
    index: int,
    now_ms: int,
    decoded: Decoded = _never,
    read_row: ReadRow | None = None,
) -> MessageExtract | None:
    """Event ``index`` of the message alone, read and stamped as ``extract_message`` reads it (in
    ``events`` when accepted, else in ``failed``; no audit event); None when the message is not a
    usable batch or has no such event. What the dedup window checks a candidate mid with: only
    that event's text is copied out of the message."""
    frame, texts, _ = _split(message)
    if frame is None or not 0 <= index < len(texts):
        return None
    text = texts[index]
    msgid = _msgid(frame.params)
    assert msgid is not None  # a usable batch has one (parse_batch)
    out = _opened(frame, msgid, message, now_ms, len(texts))
    _read(out, message, index, text, decoded, read_row)
    return out


def extract(
    messages: Iterable[SourceMessage], seen_msgids: set[str], now_ms: int, env: str
) -> Extracted:
    """Split ``messages`` into raw events (parsed by orjson and stamped, audit events included),
    duplicate batches and failures: the reference the hour step's one pass is tested against.
    ``seen_msgids`` holds the msgids already accepted within the dedup window; it grows with every
    accepted batch."""
    out = Extracted()
    for message in messages:
        one = extract_message(message, seen_msgids, now_ms, env)
        out.events.extend(event for event, _ in one.events)
        if one.audit is not None:
            out.events.append(one.audit[0])
        out.failed.extend(one.failed)
        if one.duplicate is not None:
            out.duplicates.append(one.duplicate)
        if one.msgid is not None:
            out.msgids.append(one.msgid)
    return out
