"""The telemetry part of the README's main command (``make demo``), on the embedded default: the
local inbox stands in for Kafka, and every asset of the slice is built from it."""

import dagster as dg

from platform_assets.definitions import build_definitions
from platform_assets.telemetry import landing
from platform_assets.demo import telemetry_demo as demo
from tests.platform import local_resources

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def test_the_demo_builds_every_telemetry_asset_from_the_inbox(tmp_path, capsys):
    resources = local_resources(tmp_path, tmp_path / "none.yaml")
    defs = build_definitions(resources)
    with dg.instance_for_test() as instance:
        assert demo.run(defs, instance, resources["telemetry"], QUIET)
    lake, hours = resources["lake"], demo.landed_hours(str(tmp_path / "lake"))
    rows = {name: sum(lake.read_table(landing.table_key(name, h)).num_rows for h in hours) for name in demo.OUTPUTS}
    assert rows["raw_events"] == rows["unique_events"] + rows["failed_events"] + rows["duplicate_events"]
    assert rows["extractor_failed"] == len(demo.HOSTILE) and rows["extractor_duplicates"] == 1  # the re-sent batch
    assert rows["unique_events"] > 2500 and rows["denorm_events"] == rows["routed_events"]
    for name, periods in demo.period_partitions(hours).items():
        assert periods and all(lake.read_table(landing.table_key(name, p)).num_rows > 0 for p in periods)
    demo.print_summary(str(tmp_path / "lake"), hours)
    printed = capsys.readouterr().out
    assert f"unique_events {rows['unique_events']}" in printed and "telemetry weekly_active_users:" in printed


def test_days_and_weeks_of_hours():
    hours = ["2026-11-29-23:00", "2026-11-30-00:00", "2026-11-30-01:00"]  # a Sunday night into Monday
    assert demo.days_of(hours) == ["2026-11-29", "2026-11-30"]
    assert demo.weeks_of(hours) == ["2026-11-23", "2026-11-30"]
