"""The original pipeline's workflow summaries (``ME_WORKFLOW_SUMMARY``), computed as Sunbird's
workflow summarizer ("wfs", the Spark ``WorkFlowSummaryModel``) computed them from a day of unique
events, so that what Druid's ``summary-events`` datasource and the dashboards read keeps its
meaning. No Dagster import. The rules, carried over as facts from the public Scala (not its code):

- Events without an eid and LOG, AUDIT and SEARCH are left out. The rest is grouped by device
  (``context.did``, "" when absent), ``context.channel`` and producer (``context.pdata.id``,
  ``no_value`` when absent), and each group is read in ``ets`` order.
- Summaries nest: a START opens one of its ``edata.type`` (lower-cased; "app" when absent) and
  ``edata.mode``; a START that is not "app" with nothing open also opens an "app" summary around
  it (that root counts the START twice, as the original does). A START of a type and mode already
  open (in the current summary or above it) closes that one. An END closes the summary of its type
  and mode and everything open inside it; an END matching nothing open is ignored (not counted).
  Any other event counts in the current summary and every one above it; with nothing open it opens
  an "app" summary.
- A gap of more than 30 minutes before an event that is not of type "app" closes the whole tree
  and starts it again with fresh counters.
- ``time_spent`` adds up the gaps between consecutive events (seconds, each rounded to 2 places,
  half up), a gap over the idle time (600 s) counting 0; ``time_diff`` is last minus first;
  interactions are INTERACT events of the 24 interaction types; ``page_summary`` counts a visit per
  IMPRESSION (by ``edata.pageid``) and credits the raw gaps to the last impression (the gap before a
  new impression twice, as the original does); ``env_summary`` sums page time per env with the
  largest page visit count as its count; ``item_responses`` has one item per ASSESS.
- A summary is written only when its time spent is above 0, and its inner summaries only with it.
- ``mid`` is the upper-case MD5 of ``ME_WORKFLOW_SUMMARY|<uid><type><mode>|<from>|<to>|SESSION|
  <object id or NA>|<pdata id>|<channel>``, so a re-run gives the same mids: the topics downstream
  see each summary once.

Arrays keep first-seen order (the original's came in hash-map order).
"""

import hashlib
import json
import time
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

SKIPPED_EIDS = frozenset({"LOG", "AUDIT", "SEARCH"})
DEFAULT_PDATA_ID = "no_value"  # the deployment's default.consumption.app.id
IDLE_TIME_S = 600
SESSION_BREAK_S = 30 * 60
INTERACT_TYPES = frozenset(
    "touch drag drop pinch zoom shake rotate speak listen write draw start end choose activate "
    "scroll click edit submit search dnd added removed selected".split()
)
PRODUCER = {"id": "AnalyticsDataPipeline", "ver": "1.0", "model": "WorkflowSummarizer"}

Event = dict[str, Any]


def round2(value: float) -> float:
    """Half up on the double's shortest decimal form (as Scala's ``BigDecimal(d).setScale``)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _edata(event: Event) -> dict[str, Any]:
    return _dict(event.get("edata"))


def _context(event: Event) -> dict[str, Any]:
    return _dict(event.get("context"))


def _type_of(event: Event) -> str | None:
    value = _edata(event).get("type")
    return value if isinstance(value, str) else None


def _mode_of(event: Event) -> str:
    value = _edata(event).get("mode")
    return value if isinstance(value, str) else ""


def _sync_ms(event: Event) -> int:
    """The event's sync time: its ``@timestamp`` (ISO), else its ``syncts``, else its ``ets``."""
    stamp = event.get("@timestamp")
    if isinstance(stamp, str) and stamp:
        try:
            return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            pass
    for name in ("syncts", "ets"):
        if isinstance(event.get(name), (int, float)):
            return int(event[name])
    return 0


