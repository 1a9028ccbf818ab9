"""The Dagster UI in a real browser (Debian's chromium driven by Playwright): every domain's assets
in the catalog; one A/R partition launched from `argo/endpoint_group_ar`'s page; its metadata
(availability per group) and check results on screen; the catalog's owners, descriptions and
columns; a check failing on one partition while the others pass; a backfill of three days launched
from the UI as one run; the A/R automation sensor running and evaluating; an observation plot.
Screenshots go to test-artifacts/ui/."""

import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

import dagster as dg
from platform_assets.demo.argo_sample import write_tenant_files
from tests.dagster_services import dagster_deployment

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
RUNS = """query Runs { runsOrError(filter: {statuses: [SUCCESS, FAILURE, CANCELED]}) {
  ... on Runs { results { runId status jobName } } } }"""
BACKFILLS = """query Backfills { partitionBackfillsOrError(limit: 5) {
  ... on PartitionBackfills { results { id status numPartitions runs(limit: 10) { runId status } } } } }"""
AUTOMATION_SENSOR = """query Sensor { sensorOrError(sensorSelector: {repositoryName: "__repository__",
  repositoryLocationName: "weir", sensorName: "argo_automation"}) {
  ... on Sensor { sensorState { status ticks(limit: 5) { status } } } } }"""


@pytest.fixture
def ui_world(tmp_path, monkeypatch):
    """A local deployment whose upstream ARGO assets are built for yesterday (acme); metric data also
    for the day before (passes its volume check) and the day before that (no input: fails it); and
    three observations of a streaming job's state."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    day = date.today() - timedelta(days=1)
    entry = write_tenant_files(tmp_path / "sources", "acme", ["Critical"], [day - timedelta(days=1), day],
                               seed=5, n_sites=6)
    (tmp_path / "tenants.yaml").write_text(yaml.safe_dump({"tenants": [entry]}))
    env = {"WEIR_DATA_DIR": str(tmp_path / "data"), "WEIR_TENANT_REGISTRY": str(tmp_path / "tenants.yaml"),
           "PLATFORM_ENV": "local"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "home"
    home.mkdir()
    from platform_assets.definitions import build_definitions
    from platform_assets.environments import resources_for

    defs = build_definitions(resources_for("local"))
    upstream = [k for k in defs.resolve_asset_graph().get_all_asset_keys()  # metric data and snapshots
                if k.path[0] == "argo" and not k.path[-1].endswith("_ar") and not k.path[-1].startswith("status_")]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("tenants", ["acme"])
        assert defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=upstream, partition_key=f"{day.isoformat()}|acme").success
        metric_data = defs.resolve_job_def("argo_daily").get_subset(
            asset_selection={dg.AssetKey(["argo", "metric_data"]), dg.AssetKey(["argo", "metric_data_quarantine"])})
        for earlier in (day - timedelta(days=1), day - timedelta(days=2)):
            assert metric_data.execute_in_process(instance=instance, partition_key=f"{earlier.isoformat()}|acme").success
        for running in (1.0, 0.0, 1.0):  # what flink_job_health records
            instance.report_runless_asset_event(dg.AssetObservation(
                asset_key=dg.AssetKey(["streaming", "metric_stream"]),
                metadata={"running/acme": running, "state/acme": "RUNNING" if running else "FAILED"}))
    return home, env, day


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _dismiss_welcome(page) -> None:
    """The first page view opens a 'Join the Dagster community' dialog; skip it once."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.get_by_role("button", name="Skip").click(timeout=15_000)
    except PlaywrightTimeout:
        pass


