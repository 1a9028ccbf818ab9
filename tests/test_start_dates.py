"""Where partitions start: a pinned day, or a number of days back (default 30 for ARGO and telemetry)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from platform_assets.argo.settings import ArgoSettings, SettingsError
from platform_assets.start_dates import StartDateError, resolve_start
from platform_assets.telemetry.settings import LayoutError, TelemetryLayout
from platform_assets.warehouse.settings import WarehouseSettings

pytestmark = pytest.mark.fast


def test_days_back_and_pinned_days():
    today = date(2026, 12, 6)
    assert resolve_start("-30d", "V", today) == "2026-11-06"
    assert resolve_start("-0d", "V", today) == "2026-12-06"
    assert resolve_start("2024-01-01", "V", today) == "2024-01-01"


@pytest.mark.parametrize("bad", ["30d", "-30", "-30 days", "2024-13-01", "", "yesterday"])
def test_anything_else_is_refused_naming_the_variable(bad):
    with pytest.raises(StartDateError, match="WEIR_START_DATE"):
        resolve_start(bad, "WEIR_START_DATE")


def test_a_fresh_deployment_starts_thirty_days_back():
    thirty_days_back = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    assert ArgoSettings.from_env({}).start_date == thirty_days_back
    assert TelemetryLayout.from_env({}).start_date == thirty_days_back
    assert ArgoSettings.from_env({"WEIR_START_DATE": "2024-01-01"}).start_date == "2024-01-01"
    assert ArgoSettings.from_env({"WEIR_START_DATE": "-7d"}).start_date == \
        (datetime.now(UTC).date() - timedelta(days=7)).isoformat()
    # the warehouse migrates history: its partitions keep their pinned first day
    assert WarehouseSettings.from_env({}).start_date == "2024-01-01"


def test_the_slices_refuse_a_bad_start_with_their_own_error():
    with pytest.raises(SettingsError, match="WEIR_START_DATE"):
        ArgoSettings.from_env({"WEIR_START_DATE": "soon"})
    with pytest.raises(LayoutError, match="WEIR_TELEMETRY_START_DATE"):
        TelemetryLayout.from_env({"WEIR_TELEMETRY_START_DATE": "soon"})
