"""Denormalization: enrich routed events from dimension tables (device, user, content, dialcode).

For each kind that applies to an event, the dimension row is attached (``devicedata``, ``userdata``,
``contentdata``, ``dialcodedata``) and ``flags.<kind>_denorm`` says whether it was found; a miss
never drops the event. The event's location (``derivedlocationdata``: state, district and where
they came from) is derived from those rows: the user's profile first, as the person may use a shared
device, else the device's; ``flags.location_denorm`` says whether one was found, for any event with
a device or a user. Events older than ``max_age_days`` (default 3 months) before their sync
time are dropped and counted; an ``ets`` in the future of its sync day is capped at the end of that
day (UTC), with ``flags.ets_capped``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_MAX_AGE_DAYS = 92
KINDS = ("device", "user", "content", "dialcode")
LOCATION = "location"  # derived from the user and device rows, not looked up

Lookup = Callable[[str, list[str]], Mapping[str, dict[str, Any]]]  # (kind, keys) -> {key: row}


def dimension_key(kind: str, event: dict[str, Any]) -> str | None:
    """The key of ``kind`` for an event, or None when the kind does not apply to it."""
    if kind == "device":
        did = (event.get("context") or {}).get("did")
        return did if isinstance(did, str) and did else None
    if kind == "user":
        actor = event.get("actor") or {}
        return (
            actor.get("id")
            if str(actor.get("type", "")).lower() == "user" and actor.get("id")
            else None
        )
    obj = event.get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        return None
    is_dialcode = str(obj.get("type", "")).lower() in ("dialcode", "qr")
    if kind == "dialcode":
        return obj["id"].upper() if is_dialcode else None
    return None if is_dialcode else obj["id"]  # content


@dataclass
class Denormalized:
    events: list[dict[str, Any]] = field(default_factory=list)
    dropped_too_old: int = 0
    capped_future: int = 0
    misses: dict[str, int] = field(default_factory=lambda: {k: 0 for k in (*KINDS, LOCATION)})
    hits: dict[str, int] = field(default_factory=lambda: {k: 0 for k in (*KINDS, LOCATION)})


def derived_location(userdata: Any, devicedata: Any) -> dict[str, Any] | None:
    """State and district from the user's row, else the device's (a row with a state), or None."""
    for source, row in (("user", userdata), ("device", devicedata)):
        if isinstance(row, dict) and isinstance(row.get("state"), str) and row["state"]:
            return {"state": row["state"], "district": row.get("district"), "from": source}
    return None


def end_of_day_ms(epoch_ms: int) -> int:
    day = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).date()
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return int(end.timestamp() * 1000) - 1


def summary_dimension_key(kind: str, summary: dict[str, Any]) -> str | None:
    """The key of ``kind`` for a workflow summary, as the original's summary denormalization read
    it: the device from ``dimensions.did`` (else ``context.did``), the user from ``uid`` whatever
    the actor's type, content and dialcode from the object as for events."""
    if kind == "device":
        dims = summary.get("dimensions") or {}
        did = dims.get("did") if isinstance(dims, dict) else None
        did = did or (summary.get("context") or {}).get("did")
        return did if isinstance(did, str) and did else None
    if kind == "user":
        uid = summary.get("uid")
        return uid if isinstance(uid, str) and uid else None
    return dimension_key(kind, summary)


def denormalize(
    events: list[dict[str, Any]],
    lookup: Lookup,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    key_of: Callable[[str, dict[str, Any]], str | None] = dimension_key,
    time_rules: bool = True,
) -> Denormalized:
    """``key_of``: how an event's dimension keys are read (``summary_dimension_key`` for
    summaries); ``time_rules``: drop too old and cap future ``ets`` (events, not summaries, whose
    ``ets`` is when they were computed)."""
    out = Denormalized()
    max_age_ms = max_age_days * 86_400_000
    kept = []
    for event in events:
        syncts = int(event.get("syncts") or 0)
        ets = event.get("ets")
        if time_rules and isinstance(ets, (int, float)) and syncts and ets < syncts - max_age_ms:
            out.dropped_too_old += 1
            continue
        kept.append(event)
    event_keys = [{kind: key_of(kind, e) for kind in KINDS} for e in kept]
    wanted = {
        kind: sorted({key for k in event_keys if (key := k[kind]) is not None}) for kind in KINDS
    }
    found = {kind: lookup(kind, wanted[kind]) if wanted[kind] else {} for kind in KINDS}
    for event, keys in zip(kept, event_keys, strict=True):
        enriched = dict(event)
        flags = dict(enriched.get("flags") or {}) if isinstance(enriched.get("flags"), dict) else {}
        syncts = int(event.get("syncts") or 0)
        if (
            time_rules
            and syncts
            and isinstance(event.get("ets"), (int, float))
            and event["ets"] > end_of_day_ms(syncts)
        ):
            enriched["ets"] = end_of_day_ms(syncts)
            flags["ets_capped"] = True
            out.capped_future += 1
        for kind, key in keys.items():
            if key is None:
                continue
            row = found[kind].get(key)
            flags[f"{kind}_denorm"] = row is not None
            if row is not None:
                enriched[f"{kind}data"] = row
                out.hits[kind] += 1
            else:
                out.misses[kind] += 1
        if keys["device"] is not None or keys["user"] is not None:
            location = derived_location(enriched.get("userdata"), enriched.get("devicedata"))
            flags["location_denorm"] = location is not None
            if location is not None:
                enriched["derivedlocationdata"] = location
            (out.hits if location is not None else out.misses)[LOCATION] += 1
        enriched["flags"] = flags
        out.events.append(enriched)
    return out
