"""When a sensor records operational state as an observation (sensors/observations.py)."""

import time

import dagster as dg

from sensors.observations import observation_due, observe_if_due

KEY = dg.AssetKey(["streaming", "metric_stream"])


def test_recorded_on_change_or_when_the_latest_is_old():
    with dg.instance_for_test() as instance:
        assert observation_due(instance, KEY, {"state/acme": "RUNNING"})  # nothing recorded yet
        [event] = observe_if_due(instance, KEY, {"state/acme": dg.MetadataValue.text("RUNNING")},
                                 {"state/acme": "RUNNING"}, "acme RUNNING")
        instance.report_runless_asset_event(event)
        assert not observation_due(instance, KEY, {"state/acme": "RUNNING"})
        assert observation_due(instance, KEY, {"state/acme": "FAILED"})
        assert observation_due(instance, KEY, {"state/acme": "RUNNING"}, every_s=600, now=time.time() + 601)
        assert observe_if_due(instance, KEY, {}, {"state/acme": "RUNNING"}, "unchanged") == []
