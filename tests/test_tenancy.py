"""The tenant registry refuses unsafe and unknown names before they reach a path or a query."""

import pytest
import yaml

from platform_assets.argo.partitions import split_tenant_day
from resources.model.tenancy import RegistryError, load_registry, parse_registry, validate_name

pytestmark = pytest.mark.fast  # no external service: make test-fast

GOOD = {"name": "acme", "reports": [{"name": "Critical", "id": "crit-1"}],
        "sources": {"metric_data": {"kind": "files", "root": "src"}, "connectors": {"kind": "files", "root": "src"}}}


@pytest.mark.parametrize("name", ["../etc", "a/b", "acme;drop", "ac me", "", "x" * 65, "tenant\x00", "ünï", "$(rm)"])
def test_hostile_names_are_refused(name):
    with pytest.raises(RegistryError, match="refused"):
        validate_name(name, "tenant")


def test_registry_resolves_relative_roots_and_looks_up(tmp_path):
    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": [GOOD]}))
    registry = load_registry(path)
    tenant = registry.get("acme")
    assert tenant.metric_source.root == str(tmp_path / "src")
    assert tenant.report("Critical").id == "crit-1"


def test_unknown_tenant_is_refused_with_the_known_ones_listed():
    registry = parse_registry({"tenants": [GOOD]})
    with pytest.raises(RegistryError, match=r"unknown tenant 'globex'.*known: acme"):
        registry.get("globex")
    with pytest.raises(RegistryError, match="refused"):
        registry.get("../acme")


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.update(name="bad name"), "refused"),
    (lambda t: t.update(reports=[]), "no reports"),
    (lambda t: t["sources"].update(metric_data={"kind": "ftp"}), "kind must be one of"),
    (lambda t: t["sources"].update(metric_data={"kind": "kafka", "topic": "t;x"}), "refused"),
    (lambda t: t["sources"].update(metric_data={"kind": "kafka", "topic": "t", "encoding": "xml"}), "json or avro"),
    (lambda t: t["sources"].update(connectors={"kind": "api"}), "needs a url"),
    (lambda t: t["reports"][0].update(id="a b"), "report id"),
])
def test_wrong_registry_config_is_a_clear_error(mutate, message):
    import copy

    tenant = copy.deepcopy(GOOD)
    mutate(tenant)
    with pytest.raises(RegistryError, match=message):
        parse_registry({"tenants": [tenant]})


def test_duplicate_tenant_and_missing_file(tmp_path):
    with pytest.raises(RegistryError, match="listed twice"):
        parse_registry({"tenants": [GOOD, GOOD]})
    with pytest.raises(RegistryError, match="does not exist"):
        load_registry(tmp_path / "nope.yaml")


def test_partition_keys_are_validated_when_split():
    assert str(split_tenant_day("2024-01-02|acme")[0]) == "2024-01-02"
    with pytest.raises(RegistryError):
        split_tenant_day("2024-01-02|../../etc")
