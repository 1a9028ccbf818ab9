"""Comparing an aggregate with the old warehouse's export of the same result. No Dagster import.

Two judgements, made separately: the row counts (the handover's case: 8,791 rows against the old
warehouse's 8,788 is a failure, however few), and the values key by key (a value that differs
by more than ``value_tolerance_pct`` of the reference's, or a key present on one side only, is a
mismatched key; more than ``max_mismatched_pct`` of them fails). The defaults allow float noise
only, so the handover's ~0.4 % of differing values fails.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Tolerances:
    max_row_difference: int = 0  # rows, either way
    value_tolerance_pct: float = 0.001  # of the reference value: equal within float noise
    max_mismatched_pct: float = 0.0  # of the keys


@dataclass
class Discrepancy:
    rows: int
    reference_rows: int
    row_difference_pct: float
    mismatched_keys: list[dict]
    mismatched: int
    only_ours: int
    only_reference: int
    mismatched_pct: float
    tolerances: Tolerances

    @property
    def rows_passed(self) -> bool:
        return abs(self.rows - self.reference_rows) <= self.tolerances.max_row_difference

    @property
    def values_passed(self) -> bool:
        return self.mismatched_pct <= self.tolerances.max_mismatched_pct

    @property
    def passed(self) -> bool:
        return self.rows_passed and self.values_passed


def compare(
    result: pd.DataFrame,
    reference: pd.DataFrame,
    keys: list[str],
    values: list[str],
    tolerances: Tolerances = Tolerances(),
) -> Discrepancy:
    """Row counts and, per key, values against the old warehouse's export."""
    merged = result[keys + values].merge(
        reference[keys + values], on=keys, how="outer", suffixes=("", "_reference"), indicator=True
    )
    off = merged["_merge"] != "both"
    for column in values:
        ours, theirs = merged[column].astype(float), merged[f"{column}_reference"].astype(float)
        scale = np.maximum(np.abs(theirs), 1e-9)
        off |= (np.abs(ours - theirs) / scale * 100 > tolerances.value_tolerance_pct) & ~(
            ours.isna() & theirs.isna()
        )
    bad = merged[off]
    first = bad.head(50)
    return Discrepancy(
        rows=len(result),
        reference_rows=len(reference),
        row_difference_pct=round(
            abs(len(result) - len(reference)) / max(len(reference), 1) * 100, 4
        ),
        mismatched_keys=first.astype(object)
        .where(first.notna(), None)
        .rename(columns={"_merge": "side"})
        .replace({"side": {"left_only": "ours only", "right_only": "reference only"}})
        .to_dict("records"),
        mismatched=len(bad),
        only_ours=int((merged["_merge"] == "left_only").sum()),
        only_reference=int((merged["_merge"] == "right_only").sum()),
        mismatched_pct=round(len(bad) / max(len(merged), 1) * 100, 4),
        tolerances=tolerances,
    )
