"""Threshold profiles: rules on a metric record's ``actual_data`` that replace its status, as ARGO's
v3 batch job (``ThresholdManager``) applies them, quirks included. No Dagster import.

A rule (``metric``, optional ``host`` and ``endpoint_group``) holds performance-data style
expressions ``label=value[unit];warning;critical;min;max``. For a record whose metric has rules:

* the rule is looked up as the original does: ``group/host/metric`` when the host and the group
  appear in some rule and that key exists; ``/host/metric`` when the host appears in some rule but
  the group in none (even if that key does not exist: then no rule applies); else
  ``group//metric`` when that exists; else ``//metric``;
* each label of ``actual_data`` with a threshold in the rule gives WARNING when its value lies
  strictly inside the warning range, else CRITICAL when inside the critical range, else nothing
  (a value *inside* the range raises the state: the reverse of Nagios); ``@`` inverts a range;
  ``N`` is (0, N), ``N:`` is (N, +inf), ``~:N`` is (-inf, N), ``A:B`` is (A, B); values are 32-bit
  floats; a unit ``s``, ``%``, ``B``, ... is removed first;
* the labels' results combine with the operations profile's ``AND``; a non-empty result replaces
  the record's status, whatever it was.

Where the original job would stop with an exception (an unknown unit, a number it cannot read),
Weir leaves the record's status as it is. Rules are looked up with the group of the series' copy:
an endpoint in several groups has a copy of each metric series per group, as in the original.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from platform_assets.argo.profiles import ProfileError, pick_profile

_SPLIT = re.compile(r"(?:;|[ ]+)(?=[a-zA-Z])")
_UNITS = ("s", "us", "ms", "%", "B", "KB", "MB", "TB", "c")  # tried in the original's order


class Unreadable(ValueError):
    """An expression the original job would fail on."""


_JAVA_FLOAT = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)")


def java_float(text: str) -> np.float32:
    """``Float.parseFloat`` as far as performance data uses it (decimal, NaN, Infinity, an f/d
    suffix); anything else is unreadable."""
    body = text.strip()
    if not _JAVA_FLOAT.fullmatch(body):
        raise Unreadable(f"not a number: {text!r}")
    return np.float32(float(body.rstrip("fFdD").replace("Infinity", "inf")))


@dataclass(frozen=True)
class Range:
    floor: float = math.nan
    ceil: float = math.nan
    invert: bool = False

    def contains(self, value: np.float32) -> bool:
        inside = bool(value > np.float32(self.floor)) and bool(value < np.float32(self.ceil))
        return not inside if self.invert else inside


def parse_range(text: str) -> Range:
    if text.replace(" ", "") == "":
        return Range()
    invert = text.startswith("@")
    body = text[1:] if invert else text
    if ":" not in body:
        return Range(0.0, float(java_float(body)), invert)
    if body.endswith(":"):
        return Range(float(java_float(body[:-1])), math.inf, invert)
    parts = [p for p in body.split(":")]
    while parts and parts[-1] == "":
        parts.pop()
    if len(parts) == 2:
        floor = -math.inf if parts[0].lower() == "~" else float(java_float(parts[0]))
        return Range(floor, float(java_float(parts[1])), invert)
    raise Unreadable(f"invalid threshold range {text!r}")


def _unit(value: str) -> str:
    if value[-1].isdigit():
        return ""
    for unit in _UNITS:
        if value.endswith(unit):
            return unit
    raise Unreadable(f"invalid unit of measurement: {value!r}")


@dataclass(frozen=True)
class Threshold:
    label: str
    value: np.float32
    warning: Range
    critical: Range

    def status_for(self, value: np.float32) -> str:
        if not np.isfinite(self.value):
            return ""
        if self.warning.contains(value):
            return "WARNING"
        if self.critical.contains(value):
            return "CRITICAL"
        return ""


def parse_expression(token: str) -> Threshold:
    """One ``label=value[unit];warning;critical;min;max`` (trailing empty parts dropped, as Java's
    ``split`` drops them)."""
    parts = token.split("=")
    while parts and parts[-1] == "":
        parts.pop()
    if len(parts) != 2:
        return Threshold("", np.float32("nan"), Range(), Range())
    fields = parts[1].split(";")
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    if not fields[0]:
        raise Unreadable(f"no value in {token!r}")
    unit = _unit(fields[0])
    value = java_float(fields[0].replace(unit, "") if unit else fields[0])
    warning = parse_range(fields[1]) if len(fields) > 1 else Range()
    critical = parse_range(fields[2]) if len(fields) > 2 else Range()
    for extra in fields[3:5]:
        java_float(extra)  # min and max: read (the original fails on a bad one), not used
    return Threshold(parts[0], value, warning, critical)


def parse_thresholds(text: str) -> dict[str, Threshold]:
    out = {}
    for token in _SPLIT.split(text):
        threshold = parse_expression(token)
        out[threshold.label] = threshold
    return out


def values_of(actual_data: str) -> dict[str, np.float32]:
    return {t.label: t.value for t in map(parse_expression, _SPLIT.split(actual_data))}


@dataclass
class ThresholdRules:
    rules: dict[str, dict[str, Threshold]] = field(default_factory=dict)
    metrics: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)  # each rule's thresholds as written

    def rule_for(self, group: str, host: str, metric: str) -> str:
        if metric not in self.metrics:
            return ""
        if host in self.hosts:
            if group in self.groups:
                key = f"{group}/{host}/{metric}"
                if key in self.rules:
                    return key
            else:
                return f"/{host}/{metric}"
        if group in self.groups and f"{group}//{metric}" in self.rules:
            return f"{group}//{metric}"
        return f"//{metric}"

    def status(self, group: str, host: str, metric: str, actual_data: str, combine: Any) -> str:
        """The status the rules give (``""``: keep the record's). ``combine(a, b)`` is the
        operations profile's AND on state names."""
        thresholds = self.rules.get(self.rule_for(group, host, metric))
        if not thresholds:
            return ""
        status = ""
        for label, value in values_of(actual_data).items():
            if label not in thresholds:
                continue
            found = thresholds[label].status_for(value)
            if status == "":
                status = found
            elif found:
                status = combine(status, found)
        return status


def parse_thresholds_profile(
    data: Any, profile: tuple[str, str] | None = None, used: bool = True
) -> ThresholdRules | None:
    """The profile's rules; None when there is none (an empty snapshot) or when the report's
    config names no thresholds profile (``used`` false: ARGO's job then applies none). With
    ``profile`` (id, name from the report's config) the profile with that id."""
    if not used:
        return None
    if data in (None, [], {}):
        if profile is not None:
            raise ProfileError(
                f"thresholds_profile: the report's config names profile id {profile[0]!r} "
                "(field profiles[].id); the snapshot holds none"
            )
        return None
    if profile is not None:
        doc = pick_profile("thresholds_profile", data, "", profile)
    else:
        doc = data[0] if isinstance(data, list) and len(data) == 1 else data
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise ProfileError("thresholds_profile: expected {'rules': [...]}")
    out = ThresholdRules()
    for rule in doc["rules"]:
        try:
            metric = rule["metric"]
            host, group = rule.get("host", ""), rule.get("endpoint_group", "")
            out.rules[f"{group}/{host}/{metric}"] = parse_thresholds(rule["thresholds"])
            out.texts[f"{group}/{host}/{metric}"] = str(rule["thresholds"])
        except (Unreadable, KeyError, TypeError, AttributeError) as exc:
            raise ProfileError(f"thresholds_profile: rule {rule!r}: {exc}") from None
        out.metrics.add(metric)
        if host:
            out.hosts.add(host)
        if group:
            out.groups.add(group)
    return out
