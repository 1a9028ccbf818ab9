"""Telemetry partitions: UTC hours and days and ISO weeks of sync time, and backup days in the
backup timezone (Asia/Kolkata unless WEIR_TELEMETRY_BACKUP_TZ says otherwise)."""

import os
from datetime import datetime, timezone

import dagster as dg

START = os.environ.get("WEIR_TELEMETRY_START_DATE", "2024-01-01")
START_MS = int(datetime.fromisoformat(START).replace(tzinfo=timezone.utc).timestamp() * 1000)
# end_offset=1: the current hour/day/week is a partition too, so telemetry is processed as it
# arrives; what arrives later in the same period re-runs it (the assets follow their upstream)
HOURS = dg.HourlyPartitionsDefinition(start_date=f"{START}-00:00", timezone="UTC", end_offset=1)
DAYS = dg.DailyPartitionsDefinition(start_date=START, timezone="UTC", end_offset=1)
WEEKS = dg.WeeklyPartitionsDefinition(start_date=START, timezone="UTC", day_offset=1, end_offset=1)
BACKUP_TIMEZONE = os.environ.get("WEIR_TELEMETRY_BACKUP_TZ", "Asia/Kolkata")
BACKUP_DAYS = dg.DailyPartitionsDefinition(start_date=START, timezone=BACKUP_TIMEZONE, end_offset=1)