class Summary:
    """One summary being built (its counters and its place in the tree)."""

    def __init__(self, first: Event):
        self.first = first
        context = _context(first)
        actor = _dict(first.get("actor"))
        self.pdata = _dict(context.get("pdata")) or {"id": DEFAULT_PDATA_ID, "ver": "1.0"}
        self.uid = str(actor.get("id") or "")
        first_type = _type_of(first)
        self.type = first_type.lower() if first_type is not None else "app"
        self.mode = _mode_of(first)
        self.start = int(first["ets"])
        self.prev_ets = self.start
        self.interactions = 1 if self._interaction(first) else 0
        self.events_count: dict[str, int] = {first["eid"]: 1}
        self.end = 0
        self.time_spent = 0.0
        self.time_diff = 0.0
        self.last: Event | None = None
        self.last_impression: int | None = None
        self.impressions: list[tuple[Event, float]] = []  # each visit and the time credited to it
        self.items: list[dict[str, Any]] = []
        self.children: list[Summary] = []
        self.parent: Summary | None = None
        self.closed = False
        self.emitted: list[dict[str, Any]] = []

    @staticmethod
    def _interaction(event: Event) -> bool:
        kind = _type_of(event)
        return (
            event.get("eid") == "INTERACT" and kind is not None and kind.lower() in INTERACT_TYPES
        )

    def root(self) -> "Summary":
        return self if self.parent is None else self.parent.root()

    def matches(self, kind: str | None, mode: str, mode_case_sensitive: bool = True) -> bool:
        same_mode = self.mode == mode if mode_case_sensitive else self.mode.lower() == mode.lower()
        return kind is not None and self.type.lower() == kind.lower() and same_mode

    def clear(self) -> None:
        """Fresh counters after a session break (the tree stays; the gap itself counts 0)."""
        self.start, self.interactions, self.last, self.end = 0, 0, None, 0
        self.items, self.time_spent, self.time_diff = [], 0.0, 0.0
        self.events_count, self.last_impression, self.impressions = {}, None, []
        self.emitted, self.closed = [], False

    def clear_all(self) -> None:
        for child in self.children:
            child.clear_all()
        self.clear()

    def add(self, event: Event) -> None:
        ets = int(event["ets"])
        if self.start == 0:
            self.start = ets
        gap = (ets - self.prev_ets) / 1000
        self.prev_ets = ets
        self.time_spent += round2(0 if gap > IDLE_TIME_S else gap)
        if self._interaction(event):
            self.interactions += 1
        self.events_count[event["eid"]] = self.events_count.get(event["eid"], 0) + 1
        if self.last_impression is not None:
            self._credit(self.last_impression, gap)
        if event.get("eid") == "IMPRESSION":
            same = next((i for i, (e, _) in enumerate(self.impressions) if e is event), None)
            if self.last_impression is not None:
                self._credit(self.last_impression, gap)  # the original credits this gap twice
            if same is None:
                self.impressions.append((event, 0.0))
                self.last_impression = len(self.impressions) - 1
            else:  # the same event object (the original's map is keyed by the object)
                self.impressions[same] = (event, 0.0)
                self.last_impression = same
        self.last = event
        self.end = ets
        self.time_diff = round2((self.end - self.start) / 1000)
        if event.get("eid") == "ASSESS":
            self.items.append(_item(event))
        if self.parent is not None:
            self.parent.add(event)

    def _credit(self, index: int, seconds: float) -> None:
        event, spent = self.impressions[index]
        self.impressions[index] = (event, spent + seconds)

    def attach_to(self, parent: "Summary") -> None:
        parent.children.append(self)
        self.parent = parent
        parent.add(self.first)

    def close(self) -> None:
        """Close the open summaries inside, then this one; kept only with time spent."""
        inner: list[dict[str, Any]] = []
        for child in self.children:
            if not child.closed:
                child.close()
                inner += child.emitted
        if self.time_spent > 0:
            self.emitted += inner
            self.emitted.append(self.event())
        self.closed = True

    def check_start(self, kind: str | None, mode: str) -> Optional["Summary"]:
        """Close and return the open summary of this type and mode here or above, if any."""
        if self.matches(kind, mode):
            self.close()
            return self
        return None if self.parent is None else self.parent.check_start(kind, mode)

    def has_similar(self, kind: str | None, mode: str) -> bool:
        if self.matches(kind, mode, mode_case_sensitive=False):
            return True
        return self.parent is not None and self.parent.has_similar(kind, mode)

    def end_target(self, event: Event) -> "Summary":
        """The summary an END returns to: the parent of the one it matches (the root itself when
        that is the root, or when nothing matches)."""
        kind, mode = _type_of(event), _mode_of(event)
        if self.matches(kind, mode):
            return self if self.parent is None else self.parent
        return self if self.parent is None else self.parent.end_target(event)

    def similar_end(self, event: Event) -> "Summary":
        kind, mode = _type_of(event), _mode_of(event)
        if self.matches(kind, mode) or self.parent is None:
            return self
        return self.parent.similar_end(event)

    def same_as(self, other: "Summary") -> bool:
        return (
            self.type.lower() == other.type.lower()
            and self.mode.lower() == other.mode.lower()
            and self.start == other.start
        )

    def pages(self) -> list[dict[str, Any]]:
        by_page: dict[Any, list[tuple[Event, float]]] = {}
        for event, spent in self.impressions:
            by_page.setdefault(_edata(event).get("pageid"), []).append((event, spent))
        return [
            {
                "id": page,
                "type": _edata(visits[0][0]).get("type"),
                "env": _context(visits[0][0]).get("env"),
                "time_spent": round2(sum(spent for _, spent in visits)),
                "visit_count": len(visits),
            }
            for page, visits in by_page.items()
        ]

    def event(self) -> dict[str, Any]:
        first, context = self.first, _context(self.first)
        channel, pages = context.get("channel"), self.pages()
        envs: dict[Any, list[dict[str, Any]]] = {}
        for page in pages:
            envs.setdefault(page["env"], []).append(page)
        obj = first.get("object") if isinstance(first.get("object"), dict) else None
        object_id = obj.get("id") if obj else None
        key = "|".join(
            [
                "ME_WORKFLOW_SUMMARY",
                f"{self.uid}{self.type}{self.mode}",
                str(self.start),
                str(self.end),
                "SESSION",
                _text(object_id) if obj is not None else "NA",
                _text(self.pdata.get("id")),
                _text(channel),
            ]
        )
        per_minute = (
            0.0
            if self.interactions == 0 or self.time_spent == 0
            else float(self.interactions)
            if self.time_spent < 60
            else float(
                Decimal(repr(self.interactions / (self.time_spent / 60))).quantize(
                    Decimal("0.01"), ROUND_HALF_UP
                )
            )
        )
        out_context: dict[str, Any] = {
            "pdata": dict(PRODUCER),
            "granularity": "SESSION",
            "date_range": {"from": self.start, "to": self.end},
        }
        for name in ("rollup", "cdata"):
            if context.get(name) is not None:
                out_context[name] = context[name]
        dimension_pdata = {"id": self.pdata.get("id"), "ver": self.pdata.get("ver") or "1.0"}
        if self.pdata.get("pid") is not None:
            dimension_pdata["pid"] = self.pdata["pid"]
        summary: dict[str, Any] = {
            "eid": "ME_WORKFLOW_SUMMARY",
            "ets": int(time.time() * 1000),
            "syncts": _sync_ms(self.last or first),
            "ver": "1.0",
            "mid": hashlib.md5(key.encode(), usedforsecurity=False).hexdigest().upper(),
            "uid": self.uid,
            "context": out_context,
            "dimensions": {
                "did": context.get("did") or "",
                "pdata": dimension_pdata,
                "sid": context.get("sid") or "",
                "channel": channel,
                "type": self.type,
                "mode": self.mode,
            },
            "edata": {
                "eks": {
                    "interact_events_per_min": per_minute,
                    "start_time": self.start,
                    "interact_events_count": self.interactions,
                    "item_responses": self.items,
                    "end_time": self.end,
                    "events_summary": [{"id": e, "count": c} for e, c in self.events_count.items()],
                    "page_summary": pages,
                    "time_diff": self.time_diff,
                    "telemetry_version": first.get("ver"),
                    "env_summary": [
                        {
                            "env": env,
                            "time_spent": round2(sum(p["time_spent"] for p in group)),
                            "count": max(p["visit_count"] for p in group),
                        }
                        for env, group in envs.items()
                    ],
                    "time_spent": round2(self.time_spent),
                }
            },
        }
        if first.get("tags") is not None:
            summary["tags"] = first["tags"]
        if obj is not None:
            summary["object"] = obj
        return summary


