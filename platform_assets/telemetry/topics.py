"""Which Kafka topics each routed stream is produced to: the original pipeline's names by default,
configurable per deployment. No Dagster import.

The original Flink jobs wrote (keys of their ``kafka.output.*`` configs): the extractor
``{env}.telemetry.raw`` (every event but LOG, which went straight to ``{env}.druid.events.log``),
the preprocessor ``{env}.telemetry.unique`` (unique events but LOG, ERROR and iGOT's CB_AUDIT),
``{env}.telemetry.error``, ``{env}.telemetry.audit`` and iGOT's ``{env}.telemetry.cb.audit``,
denormalization ``{env}.telemetry.denorm`` and the Druid validator ``{env}.druid.events.telemetry``;
the workflow summarizer ``{env}.telemetry.derived`` and the summary denormalization
``{env}.druid.events.summary``.

``WEIR_TELEMETRY_TOPICS`` (JSON) replaces the topics of the streams it names, e.g.
``{"routed_events": ["{env}.telemetry.unique", {"topic": "{env}.x", "only_eids": ["CB_AUDIT"]}]}``.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")


@dataclass(frozen=True)
class TopicRoute:
    """One topic a stream goes to (``{env}`` stands for the deployment's env), and which of the
    stream's events: all, all but ``skip_eids``, or only ``only_eids``."""

    topic: str
    skip_eids: frozenset[str] = frozenset()
    only_eids: frozenset[str] | None = None

    def name(self, env: str) -> str:
        return self.topic.replace("{env}", env)

    def takes(self, eid: str | None) -> bool:
        if self.only_eids is not None:
            return eid in self.only_eids
        return eid not in self.skip_eids


DEFAULT_ROUTES: dict[str, tuple[TopicRoute, ...]] = {
    "raw_events": (TopicRoute("{env}.telemetry.raw", skip_eids=frozenset({"LOG"})),),
    "routed_events": (
        TopicRoute("{env}.telemetry.unique", skip_eids=frozenset({"SHARE_ITEM", "CB_AUDIT"})),
        TopicRoute("{env}.telemetry.cb.audit", only_eids=frozenset({"CB_AUDIT"})),
    ),
    "druid_log_events": (TopicRoute("{env}.druid.events.log"),),
    "druid_error_events": (TopicRoute("{env}.telemetry.error"),),
    "audit_events": (TopicRoute("{env}.telemetry.audit"),),
    "denorm_events": (
        TopicRoute("{env}.telemetry.denorm"),
        TopicRoute("{env}.druid.events.telemetry"),
    ),
    # the daily workflow summaries (ME_WORKFLOW_SUMMARY, workflow_summaries.py) as the summarizer
    # wrote them, and denormalized as the summary denormalization job sent them to Druid
    "workflow_summaries": (TopicRoute("{env}.telemetry.derived"),),
    "summary_denorm_events": (TopicRoute("{env}.druid.events.summary"),),
}
# where a stream was produced before topics followed the original names: its record of produced
# mids (telemetry/produced/<stream>/<hour>) still counts for the same topic, so nothing is re-sent
LEGACY_TOPICS = {
    "routed_events": "{env}.telemetry.unique",
    "druid_log_events": "{env}.druid.events.log",
    "druid_error_events": "{env}.druid.events.error",
    "audit_events": "{env}.telemetry.audit",
    "denorm_events": "{env}.telemetry.denorm",
}


class TopicsError(ValueError):
    """``WEIR_TELEMETRY_TOPICS`` is not a usable topic map."""


def _route(stream: str, raw: Any) -> TopicRoute:
    if isinstance(raw, str):
        return TopicRoute(raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("topic"), str):
        raise TopicsError(f"{stream}: a topic is a name or {{topic, skip_eids, only_eids}}")
    unknown = set(raw) - {"topic", "skip_eids", "only_eids"}
    if unknown:
        raise TopicsError(f"{stream}: unknown keys {sorted(unknown)}")
    lists = {}
    for key in ("skip_eids", "only_eids"):
        value = raw.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(e, str) for e in value)
        ):
            raise TopicsError(f"{stream}: {key} must be a list of eids")
        lists[key] = frozenset(value) if value is not None else None
    return TopicRoute(raw["topic"], lists["skip_eids"] or frozenset(), lists["only_eids"])


def topic_routes(override: str = "") -> dict[str, tuple[TopicRoute, ...]]:
    """The default routes with the streams ``override`` (JSON) names replaced."""
    routes = dict(DEFAULT_ROUTES)
    if not override.strip():
        return routes
    try:
        raw = json.loads(override)
    except json.JSONDecodeError as exc:
        raise TopicsError(f"WEIR_TELEMETRY_TOPICS is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise TopicsError("WEIR_TELEMETRY_TOPICS must map stream names to lists of topics")
    for stream, entries in raw.items():
        if stream not in DEFAULT_ROUTES:
            raise TopicsError(f"unknown stream {stream!r} (known: {', '.join(DEFAULT_ROUTES)})")
        if not isinstance(entries, list):
            raise TopicsError(f"{stream}: expected a list of topics")
        routes[stream] = tuple(_route(stream, e) for e in entries)
    return routes


def problems(routes: Mapping[str, Sequence[TopicRoute]], env: str) -> list[str]:
    """Topic names that Kafka would refuse, after ``{env}`` is filled in, and a topic two routes
    share (each topic keeps one record of what it was sent, and one Secor folder)."""
    found = [
        f"{stream}: {route.name(env)[:80]!r} is not a Kafka topic name"
        for stream, entries in routes.items()
        for route in entries
        if not TOPIC_NAME.fullmatch(route.name(env))
    ]
    owners: dict[str, str] = {}
    for stream, entries in routes.items():
        for route in entries:
            topic = route.name(env)
            if topic in owners:
                found.append(
                    f"{stream}: topic {topic[:80]!r} is also {owners[topic]}'s: "
                    "one stream per topic"
                )
            owners.setdefault(topic, stream)
    return found
