"""reference_discrepancy catches the handover's case with its defaults, judges rows and values
apart, has a configurable severity, and a failure is alerted like a failed run."""

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from platform_assets.warehouse.reference import Tolerances, compare
from platform_assets.warehouse.settings import SettingsError, WarehouseSettings
from resources.alerts import AlertsResource
from resources.storage import LakeResource
from sensors.discrepancy_alerts import discrepancy_alerts
from tests.alert_sinks import webhook_recorder
from tests.platform import check_results
from tests.warehouse.world import build, load_everything, run_range, write_world

KEYS, VALUES = ["week_start_us", "company_id"], ["distinct_people", "events"]


def _weeks(rows: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"week_start_us": np.repeat(np.arange(rows // 100 + 1), 100)[:rows],
                         "company_id": np.tile(np.arange(100), rows // 100 + 1)[:rows],
                         "distinct_people": rng.integers(1, 500, rows), "events": rng.integers(1, 9000, rows)})


@pytest.mark.fast
def test_the_handovers_case_fails_with_the_defaults():
    """The old warehouse: 8,788 rows; the new: 8,791, with ~0.4 % of values differing."""
    new = _weeks(8791)
    old = new.iloc[:8788].copy()
    differing = old.sample(frac=0.004, random_state=1).index
    old.loc[differing, "events"] = old.loc[differing, "events"] + 1
    found = compare(new, old, KEYS, VALUES)
    assert not found.rows_passed and not found.values_passed and not found.passed
    assert found.only_ours == 3 and found.mismatched == len(differing) + 3
    same_rows = compare(new.iloc[:8788], old, KEYS, VALUES)
    assert same_rows.rows_passed and not same_rows.values_passed  # judged apart
    loose = compare(new, old, KEYS, VALUES, Tolerances(max_row_difference=3, max_mismatched_pct=0.5))
    assert loose.passed
    assert compare(new, new.copy(), KEYS, VALUES).passed


@pytest.mark.fast
def test_severity_is_a_setting():
    assert WarehouseSettings().discrepancy_severity == "block"
    with pytest.raises(SettingsError, match="'block' or 'warn'"):
        WarehouseSettings(discrepancy_severity="loud")
    from platform_assets.warehouse.definitions import build_defs

    for severity, blocking in (("block", True), ("warn", False)):
        defs = build_defs(WarehouseSettings(discrepancy_severity=severity))
        weekly = next(a for a in defs.assets if dg.AssetKey(["warehouse", "week_people_count"]) in a.keys)
        assert [s.blocking for s in weekly.check_specs] == [blocking]


def test_a_failed_discrepancy_check_is_alerted_by_the_sensor(tmp_path, monkeypatch):
    monkeypatch.setenv("WEIR_WAREHOUSE_DISCREPANCY_SEVERITY", "warn")
    write_world(tmp_path)
    defs = build(tmp_path)
    with dg.instance_for_test() as instance, webhook_recorder() as (url, hooks):
        alerts = AlertsResource(slack_webhook_url=url)

        def tick(cursor):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"alerts": alerts},
                                              repository_def=defs.get_repository_def())
            discrepancy_alerts(context)
            return context.cursor

        cursor = tick(None)  # the first tick records where history stands
        load_everything(defs, instance)
        assert run_range(defs, instance, "warehouse_weekly", "2024-03-04", "2024-03-04").success
        ours = LakeResource(root=str(tmp_path / "lake")).read_table("warehouse/week_people_count/2024-03-04.parquet")
        reference = ours.to_pandas()
        reference["week_start"] = pd.to_datetime(reference.pop("week_start_us"), unit="us", utc=True).astype(str)
        reference.loc[0, "events"] += 1
        (tmp_path / "ref").mkdir()
        reference.to_csv(tmp_path / "ref" / "week_people_count.csv", index=False)
        config = {"ops": {"warehouse__week_people_count": {"config": {"reference_dir": str(tmp_path / "ref")}}}}
        warned = run_range(defs, instance, "warehouse_weekly", "2024-03-04", "2024-03-04", config)
        assert warned.success  # warn: the run goes on
        assert check_results(warned)["warehouse/week_people_count:reference_discrepancy"] is False
        cursor = tick(cursor)
        assert len(hooks) == 1
        assert "warehouse/week_people_count:reference_discrepancy failed" in hooks[0]["text"]
        assert "1 mismatched keys" in hooks[0]["text"]
        tick(cursor)
        assert len(hooks) == 1  # each failure is alerted once
