"""The UI's Resources page never shows a secret: every secret and DSN reaches its resource as an
``EnvVar``, so GraphQL's ``configuredValues`` (what the page renders) holds the variable's name.
The code location is loaded in process from a file that builds the definitions with canary values
set for every secret variable, in both environments."""

import json

import pytest
from dagster._core.test_utils import in_process_test_workspace, instance_for_test
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster_graphql.test.utils import execute_dagster_graphql, infer_repository_selector

from resources.model.secrets import SECRET_VARIABLES

QUERY = """
query Resources($repositorySelector: RepositorySelector!) {
  allTopLevelResourceDetailsOrError(repositorySelector: $repositorySelector) {
    __typename
    ... on ResourceDetailsList {
      results { name configuredValues { key value type } configFields { name defaultValueAsJson } }
    }
  }
}
"""
LOCATION = """
from platform_assets.definitions import build_definitions
from platform_assets.environments import resources_for

defs = build_definitions(resources_for({env!r}))
"""
# where each secret variable must show up, by name (resource, field)
SHOWN_AS_VARIABLE = {
    "SMTP_PASSWORD": ("alerts", "smtp_password"), "SLACK_WEBHOOK_URL": ("alerts", "slack_webhook_url"),
    "STREAMSETS_CRED_ID": ("streamsets", "credential_id"), "STREAMSETS_CRED_TOKEN": ("streamsets", "token"),
    "JOB_TEMPLATE_PG_DSN": ("job_template_store", "dsn"), "WAREHOUSE_PG_DSN": ("warehouse_db", "dsn"),
    "TELEMETRY_DIMS_PG_DSN": ("dimensions", "dsn"),
}


def canary(name: str) -> str:
    return f"postgresql://weir:canary-{name.lower()}@db.example:5432/weir?password=canary-{name.lower()}"


@pytest.mark.parametrize("env", ["local", "prod"])
def test_no_secret_value_reaches_the_resources_page(env, tmp_path, monkeypatch):
    for name in SECRET_VARIABLES:
        monkeypatch.setenv(name, canary(name))
    for name in ("WEIR_TENANT_REGISTRY", "WEIR_LAKE_ROOT", "KAFKA_BOOTSTRAP_SERVERS", "WEIR_WAREHOUSE_LANDING",
                 "WEIR_TELEMETRY_BACKUP_ROOT"):
        monkeypatch.setenv(name, f"/not/a/secret/{name.lower()}")
    monkeypatch.setenv("WEIR_DATA_DIR", str(tmp_path))
    location = tmp_path / f"location_{env}.py"
    location.write_text(LOCATION.format(env=env))
    origin = LoadableTargetOrigin(python_file=str(location), attribute="defs", working_directory=str(tmp_path))
    with instance_for_test() as instance, in_process_test_workspace(instance, origin) as context:
        result = execute_dagster_graphql(context, QUERY, variables={
            "repositorySelector": infer_repository_selector(context)})
    payload = result.data["allTopLevelResourceDetailsOrError"]
    assert payload["__typename"] == "ResourceDetailsList", payload
    shown = json.dumps(payload)
    assert "canary-" not in shown
    values = {r["name"]: {v["key"]: (v["type"], v["value"]) for v in r["configuredValues"]}
              for r in payload["results"]}
    for variable, (resource, field) in SHOWN_AS_VARIABLE.items():
        if resource in values:
            assert values[resource][field] == ("ENV_VAR", variable), (resource, field)
    if env == "prod":
        assert values["results"]["url"] == ("ENV_VAR", "MONGO_URL")
