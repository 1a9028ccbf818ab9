"""The ``source_completeness`` rule as a plain function. No Dagster import."""

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class DayCompleteness:
    day: str
    rows: int
    expected: float | None
    expected_from: str
    companies: int
    active_companies: int
    min_share: float = 0.95  # the catalog's completeness.min_share

    @property
    def rows_ok(self) -> bool:
        return self.expected is None or self.rows >= self.min_share * self.expected

    @property
    def companies_ok(self) -> bool:
        """Only judged for days that hold or are expected to hold events (not pre-history days)."""
        if self.active_companies == 0 or (self.rows == 0 and not self.expected):
            return True
        return self.companies >= self.min_share * self.active_companies

    @property
    def passed(self) -> bool:
        return self.rows_ok and self.companies_ok


def expected_rows(
    manifest_count: int | None, same_weekday_history: list[int]
) -> tuple[float | None, str]:
    """The unload manifest's record count when there is one, else the median of earlier same
    weekdays."""
    if manifest_count is not None:
        return float(manifest_count), "manifest"
    if same_weekday_history:
        return float(
            statistics.median(same_weekday_history)
        ), f"median of {len(same_weekday_history)} same weekdays"
    return None, "no expectation (no manifest, no history)"
