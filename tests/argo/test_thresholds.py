"""Threshold profiles as ARGO's job applies them: rule lookup quirks, ranges, units, combination."""

import numpy as np
import pytest

from platform_assets.argo.profiles import ProfileError
from platform_assets.argo.thresholds import (
    Unreadable,
    parse_expression,
    parse_range,
    parse_thresholds_profile,
)

pytestmark = pytest.mark.fast


def _and(a: str, b: str) -> str:
    order = ["OK", "WARNING", "UNKNOWN", "CRITICAL"]
    return max(a, b, key=order.index)


def test_ranges_are_strict_and_invertible():
    assert parse_range("10").contains(np.float32(5)) and not parse_range("10").contains(np.float32(10))
    assert parse_range("10:").contains(np.float32(11)) and not parse_range("10:").contains(np.float32(10))
    assert parse_range("~:0").contains(np.float32(-1))
    assert parse_range("1:2").contains(np.float32(1.5)) and not parse_range("@1:2").contains(np.float32(1.5))
    assert not parse_range("").contains(np.float32(0))  # an empty range never matches


def test_a_value_inside_a_range_raises_the_state():
    threshold = parse_expression("time=1s;0:0.5;0.5:1;0;10")
    assert threshold.status_for(np.float32(0.2)) == "WARNING"
    assert threshold.status_for(np.float32(0.7)) == "CRITICAL"
    assert threshold.status_for(np.float32(5)) == ""
    assert parse_expression("time=0.051426s;;;0.000000;60.000000").value == np.float32(0.051426)
    with pytest.raises(Unreadable):
        parse_expression("time=10ms;1;2")  # the original reads the unit as "s" and fails


def test_the_rule_lookup_follows_the_original():
    rules = parse_thresholds_profile({"rules": [
        {"metric": "m", "thresholds": "t=1;0:5"},
        {"metric": "m", "host": "h1", "thresholds": "t=1;0:9"},
        {"metric": "m", "endpoint_group": "G", "thresholds": "t=1;;0:5"},
    ]})
    assert rules.rule_for("X", "h2", "m") == "//m"
    assert rules.rule_for("G", "h2", "m") == "G//m"
    assert rules.rule_for("X", "h1", "m") == "/h1/m"
    assert rules.rule_for("G", "h1", "m") == "G//m"  # G/h1/m does not exist: falls through
    assert rules.rule_for("G", "h1", "other") == ""
    assert rules.status("X", "h2", "m", "t=3", _and) == "WARNING"
    assert rules.status("G", "h2", "m", "t=3", _and) == "CRITICAL"
    assert rules.status("X", "h1", "m", "t=7 other=1", _and) == "WARNING"
    assert rules.status("X", "h2", "m", "t=7", _and) == ""  # outside both ranges: status kept


def test_labels_combine_with_and():
    rules = parse_thresholds_profile({"rules": [{"metric": "m", "thresholds": "a=1;0:5 b=1;;0:5"}]})
    assert rules.status("G", "h", "m", "a=1;b=1", _and) == "CRITICAL"
    assert rules.status("G", "h", "m", "a=9 b=1", _and) == "CRITICAL"
    assert rules.status("G", "h", "m", "a=1 b=9", _and) == "WARNING"


def test_a_broken_profile_is_a_clear_error():
    with pytest.raises(ProfileError, match="thresholds_profile: rule"):
        parse_thresholds_profile({"rules": [{"metric": "m", "thresholds": "t=1;0:y"}]})
    assert parse_thresholds_profile([]) is None
