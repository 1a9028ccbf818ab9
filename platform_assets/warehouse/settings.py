"""The warehouse slice's settings: typed, validated, read from the environment when the code
location loads (the partitions' first day) or when a run starts (the reference exports), never
at import.

| variable                        | field          | default    |
|---------------------------------|----------------|------------|
| ``WEIR_WAREHOUSE_START_DATE``   | start_date     | 2024-01-01 |
| ``WEIR_WAREHOUSE_REFERENCE_DIR``| reference_dir  | none       |
| ``WEIR_WAREHOUSE_DISCREPANCY_SEVERITY`` | discrepancy_severity | block |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date


class SettingsError(ValueError):
    """A setting has a value the slice cannot use."""


@dataclass(frozen=True)
class WarehouseSettings:
    start_date: str = "2024-01-01"  # first created_date day, hour and week of the partitions
    reference_dir: str | None = None  # the old warehouse's exports, <dir>/<aggregate>.csv
    # a failed reference_discrepancy: "block" (the run fails, downstream waits) or "warn"
    discrepancy_severity: str = "block"

    def __post_init__(self) -> None:
        if self.discrepancy_severity not in ("block", "warn"):
            raise SettingsError(
                "WEIR_WAREHOUSE_DISCREPANCY_SEVERITY must be 'block' or 'warn', not "
                f"{self.discrepancy_severity!r}"
            )
        try:
            date.fromisoformat(self.start_date)
        except ValueError:
            raise SettingsError(
                f"WEIR_WAREHOUSE_START_DATE {self.start_date!r} is not a YYYY-MM-DD date"
            ) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WarehouseSettings:
        return cls(
            start_date=env.get("WEIR_WAREHOUSE_START_DATE", cls.start_date),
            reference_dir=env.get("WEIR_WAREHOUSE_REFERENCE_DIR") or None,
            discrepancy_severity=env.get(
                "WEIR_WAREHOUSE_DISCREPANCY_SEVERITY", cls.discrepancy_severity
            ),
        )
