"""Quality rules for A/R results, as plain functions over result frames. No Dagster import."""

from __future__ import annotations

import pandas as pd

RATE_COLUMNS = ("availability", "reliability")
FRACTION_COLUMNS = ("up", "unknown", "down")
DEFAULT_DISCREPANCY_POINTS = 0.5


def sanity_violations(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose rates are outside [0, 100] (and not -1) or whose fractions sum above 1."""
    if frame.empty:
        return frame
    bad = pd.Series(False, index=frame.index)
    for column in RATE_COLUMNS:
        value = frame[column]
        bad |= value.isna() | (((value < 0) | (value > 100)) & (value != -1))
    for column in FRACTION_COLUMNS:
        bad |= frame[column].isna() | (frame[column] < 0) | (frame[column] > 1)
    bad |= (
        frame[list(FRACTION_COLUMNS)].sum(axis=1) > 1 + 2e-5
    )  # three values rounded to 5 decimals
    return frame[bad]


def missing_endpoints(expected: pd.DataFrame, endpoint_ar: pd.DataFrame) -> pd.DataFrame:
    """Topology endpoints (group, service, hostname) without an endpoint_ar row."""
    got = endpoint_ar.rename(columns={"supergroup": "group", "name": "hostname"})[
        ["group", "service", "hostname"]
    ]
    merged = expected.merge(got.drop_duplicates(), how="left", indicator=True)
    return merged.loc[merged["_merge"] == "left_only", ["group", "service", "hostname"]]


def without(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``frame`` minus the rows of ``rows`` (same columns)."""
    if rows.empty:
        return frame
    merged = frame.merge(rows.drop_duplicates(), how="left", indicator=True)
    return merged.loc[merged["_merge"] == "left_only", list(frame.columns)]


def group_discrepancies(
    current: pd.DataFrame, reference: pd.DataFrame, threshold: float
) -> pd.DataFrame:
    """Endpoint groups whose availability differs from the reference by more than ``threshold``
    points (groups present on one side only count as differing)."""
    cols = ["report", "name", "supergroup", "availability"]
    merged = current[cols].merge(
        reference[cols],
        on=["report", "name", "supergroup"],
        how="outer",
        suffixes=("", "_reference"),
    )
    merged["difference"] = (merged["availability"] - merged["availability_reference"]).abs()
    off = merged["difference"].isna() | (merged["difference"] > threshold)
    return merged[off].sort_values("difference", ascending=False, na_position="first")
