"""A relative partition start is pinned in the instance the first time the deployment loads: every
later process, on any later day, builds the same partitions (platform_assets/start_dates.py)."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from platform_assets.argo.settings import ArgoSettings
from platform_assets.start_dates import PIN_PREFIX, pinned_start
from platform_assets.telemetry.settings import TelemetryLayout


def test_the_first_load_pins_the_day_and_later_loads_keep_it(tmp_path):
    env = {"DAGSTER_HOME": str(tmp_path)}
    thirty_days_back = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    assert ArgoSettings.from_env(env).start_date == thirty_days_back
    key = f"{PIN_PREFIX}/WEIR_START_DATE/-30d"
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_storage.get_cursor_values({key}) == {key: thirty_days_back}
        # as if the deployment had first loaded on an earlier day
        instance.run_storage.set_cursor_values({key: "2026-01-15"})
    assert ArgoSettings.from_env(env).start_date == "2026-01-15"
    assert pinned_start("-30d", "WEIR_START_DATE", env) == "2026-01-15"
    # another slice, or another setting, is pinned on its own; a named day is never pinned
    assert TelemetryLayout.from_env(env).start_date == thirty_days_back
    assert ArgoSettings.from_env({**env, "WEIR_START_DATE": "-7d"}).start_date == \
        (datetime.now(UTC).date() - timedelta(days=7)).isoformat()
    assert ArgoSettings.from_env({**env, "WEIR_START_DATE": "2024-01-01"}).start_date == "2024-01-01"
