"""The Dagster UI in a real browser (Debian's chromium driven by Playwright): every domain's assets
in the catalog; one A/R partition launched from `argo/endpoint_group_ar`'s page; its metadata
(availability per group) and check results on screen. Screenshots go to test-artifacts/ui/."""

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


@pytest.fixture
def ui_world(tmp_path, monkeypatch):
    """A local deployment whose upstream ARGO assets are built for yesterday (acme)."""
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
            page.get_by_role("button", name="Materialize").first.click()
            page.get_by_role("button", name="Confirm").click()  # the A/R levels are one multi-asset
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
            expect(page.get_by_text("mean_availability")).to_be_visible()
            expect(page.get_by_text("ACME-SITE-0000").first).to_be_visible()
            _shot(page, "3-metadata")
            page.goto(f"{url}/assets/argo/endpoint_group_ar?view=checks")
            expect(page.get_by_text("sanity").first).to_be_visible()
            expect(page.get_by_text("discrepancy").first).to_be_visible()
            expect(page.get_by_text("Passed").first).to_be_visible()
            _shot(page, "4-checks")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            browser.close()
