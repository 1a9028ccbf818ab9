"""Task status over the Dagster GraphQL API (the query the README shows), against the real code
location loaded from workspace.yaml in a code-server process."""

import dagster as dg
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

from platform_assets.definitions import build_definitions
from tests.platform import local_resources
from tests.taskflows.graphs import example_tasks, write_graph

TASK_STATUS = """
query TaskStatus($group: AssetGroupSelector!) {
  assetNodes(group: $group) {
    assetKey { path }
    assetMaterializations(limit: 1) {
      runId timestamp
      metadataEntries { label ... on TextMetadataEntry { text } ... on FloatMetadataEntry { floatValue } }
    }
    assetObservations(limit: 1) {
      runId timestamp
      metadataEntries { label ... on TextMetadataEntry { text } }
    }
  }
}
"""


def test_task_status_is_queryable_over_graphql(tmp_path, monkeypatch):
    flows = tmp_path / "flows"
    write_graph(flows / "nightly", example_tasks(tmp_path, fail="tarea3"))
    monkeypatch.setenv("WEIR_TASKFLOWS_DIR", str(flows))
    monkeypatch.setenv("WEIR_DATA_DIR", str(tmp_path / "data"))
    defs = build_definitions(local_resources(tmp_path, tmp_path / "tenants.yaml"), taskflows_dir=str(flows))
    with dg.instance_for_test() as instance:
        run = defs.resolve_job_def("taskflow_nightly").execute_in_process(instance=instance, raise_on_error=False)
        with define_out_of_process_context("workspace.yaml", None, instance) as context:
            result = execute_dagster_graphql(context, TASK_STATUS, {"group": {
                "groupName": "taskflow_nightly", "repositoryName": "__repository__",
                "repositoryLocationName": "weir"}})
    assert not result.errors, result.errors
    status = {}
    for node in result.data["assetNodes"]:
        task = node["assetKey"]["path"][-1]
        latest = (node["assetMaterializations"] or node["assetObservations"])[0]
        entries = {e["label"]: e.get("text", e.get("floatValue")) for e in latest["metadataEntries"]}
        status[task] = entries["status"]
        assert latest["runId"] == run.run_id
    assert status == {"tarea1": "succeeded", "tarea2": "succeeded", "tarea3": "failed", "tarea4": "skipped",
                      "tarea5": "succeeded", "tarea6": "succeeded", "tarea7": "succeeded"}
