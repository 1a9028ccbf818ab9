"""The previous day's records a report-day can use: each series' last records, and no more.
No Dagster import.

Of day D-1, the kernel takes each series' last record (its status carried into D) and
``status_metrics`` the same record (the first row's previous state). Keeping all of D-1 in memory
for that is half a run's footprint. ``carried_candidates`` keeps, per (service, hostname, metric),
the records at the last second a report could carry, for every report of the tenant at once:
monitoring-source exclusions differ by report, so a record inside any report's exclusion window
is kept when it is at or after the last second outside all windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from platform_assets.argo.ar_kernel import monitoring_excluded, seconds_of_day
from platform_assets.argo.profiles import MonitoringExclusion

_KEY = ["service", "hostname", "metric"]
_DENSE_KEYS = 1 << 25  # key values the array of last seconds covers (256 MB at most)


def carried_candidates(
    previous: pd.DataFrame | None, exclusions: Sequence[MonitoringExclusion], day: date
) -> pd.DataFrame | None:
    """The records of ``previous`` (day ``day`` - 1) that any report with monitoring-source
    ``exclusions`` among those given may carry into ``day``, in their order. Seconds are the
    kernel's (``seconds_of_day``): records of one second tie there, so all are kept."""
    if previous is None or previous.empty:
        return previous
    second = seconds_of_day(previous["timestamp"], day)
    windowed = monitoring_excluded(previous, list(exclusions))
    key = _series_key(previous)
    last_outside = np.full(int(key.max()) + 1, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_outside, key[~windowed], second[~windowed])
    # outside every window: the last second itself; inside one: any later second as well
    kept = previous.iloc[np.flatnonzero(second >= last_outside[key])]
    # a categorical column (the lake's records) keeps only the categories of the kept records: a
    # day's summaries and messages are mostly distinct, and all of D-1's would travel with them
    coded = [c for c in kept.columns if isinstance(kept[c].dtype, pd.CategoricalDtype)]
    return kept.assign(**{c: kept[c].cat.remove_unused_categories() for c in coded})


def _series_key(records: pd.DataFrame) -> np.ndarray:
    """A small integer per distinct (service, hostname, metric), missing values included: the
    columns' codes combined, renumbered densely whenever their range would pass ``_DENSE_KEYS``."""
    key = np.zeros(len(records), dtype=np.int64)
    span = 1
    for column in _KEY:
        codes, uniques = pd.factorize(records[column], use_na_sentinel=False)
        if span * (len(uniques) + 1) > _DENSE_KEYS:
            dense, seen = pd.factorize(key)
            key, span = dense.astype(np.int64), len(seen)
        key = key * (len(uniques) + 1) + codes
        span *= len(uniques) + 1
    if span > _DENSE_KEYS:
        key = pd.factorize(key)[0].astype(np.int64)
    return key