def _text(value: Any) -> str:
    return "null" if value is None else str(value)


def _item(event: Event) -> dict[str, Any]:
    edata = _edata(event)
    item = _dict(edata.get("item"))
    values: list[Any] = edata["resvalues"] if isinstance(edata.get("resvalues"), list) else []
    responses = [
        f"{k}:{v}" for value in values if isinstance(value, dict) for k, v in value.items()
    ]
    return {
        "itemId": item.get("id"),
        "timeSpent": edata.get("duration"),
        "res": responses,
        "resValues": values,
        "mc": item.get("mc"),
        "mmc": item.get("mmc"),
        "score": edata.get("score", 0),
        "time_stamp": event.get("ets"),
        "maxScore": item.get("maxscore"),
        "pass": edata.get("pass"),
        "qtitle": item.get("title"),
        "qdesc": item.get("desc"),
    }


def _hashable(value: Any) -> Any:
    """A grouping value as it is, or its JSON text when it is a list or an object."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def group_key(event: Event) -> tuple[Any, Any, Any]:
    context = _context(event)
    pdata = context.get("pdata") if isinstance(context.get("pdata"), dict) else None
    return (
        _hashable(context.get("did") or ""),
        _hashable(context.get("channel")),
        _hashable(pdata.get("id")) if pdata else DEFAULT_PDATA_ID,
    )


def summarize_group(events: list[Event]) -> list[dict[str, Any]]:  # noqa: C901, PLR0912
    """The summaries of one device x channel x producer's events."""
    ordered = sorted(
        (e for e in events if isinstance(e.get("ets"), (int, float))), key=lambda e: e["ets"]
    )
    out: list[dict[str, Any]] = []
    root: Summary | None = None
    current: Summary | None = None
    previous = ordered[0] if ordered else None
    for event in ordered:
        kind, mode = _type_of(event), _mode_of(event)
        assert previous is not None
        gap = (event["ets"] - previous["ets"]) / 1000
        if gap > SESSION_BREAK_S and (kind or "").lower() != "app":
            if current is not None and not current.closed:
                top = current.root()
                top.close()
                out += top.emitted
                top.clear_all()
                root = top
                current.clear()
        previous = event
        eid = event["eid"]
        if eid == "START":
            if root is None or root.closed:
                if (kind or "").lower() != "app":
                    root = Summary(event)
                    root.type, root.mode = "app", ""
                    current = Summary(event)
                    current.attach_to(root)
                else:
                    root = current = Summary(event)
            else:
                assert current is not None
                closed = current.check_start(kind, mode)
                if closed is None:
                    fresh = Summary(event)
                    if not current.closed:
                        fresh.attach_to(current)
                    current = fresh
                elif closed.parent is not None and closed.closed:
                    out += closed.emitted
                    current = Summary(event)
                    current.attach_to(closed.parent)
                else:
                    out += (current.parent or current).emitted
                    current = Summary(event)
                    if root.closed:
                        out += root.emitted
                        root = current
        elif eid == "END":
            if current is None or not current.has_similar(kind, mode):
                continue
            target = current.end_target(event)
            if current.parent is not None and target.same_as(current.parent):
                if not current.closed:
                    current.add(event)
                    current.close()
                    out += current.emitted
                    current = target
            elif root is not None and target.same_as(root):
                similar = current.similar_end(event)
                if similar.same_as(root):
                    root.add(event)
                    root.close()
                    out += root.emitted
                    current = root
                elif not similar.closed:
                    similar.add(event)
                    similar.close()
                    out += similar.emitted
                    current = target
            else:
                if not current.closed:
                    current.add(event)
                    current.close()
                    out += current.emitted
                current = target
        elif current is not None and not current.closed:
            current.add(event)
        else:
            current = Summary(event)
            current.type = "app"
            if root is None or root.closed:
                root = current
    if current is not None and not current.closed:
        current.close()
        out += current.emitted
        if root is not None and not current.same_as(root) and not root.closed:
            root.close()
            out += root.emitted
    unique: dict[int, dict[str, Any]] = {}
    for summary in out:  # the same summary reaches the output through its parents too
        unique.setdefault(id(summary), summary)
    return list(unique.values())


def summarize(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Every workflow summary of a day's unique events."""
    groups: dict[tuple[str, Any, Any], list[Event]] = {}
    for event in events:
        eid = event.get("eid")
        if not isinstance(eid, str) or eid in SKIPPED_EIDS:
            continue
        groups.setdefault(group_key(event), []).append(event)
    return [s for key in sorted(groups, key=repr) for s in summarize_group(groups[key])]


def once_per_mid(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first summary of each mid: the original's summary denormalization let one per mid
    through to Druid (a START without a type gives an "app" summary and its identical "app"
    wrapper)."""
    seen: set[str] = set()
    out = []
    for summary in summaries:
        if summary["mid"] not in seen:
            seen.add(summary["mid"])
            out.append(summary)
    return out
