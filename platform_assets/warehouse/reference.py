"""Comparing an aggregate with the old warehouse's export of the same result. No Dagster import."""

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Discrepancy:
    rows: int
    reference_rows: int
    row_difference_pct: float
    mismatched_keys: list[dict]
    mismatched_pct: float
    threshold_pct: float

    @property
    def passed(self) -> bool:
        return (
            self.row_difference_pct <= self.threshold_pct
            and self.mismatched_pct <= self.threshold_pct
        )


def compare(
    result: pd.DataFrame,
    reference: pd.DataFrame,
    keys: list[str],
    values: list[str],
    threshold_pct: float,
) -> Discrepancy:
    """Row-count difference and, per key, any value off by more than ``threshold_pct`` percent
    (keys present on one side only count as mismatched)."""
    merged = result[keys + values].merge(
        reference[keys + values], on=keys, how="outer", suffixes=("", "_reference"), indicator=True
    )
    off = merged["_merge"] != "both"
    for column in values:
        ours, theirs = merged[column].astype(float), merged[f"{column}_reference"].astype(float)
        scale = np.maximum(np.abs(theirs), 1e-9)
        off |= (np.abs(ours - theirs) / scale * 100 > threshold_pct) & ~(
            ours.isna() & theirs.isna()
        )
    bad = merged[off]
    denominator = max(len(reference), 1)
    return Discrepancy(
        rows=len(result),
        reference_rows=len(reference),
        row_difference_pct=round(abs(len(result) - len(reference)) / denominator * 100, 4),
        mismatched_keys=bad.head(50)
        .drop(columns="_merge")
        .astype(object)
        .where(bad.head(50).notna(), None)
        .drop(columns="_merge", errors="ignore")
        .to_dict("records"),
        mismatched_pct=round(len(bad) / max(len(merged), 1) * 100, 4),
        threshold_pct=threshold_pct,
    )
