"""Telemetry partitions: UTC hours and days and ISO weeks of sync time, and backup days in the
backup timezone, all from ``TelemetryLayout`` (built when the code location loads, never at import).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class TelemetryPartitions:
    hours: dg.HourlyPartitionsDefinition
    days: dg.DailyPartitionsDefinition
    weeks: dg.WeeklyPartitionsDefinition
    backup_days: dg.DailyPartitionsDefinition


def telemetry_partitions(start_date: str, backup_timezone: str) -> TelemetryPartitions:
    # end_offset=1: the current hour/day/week is a partition too, so telemetry is processed as it
    # arrives; what arrives later in the same period re-runs it (the assets follow their upstream)
    return TelemetryPartitions(
        hours=dg.HourlyPartitionsDefinition(
            start_date=f"{start_date}-00:00", timezone="UTC", end_offset=1
        ),
        days=dg.DailyPartitionsDefinition(start_date=start_date, timezone="UTC", end_offset=1),
        weeks=dg.WeeklyPartitionsDefinition(
            start_date=start_date, timezone="UTC", day_offset=1, end_offset=1
        ),
        backup_days=dg.DailyPartitionsDefinition(
            start_date=start_date, timezone=backup_timezone, end_offset=1
        ),
    )
