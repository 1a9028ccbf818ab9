"""A real instance end to end: dagster-daemon and dagster-webserver with the production dagster.yaml
against the real PostgreSQL server; a backfill of 7 date partitions for one tenant launched through
GraphQL; every run succeeds; runs and materializations are in Postgres, each day's A/R exactly once."""

import time
from datetime import date, timedelta

import psycopg
import yaml

import dagster as dg
from platform_assets.demo.argo_sample import write_tenant_files
from tests.dagster_services import dagster_deployment, production_home

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
BACKFILL_STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status numPartitions runs(limit: 50) { runId status } }
  }
}"""
ARGO_ASSETS = """
{ assetNodes(group: {groupName: "argo", repositoryName: "__repository__", repositoryLocationName: "weir"}) {
    assetKey { path } } }"""


def _failure_messages(dsn: str, run_ids: list[str]) -> list[str]:
    from dagster._serdes import deserialize_value

    with psycopg.connect(dsn) as conn:
        events = [deserialize_value(row[0]) for row in conn.execute(
            "SELECT event FROM event_logs WHERE run_id = ANY(%s) AND dagster_event_type IN "
            "('STEP_FAILURE', 'RUN_FAILURE')", (run_ids,))]
    errors = [getattr(e.dagster_event.event_specific_data, "error", None) for e in events]
    # the whole chain (an op's error wraps its cause), its end where the cause is told
    return [error.to_string()[-1500:] if error else e.message[:600] for e, error in zip(events, errors)]


def test_backfill_of_seven_days_through_graphql_on_postgres(tmp_path, pg_dsn):
    days = [date.today() - timedelta(days=40 + i) for i in range(7, 0, -1)]  # outside the late-data sensors' window
    entry = write_tenant_files(tmp_path / "sources", "acme", ["Critical"], [days[0] - timedelta(days=1), *days],
                               seed=3, n_sites=4)
    (tmp_path / "tenants.yaml").write_text(yaml.safe_dump({"tenants": [entry]}))
    home, env = production_home(tmp_path, pg_dsn)
    env.update({"WEIR_TENANT_REGISTRY": str(tmp_path / "tenants.yaml"), "WEIR_START_DATE": days[0].isoformat(),
                "WEIR_TASKFLOWS_DIR": str(tmp_path / "no-taskflows")})
    with dagster_deployment(home, env) as (_, graphql):
        keys = [n["assetKey"] for n in graphql(ARGO_ASSETS)["assetNodes"]]
        assert {"argo", "endpoint_group_ar"} <= {p for k in keys for p in k["path"]}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the tenant_registry_sensor adds the tenant partition
            with psycopg.connect(pg_dsn) as conn:
                if conn.execute("SELECT 1 FROM dynamic_partitions WHERE partition = 'acme'").fetchone():
                    break
            time.sleep(1)
        partitions = [f"{d.isoformat()}|acme" for d in days]
        launched = graphql(LAUNCH_BACKFILL, {"params": {"assetSelection": keys, "partitionNames": partitions}})
        result = launched["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        backfill = result["backfillId"]
        deadline = time.monotonic() + 600
        while True:
            status = graphql(BACKFILL_STATUS, {"id": backfill})["partitionBackfillOrError"]
            if status["status"] in {"COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "COMPLETED"}:
                break
            assert time.monotonic() < deadline, status
            time.sleep(2)
    failed = [r["runId"] for r in status["runs"] if r["status"] != "SUCCESS"]
    assert status["status"] in {"COMPLETED_SUCCESS", "COMPLETED"}, (status, _failure_messages(pg_dsn, failed))
    assert {r["status"] for r in status["runs"]} == {"SUCCESS"}, _failure_messages(pg_dsn, failed)
    run_ids = [r["runId"] for r in status["runs"]]
    with psycopg.connect(pg_dsn) as conn:
        runs = conn.execute("SELECT count(*) FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
                            "WHERE t.key = 'dagster/backfill' AND t.value = %s AND r.status = 'SUCCESS'",
                            (backfill,)).fetchone()[0]
        ranged = conn.execute("SELECT count(DISTINCT run_id) FROM run_tags WHERE run_id = ANY(%s) "
                              "AND key = 'dagster/asset_partition_range_start'", (run_ids,)).fetchone()[0]
        # the ranged run is queued under its tenant, so the per-tenant run limit covers it
        tenants = conn.execute("SELECT value FROM run_tags WHERE run_id = ANY(%s) AND key = 'weir/partition_tenant'",
                               (run_ids,)).fetchall()
        materialized = conn.execute(
            "SELECT partition, count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' "
            "AND asset_key = %s GROUP BY partition", (dg.AssetKey(["argo", "endpoint_group_ar"]).to_string(),)).fetchall()
    # one backfill policy for the whole of argo_daily (single run): metric data, connectors and A/R
    # of the seven days in one ranged run, each day materialized once
    assert runs == len(run_ids) == 1
    assert ranged == 1
    assert tenants == [("acme",)]
    assert dict(materialized) == {p: 1 for p in partitions}  # every day once: nothing lost, nothing twice
