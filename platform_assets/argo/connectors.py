"""Choosing the connector snapshot valid for a day, with ARGO's rollback for late connectors.

If day D has no snapshot of a kind, the newest one from up to ``rollback_days`` earlier is used
(and the date used is reported). Downtimes are the exception: they only count for the exact day.
No Dagster import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from platform_assets.argo.connector_kinds import KINDS_BY_NAME

DEFAULT_ROLLBACK_DAYS = 3


class MissingSnapshotError(LookupError):
    """No snapshot of a kind within the rollback window."""


def content_hash(data: Any) -> str:
    """Stable hash of a snapshot's content (key order and whitespace do not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SelectedSnapshot:
    kind: str
    report: str
    valid_for: date
    date_used: date
    data: Any
    content_hash: str

    @property
    def fallback(self) -> bool:
        """Taken from an earlier day than the kind's own for the report-day."""
        return self.date_used != candidate_days(self.kind, self.valid_for, 0)[0]


def candidate_days(kind: str, day: date, rollback_days: int) -> list[date]:
    """The days tried for the report-day ``day``, first to last (from the kind's own day: the
    day before for the previous day's metric profile)."""
    spec = KINDS_BY_NAME[kind]
    depth = 0 if spec.exact_day else rollback_days
    first = day + timedelta(days=spec.day_offset)
    return [first - timedelta(days=i) for i in range(depth + 1)]


def select_snapshot(
    fetch: Callable[[date], Any | None],
    tenant: str,
    report: str,
    kind: str,
    day: date,
    rollback_days: int = DEFAULT_ROLLBACK_DAYS,
) -> SelectedSnapshot:
    """The first day in D, D-1, ... D-rollback for which ``fetch`` returns a snapshot."""
    tried = candidate_days(kind, day, rollback_days)
    for candidate in tried:
        data = fetch(candidate)
        if data is not None:
            return SelectedSnapshot(kind, report, day, candidate, data, content_hash(data))
    if KINDS_BY_NAME[kind].optional:  # e.g. ARGO's job never reads weights: none is empty
        return SelectedSnapshot(kind, report, day, tried[0], [], content_hash([]))
    raise MissingSnapshotError(
        f"no {kind} snapshot for tenant {tenant!r}, report {report!r}, valid for "
        f"{day.isoformat()}: tried {', '.join(d.isoformat() for d in tried)}"
    )
