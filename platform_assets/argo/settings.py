"""The ARGO slice's settings: typed, validated, read from the environment when the code location
loads (``platform_assets.argo.definitions.build_defs``), never at import.

| variable                    | field           | default      |
|-----------------------------|-----------------|--------------|
| ``WEIR_START_DATE``         | start_date      | -30d (30 days back, start_dates.py) |
| ``WEIR_ARGO_BACKFILL_POLICY`` | backfill_policy | single_run |
| ``WEIR_ARGO_FUTURE_HOURS`` | future_hours    | 24           |
| ``PLATFORM_ENV``            | results_kind    | json (local), mongodb (prod) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from platform_assets.start_dates import RECENT, StartDateError, pinned_start, resolve_start

BACKFILL_POLICIES = ("single_run", "per_partition")


class SettingsError(ValueError):
    """A setting has a value the slice cannot use."""


@dataclass(frozen=True)
class ArgoSettings:
    # first day of the tenant-day partitions: YYYY-MM-DD, or -<N>d (N days before today)
    start_date: str = RECENT
    backfill_policy: str = "single_run"  # or per_partition
    # how far past now a Kafka record's timestamp may be; later ones are quarantined
    future_hours: int = 24
    # where A/R and status results are stored, as the catalog's kind shows it: ARGO's MongoDB in
    # prod, the results files of the embedded default elsewhere
    results_kind: str = "json"

    def __post_init__(self) -> None:
        if not 0 <= self.future_hours <= 24 * 366:
            raise SettingsError(
                f"WEIR_ARGO_FUTURE_HOURS must be 0..8784 hours, not {self.future_hours!r}"
            )
        try:
            start = resolve_start(self.start_date, "WEIR_START_DATE")
            object.__setattr__(self, "start_date", start)
        except StartDateError as exc:
            raise SettingsError(str(exc)) from None
        if self.backfill_policy not in BACKFILL_POLICIES:
            raise SettingsError(
                f"WEIR_ARGO_BACKFILL_POLICY must be one of {BACKFILL_POLICIES}, "
                f"not {self.backfill_policy!r}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ArgoSettings:
        """The settings of this deployment (a relative start pinned: start_dates.py)."""
        return cls(
            start_date=_start(env),
            backfill_policy=env.get("WEIR_ARGO_BACKFILL_POLICY", cls.backfill_policy),
            future_hours=_hours(env.get("WEIR_ARGO_FUTURE_HOURS", str(cls.future_hours))),
            results_kind="mongodb" if env.get("PLATFORM_ENV") == "prod" else "json",
        )


def _hours(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"WEIR_ARGO_FUTURE_HOURS {text!r} is not a whole number") from None


def _start(env: Mapping[str, str]) -> str:
    try:
        return pinned_start(env.get("WEIR_START_DATE", RECENT), "WEIR_START_DATE", env)
    except StartDateError as exc:
        raise SettingsError(str(exc)) from None
