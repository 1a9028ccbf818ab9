"""What the dedup window saw before an hour, from the earlier hours' landing files alone.

An hour's dedup state is the earlier hours' *facts*: the msgids of their usable batches and the
mids of their schema-valid events (duplicates included). Facts are a function of an hour's landing
files only, not of its dedup, so they do not depend on whether, or in which order, the earlier
hours were processed: hours launched together (automation after one ingest run, a backfill) give
the outputs they would give one after the other (tested).

Each hour's step records its facts with the landing files they cover (``facts_table``, published
with its outputs). An hour reads
an earlier hour's record when it covers all of that hour's landing files; otherwise (not processed
yet, running now, or a late batch waiting for its re-run) it looks at the landing files itself:
a fast scan (msgspec, skipping everything but msgids and mids: ~0.4 s for 250k events against
~1.8 s for orjson) lists the candidates and where each sits, and only an event holding a candidate
an hour asks about is read and checked exactly, alone, as its own step would (its batch's msgid for
a candidate msgid). The answer is the same either way. A scanned hour's messages stay in memory for
those checks (~250 MB for a 250k-event hour), only in a step whose earlier hour is not processed
yet. In the benchmark, 1 % of events re-sent at random put a candidate in most batches of the hour
before: checking whole batches made a scanning hour ~1-1.7 s (CPU) slower than one reading a
record; checking single events, ~0.5-0.75 s (``ScannedHour``).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
import pyarrow as pa

from platform_assets.telemetry import landing
from platform_assets.telemetry.extraction import SourceMessage, audit_mid, batch_msgid
from platform_assets.telemetry.hour_processing import checked_events, valid_event_at
from platform_assets.telemetry.validation import EventValidator
from resources.model.lake import LakeReader

LANDING_FILES = b"weir.landing_files"
MSGID, MID = "msgid", "mid"


def facts_key(hour: str) -> str:
    return f"telemetry/dedup_facts/{hour}.parquet"


def facts_table(msgids: Iterable[str], mids: Iterable[str], landing_files: list[str]) -> pa.Table:
    """An hour's facts, with the landing files they come from in the schema metadata."""
    msgids, mids = list(dict.fromkeys(msgids)), list(dict.fromkeys(mids))
    schema = pa.schema(
        [("kind", pa.string()), ("id", pa.string())],
        metadata={LANDING_FILES: json.dumps(sorted(landing_files))},
    )
    return pa.table(
        {"kind": [MSGID] * len(msgids) + [MID] * len(mids), "id": msgids + mids}, schema=schema
    )


def recorded_facts(
    lake: LakeReader, hour: str, files: list[str] | None = None
) -> tuple[set[str], set[str]] | None:
    """The hour's recorded (msgids, mids) when they cover every landing file it has (``files``: its
    listing, when the caller has it), else None."""
    files = lake.list(landing.landing_dir(hour)) if files is None else files
    if not files:
        return set(), set()
    if not lake.exists(facts_key(hour)):
        return None
    file = lake.parquet_file(facts_key(hour))
    covered = set(json.loads((file.schema_arrow.metadata or {}).get(LANDING_FILES, b"[]")))
    if not covered.issuperset(files):
        return None
    table = file.read()
    kinds, ids = table.column("kind").to_pylist(), table.column("id").to_pylist()
    return {i for k, i in zip(kinds, ids, strict=True) if k == MSGID}, {
        i for k, i in zip(kinds, ids, strict=True) if k == MID
    }


class _EventMid(msgspec.Struct):
    mid: Any = None


class _Scan(msgspec.Struct):
    params: Any = None  # small: decoded whole
    events: list[_EventMid] = []


_SCAN = msgspec.json.Decoder(_Scan)


@dataclass
class BatchFacts:
    msgid: str | None  # None: not a usable batch
    mids: set[str]  # of its schema-valid events (its audit event included)


def batch_facts(
    message: SourceMessage, validator: EventValidator, now_ms: int, env: str
) -> BatchFacts:
    """One batch's facts, exactly as its hour's step finds them (``checked_events``)."""
    checked = checked_events(message, validator, now_ms, env)
    return BatchFacts(
        checked.extract.msgid,
        {row[0] for row, error in zip(checked.rows, checked.errors, strict=True) if error is None},
    )


# a candidate place checked by its batch's facts (its audit event; a batch the scan could not read)
WHOLE_BATCH = -1
_POSITION_BITS = 32


def place_of(index: int, position: int) -> int:
    """A candidate's place (batch, event position or WHOLE_BATCH) as one int: a 250k-event hour
    holds 250k places, and a list of tuples per mid cost ~0.6 s of a scanning step's CPU (~0.15 s
    as ints, most mids having one place)."""
    return index << _POSITION_BITS | (position + 1)


