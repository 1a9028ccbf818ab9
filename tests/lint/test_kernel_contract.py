"""The kernel contract (pyproject.toml, ``lint-imports``) holds on the tree and breaks when a kernel
reaches Dagster or a resource client, directly or through a wiring module."""

import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.domain.contract import ContractCheck

from tests.lint.kernel_contract import KernelContract

pytestmark = pytest.mark.fast  # no external service: make test-fast

SLICES = ["platform_assets.argo", "platform_assets.warehouse", "platform_assets.telemetry",
          "platform_assets.streaming", "platform_assets.taskflows", "platform_assets.job_templates"]

# the processes of their own that pyproject.toml declares (command lines, the REST service)
ENTRY_POINTS = next(c for c in tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
                    ["tool"]["importlinter"]["contracts"] if c.get("type") == "kernels")["entry_points"]


@pytest.fixture
def graph():
    return grimp.build_graph("platform_assets", "resources", "sensors", include_external_packages=True)


def check(graph) -> tuple[KernelContract, ContractCheck]:
    contract = KernelContract(name="kernels", session_options={}, contract_options={
        "slices": SLICES, "forbidden": ["dagster", "resources"], "allowed": ["resources.model"],
        "entry_points": ENTRY_POINTS})
    return contract, contract.check(graph, verbose=False)


def test_the_tree_keeps_it_and_new_modules_are_kernels_by_default(graph):
    contract, result = check(graph)
    assert result.kept, result.metadata["broken"]
    kernels = contract.kernels(graph)
    assert "platform_assets.argo.ar_kernel" in kernels and "platform_assets.warehouse.unload" in kernels
    assert "platform_assets.argo.assets_ar" not in kernels and "platform_assets.argo.definitions" not in kernels


@pytest.mark.parametrize("imported", ["dagster", "resources.storage", "platform_assets.argo.assets_ar"])
def test_a_kernel_reaching_dagster_or_a_client_breaks_it(graph, imported):
    graph.add_import(importer="platform_assets.argo.ar_kernel", imported=imported)
    _, result = check(graph)
    assert not result.kept
    assert any(kernel == "platform_assets.argo.ar_kernel" for kernel, _ in result.metadata["broken"])


def test_plain_data_from_resources_model_is_allowed(graph):
    graph.add_import(importer="platform_assets.argo.ar_kernel", imported="resources.model.tenancy")
    assert check(graph)[1].kept