def test_catalog_launch_one_partition_and_see_metadata_and_checks(ui_world, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    home, env, day = ui_world
    with dagster_deployment(home, env) as (url, graphql), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])  # Playwright gives every launch a fresh profile directory
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{url}/assets")
            _dismiss_welcome(page)
            search = page.locator(".CodeMirror").first  # the catalog's asset-selection box
            for asset in ("argo / endpoint_group_ar", "warehouse / agg_hourly_space", "taskflows / example / join",
                          "telemetry / unique_events"):
                search.click()
                page.keyboard.press("Control+A")
                page.keyboard.press("Backspace")
                page.keyboard.type(asset.split(" / ")[-1])
                page.keyboard.press("Enter")  # apply the search (typing alone only suggests)
                expect(page.get_by_text(asset, exact=True).first).to_be_visible()
                _shot(page, f"1-catalog-{asset.split(' / ')[0]}")

            page.goto(f"{url}/assets/argo/endpoint_group_ar")
            # the A/R multi-asset is subsettable: the one asset is launched, no "materialize all" prompt
            page.get_by_role("button", name="Materialize").first.click()
            box = page.get_by_placeholder("ex: 2024-01-01", exact=False)
            box.fill(day.isoformat())
            box.press("Enter")
            page.get_by_text("Select a partition or create one").click()
            page.locator('text="acme" >> visible=true').last.click()
            page.keyboard.press("Escape")
            _shot(page, "2-launch-dialog")
            before = {r["runId"] for r in graphql(RUNS)["runsOrError"]["results"]}
            page.get_by_role("button", name="Launch 1 run").click()

            deadline = time.monotonic() + 300
            while not (new := [r for r in graphql(RUNS)["runsOrError"]["results"] if r["runId"] not in before]):
                assert time.monotonic() < deadline, "the run launched from the UI did not finish"
                time.sleep(2)
            [run] = new
            assert run["status"] == "SUCCESS", run

            page.goto(f"{url}/assets/argo/endpoint_group_ar?partition={day.isoformat()}|acme")
            expect(page.get_by_text("availability_by_group")).to_be_visible()
            expect(page.get_by_text("mean_availability", exact=True)).to_be_visible()
            expect(page.get_by_text("mean_availability/acme", exact=True)).to_be_visible()  # a line per tenant
            expect(page.get_by_text("ACME-SITE-0000").first).to_be_visible()
            _shot(page, "3-metadata")
            page.goto(f"{url}/assets/argo/endpoint_group_ar?view=checks")
            expect(page.get_by_text("sanity").first).to_be_visible()
            expect(page.get_by_text("discrepancy").first).to_be_visible()
            expect(page.get_by_text("Passed").first).to_be_visible()
            _shot(page, "4-checks")

            # the catalog explains the asset: owner, description, columns and where it is stored
            page.goto(f"{url}/assets/argo/endpoint_group_ar")
            expect(page.get_by_text("A/R per endpoint group (e.g. site) and day, with its weight.")).to_be_visible()
            expect(page.get_by_text("Owners", exact=True)).to_be_visible()
            expect(page.get_by_text("monitoring", exact=True).first).to_be_visible()
            expect(page.get_by_text("Columns", exact=True)).to_be_visible()
            expect(page.get_by_text("supergroup", exact=True).first).to_be_visible()
            expect(page.get_by_text("argo_<tenant>.endpoint_group_ar").first).to_be_visible()
            _shot(page, "5-catalog")

            # a check judged per partition: the empty day failed, the two other days passed
            page.goto(f"{url}/assets/argo/metric_data?view=checks&checkDetail=volume")
            expect(page.get_by_text("Execution history", exact=True)).to_be_visible()  # the check's own tabs
            page.get_by_text("Partitions", exact=True).last.click()
            expect(page.get_by_text("Failed (1)")).to_be_visible()
            expect(page.get_by_text("Passed (2)")).to_be_visible()
            expect(page.get_by_text("Execution Failed (0)")).to_be_visible()
            _shot(page, "6-check-partitions")

            # a backfill of three days from the UI: one run (single-run backfill policy)
            page.goto(f"{url}/assets/argo/metric_data")
            page.get_by_role("button", name="Materialize").first.click()
            page.get_by_role("button", name="Confirm").click()  # metric data and its quarantine are one step
            box = page.get_by_placeholder("ex: 2024-01-01", exact=False)
            box.fill(f"[{(day - timedelta(days=2)).isoformat()}...{day.isoformat()}]")
            box.press("Enter")
            page.get_by_text("Select a partition or create one").click()
            page.locator('text="acme" >> visible=true').last.click()
            page.keyboard.press("Escape")
            expect(page.get_by_text("3 partitions").first).to_be_visible()
            _shot(page, "7-backfill-dialog")
            page.get_by_role("button", name="Launch backfill").click()
            deadline = time.monotonic() + 300
            while True:  # the dialog closes as the backfill is created
                backfills = graphql(BACKFILLS)["partitionBackfillsOrError"]["results"]
                if backfills and backfills[0]["status"] not in ("REQUESTED", "IN_PROGRESS"):
                    break
                assert time.monotonic() < deadline, backfills
                time.sleep(2)
            [backfill] = backfills
            assert backfill["status"] in ("COMPLETED_SUCCESS", "COMPLETED"), backfill
            assert backfill["numPartitions"] == 3 and len(backfill["runs"]) == 1, backfill
            assert backfill["runs"][0]["status"] == "SUCCESS", backfill

            # the A/R automation sensor is on, and the daemon evaluates it
            page.goto(f"{url}/automation")
            expect(page.get_by_text("argo_automation", exact=True)).to_be_visible()
            deadline = time.monotonic() + 120
            while not (state := graphql(AUTOMATION_SENSOR)["sensorOrError"]["sensorState"])["ticks"]:
                assert time.monotonic() < deadline, state
                time.sleep(3)
            assert state["status"] == "RUNNING"
            _shot(page, "8-automation")

            # operational state as data: a streaming job's state observations, plotted
            page.goto(f"{url}/assets/streaming/metric_stream")
            page.get_by_text("Plots", exact=True).first.click()
            expect(page.get_by_text("running/acme").first).to_be_visible()
            _shot(page, "9-observation-plot")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            browser.close()
