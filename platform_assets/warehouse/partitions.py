"""The warehouse's partitions: days of ``created_date``, UTC hours and ISO weeks (Monday 00:00 UTC),
all from ``WarehouseSettings.start_date`` (built when the code location loads, never at import)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class WarehousePartitions:
    days: dg.DailyPartitionsDefinition
    hours: dg.HourlyPartitionsDefinition
    weeks: dg.WeeklyPartitionsDefinition


def warehouse_partitions(start_date: str) -> WarehousePartitions:
    return WarehousePartitions(
        days=dg.DailyPartitionsDefinition(start_date=start_date, timezone="UTC"),
        hours=dg.HourlyPartitionsDefinition(start_date=f"{start_date}-00:00", timezone="UTC"),
        weeks=dg.WeeklyPartitionsDefinition(start_date=start_date, timezone="UTC", day_offset=1),
    )