def batch_and_position(place: int) -> tuple[int, int]:
    return place >> _POSITION_BITS, (place & ((1 << _POSITION_BITS) - 1)) - 1


class ScannedHour:
    """An earlier hour's facts from its landing files: candidates from a scan, checked on demand.

    A candidate mid is checked where the scan saw it: that one event of its batch, read and checked
    alone as the step reads it (``valid_event_at``, ~0.2 ms), not the whole batch (~1.5 ms for
    100 events). Re-sent mids scattered over the hours put a candidate in most batches of the hour
    before, so checking whole batches meant parsing much of that hour again. An audit event's
    validity depends on its batch's first event, and a batch the scan could not read has no event
    positions: those are checked by the batch's facts (``batch_facts``)."""

    def __init__(
        self,
        messages: list[SourceMessage],
        validator: EventValidator,
        now_ms: int,
        env: str,
        hour: str = "",
    ) -> None:
        self.hour = hour
        self._messages, self._validator, self._now_ms, self._env = messages, validator, now_ms, env
        self._exact: dict[int, BatchFacts] = {}
        self.msgid_batches: dict[str, list[int]] = {}
        self.mid_places: dict[
            str, int | list[int]
        ] = {}  # mid -> its place (place_of), or its places
        places = self.mid_places
        for index, message in enumerate(messages):
            try:
                scan = _SCAN.decode(message.value or b"")
            except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
                self._index(
                    index, self._facts(index)
                )  # odd but maybe usable (a non-object event, deep nesting)
                continue
            msgid = scan.params.get(MSGID) if isinstance(scan.params, dict) else None
            if isinstance(msgid, str) and msgid:
                self.msgid_batches.setdefault(msgid, []).append(index)
                self._add(audit_mid(msgid), place_of(index, WHOLE_BATCH))
            first = place_of(index, 0)
            for position, event in enumerate(scan.events):
                mid = event.mid
                if isinstance(mid, str):
                    if mid in places:
                        self._add(mid, first + position)
                    else:
                        places[mid] = first + position

    def _add(self, mid: str, place: int) -> None:
        known = self.mid_places.get(mid)
        if known is None:
            self.mid_places[mid] = place
        elif isinstance(known, int):
            self.mid_places[mid] = [known, place]
        else:
            known.append(place)

    def _index(self, index: int, facts: BatchFacts) -> None:
        if facts.msgid is not None:
            self.msgid_batches.setdefault(facts.msgid, []).append(index)
        for mid in facts.mids:
            self._add(mid, place_of(index, WHOLE_BATCH))

    def _facts(self, index: int) -> BatchFacts:
        if index not in self._exact:
            self._exact[index] = batch_facts(
                self._messages[index], self._validator, self._now_ms, self._env
            )
        return self._exact[index]

    def _holds(self, mid: str, place: int) -> bool:
        index, position = batch_and_position(place)
        if position == WHOLE_BATCH or index in self._exact:
            return mid in self._facts(index).mids
        return valid_event_at(self._messages[index], position, self._validator, self._now_ms)

    def saw_msgid(self, msgid: str) -> bool:
        return any(
            batch_msgid(self._messages[i]) == msgid for i in self.msgid_batches.get(msgid, ())
        )

    def saw_mid(self, mid: str) -> bool:
        places = self.mid_places.get(mid)
        if places is None:
            return False
        if isinstance(places, int):
            return self._holds(mid, places)
        return any(self._holds(mid, place) for place in places)


class DedupWindow:
    """What the earlier hours of a window saw: recorded facts (as sets) and scanned hours."""

    def __init__(self) -> None:
        self.msgids: set[str] = set()
        self.mids: set[str] = set()
        self.scanned: list[ScannedHour] = []

    def saw_msgid(self, msgid: str) -> bool:
        return any(hour.saw_msgid(msgid) for hour in self.scanned)

    def saw_mid(self, mid: str) -> bool:
        for (
            hour
        ) in self.scanned:  # asked for every valid event of the hour: a loop, not a generator
            if hour.saw_mid(mid):
                return True
        return False


def window_before(
    lake: LakeReader, hours: list[str], validator: EventValidator, env: str
) -> DedupWindow:
    """The window of ``hours`` (the earlier hours of one hour's window): each by its record, or
    scanned from its landing files."""
    window = DedupWindow()
    for hour in hours:
        files = lake.list(landing.landing_dir(hour))
        recorded = recorded_facts(lake, hour, files)
        if recorded is not None:
            window.msgids |= recorded[0]
            window.mids |= recorded[1]
            continue
        messages = list(landing.messages_of([lake.parquet_file(f) for f in files]))
        window.scanned.append(
            ScannedHour(messages, validator, landing.hour_start_ms(hour), env, hour=hour)
        )
    return window
