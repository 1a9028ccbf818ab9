"""An import-linter contract type: a slice's computation modules ("kernels") reach neither Dagster
nor a resource client, directly or through anything they import.

A module of ``platform_assets.<slice>`` is wiring when its name is one of the wiring names
(``definitions``, ``jobs``, ``ops``, ``settings``, ``partitions``, ``assets*``, ``checks*``) or it is
listed in ``entry_points`` (processes of their own: command lines, the REST service). Every other
module is a kernel, so a new module is checked without being listed anywhere. Kernels may use
``resources.model`` (plain data, itself free of Dagster: another contract says so).
"""

from __future__ import annotations

import fnmatch

from importlinter import Contract, ContractCheck, fields, output

WIRING_NAMES = ("definitions", "jobs", "ops", "settings", "partitions", "assets*", "checks*")


class KernelContract(Contract):
    slices = fields.ListField(subfield=fields.StringField())
    forbidden = fields.ListField(subfield=fields.StringField())
    allowed = fields.ListField(subfield=fields.StringField(), required=False)
    entry_points = fields.ListField(subfield=fields.StringField(), required=False)

    def kernels(self, graph) -> list[str]:  # noqa: ANN001 - grimp's ImportGraph
        entry_points = set(self.entry_points or [])
        found = []
        for package in self.slices:
            for module in sorted(graph.find_descendants(package)):
                last = module.rsplit(".", 1)[-1]
                if module in entry_points or any(fnmatch.fnmatch(last, name) for name in WIRING_NAMES):
                    continue
                found.append(module)
        return found

    def check(self, graph, verbose: bool) -> ContractCheck:  # noqa: ANN001
        allowed = tuple(self.allowed or [])
        broken = []
        kernels = self.kernels(graph)
        for kernel in kernels:
            for imported in sorted(graph.find_modules_directly_imported_by(kernel)):
                if imported.startswith(allowed):
                    continue
                for forbidden in self.forbidden:
                    if imported == forbidden or imported.startswith(forbidden + "."):
                        broken.append((kernel, imported))
                        break
                    chain = None if imported in kernels else graph.find_shortest_chain(importer=imported, imported=forbidden)
                    if chain and not imported.startswith(allowed):
                        broken.append((kernel, " -> ".join((imported, *chain[1:]))))
                        break
        output.verbose_print(verbose, f"{len(kernels)} kernel modules checked")
        return ContractCheck(kept=not broken, metadata={"broken": broken, "kernels": len(kernels)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for kernel, path in check.metadata["broken"]:
            output.print_error(f"{kernel} imports {path}")
        output.new_line()
