"""Operational state recorded as asset observations, without flooding the event log.

A sensor that reads some state on every tick (a topic's lag, a Flink job's state) records it as
an ``AssetObservation`` only when it changed since the asset's latest observation, or when that
observation is older than ``every_s``: the plot stays continuous and quiet periods cost one event
per interval, not one per tick.
"""

import time
from collections.abc import Mapping

import dagster as dg

OBSERVE_EVERY_S = 600.0


def _latest(instance: dg.DagsterInstance, key: dg.AssetKey) -> tuple[float, dict] | None:
    records = instance.fetch_observations(key, limit=1).records
    if not records or records[0].asset_observation is None:
        return None
    metadata = records[0].asset_observation.metadata
    return records[0].timestamp, {k: v.value for k, v in metadata.items()}


def observation_due(
    instance: dg.DagsterInstance,
    key: dg.AssetKey,
    values: Mapping[str, object],
    every_s: float = OBSERVE_EVERY_S,
    now: float | None = None,
) -> bool:
    """Whether ``values`` should be recorded on ``key`` now: they differ from the latest
    observation's, or it is older than ``every_s`` (or there is none)."""
    latest = _latest(instance, key)
    if latest is None:
        return True
    at, seen = latest
    changed = any(seen.get(name) != value for name, value in values.items())
    return changed or (now if now is not None else time.time()) - at >= every_s


def observe_if_due(
    instance: dg.DagsterInstance,
    key: dg.AssetKey,
    metadata: Mapping[str, dg.MetadataValue],
    compared: Mapping[str, object],
    description: str,
    every_s: float = OBSERVE_EVERY_S,
) -> list[dg.AssetObservation]:
    """An observation of ``key`` carrying ``metadata`` when ``compared`` (the values that matter)
    changed or the interval passed; else nothing."""
    if not observation_due(instance, key, compared, every_s):
        return []
    return [dg.AssetObservation(asset_key=key, metadata=dict(metadata), description=description)]
