"""The tenant registry: which tenants exist, their reports and where their data comes from.

Tenant names become Dagster partition keys, directory names and MongoDB database names, so the
registry is the one gate they pass through: a name is accepted only if it matches
``[A-Za-z0-9_-]+`` and only if the registry lists it. No Dagster import: this is plain data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # matched whole (fullmatch): "acme\n" is refused


class RegistryError(ValueError):
    """The registry file, or a name looked up in it, is not acceptable."""


def validate_name(value: str, what: str) -> str:
    """Return ``value`` if it is a safe identifier, else raise naming ``what`` and the rule."""
    if not isinstance(value, str) or not SAFE_NAME.fullmatch(value):
        raise RegistryError(
            f"{what} {value!r} refused: only letters, digits, '_' and '-' (1-64 chars) are allowed"
        )
    return value


SEMANTICS = ("argo_v3", "corrected")  # see the README's "ARGO v3 semantics"


@dataclass(frozen=True)
class Report:
    """One A/R report of a tenant: its name (used for connector lookups) and its id (in results)."""

    name: str
    id: str


@dataclass(frozen=True)
class Source:
    """Where one kind of input comes from: ``files`` (a root directory), ``kafka`` (a topic),
    ``api`` (an ARGO-web-API-shaped HTTP service with a per-tenant token) or ``sync_files`` (the
    tenant's sync folder of ARGO's sync ingestion job, local, ``s3://`` or ``hdfs://``)."""

    kind: str
    root: str | None = None
    topic: str | None = None
    encoding: str = "json"
    url: str | None = None
    token_env: str | None = None
    token: str | None = field(default=None, repr=False)  # set by the monitoring INI config


@dataclass(frozen=True)
class Tenant:
    name: str
    reports: tuple[Report, ...]
    metric_source: Source
    connector_source: Source
    reference_results: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # A/R semantics: "argo_v3" (the original batch job's numbers, quirks included) or "corrected"
    semantics: str = "argo_v3"

    def report(self, name: str) -> Report:
        for report in self.reports:
            if report.name == name:
                return report
        raise RegistryError(f"tenant {self.name!r} has no report {name!r}")


@dataclass(frozen=True)
class TenantRegistry:
    tenants: Mapping[str, Tenant]

    def names(self) -> list[str]:
        return sorted(self.tenants)

    def get(self, name: str) -> Tenant:
        """The tenant called ``name``; refuses unsafe or unregistered names before any use."""
        validate_name(name, "tenant")
        if name not in self.tenants:
            raise RegistryError(
                f"unknown tenant {name!r}: not in the tenant registry (known: "
                f"{', '.join(self.names())})"
            )
        return self.tenants[name]


_SOURCE_KINDS = {
    "metric_data": {"files", "kafka"},
    "connectors": {"files", "api", "sync_files"},
}


def _parse_source(tenant: str, role: str, raw: Any) -> Source:
    if not isinstance(raw, Mapping) or raw.get("kind") not in _SOURCE_KINDS[role]:
        raise RegistryError(
            f"tenant {tenant!r}: sources.{role}.kind must be one of {sorted(_SOURCE_KINDS[role])}"
        )
    source = Source(
        kind=raw["kind"],
        root=raw.get("root"),
        topic=raw.get("topic"),
        encoding=raw.get("encoding", "json"),
        url=raw.get("url"),
        token_env=raw.get("token_env"),
    )
    if source.kind in ("files", "sync_files") and not source.root:
        raise RegistryError(f"tenant {tenant!r}: sources.{role} of kind {source.kind} needs a root")
    if source.kind == "kafka":
        validate_name(source.topic or "", f"tenant {tenant!r} kafka topic")
        if source.encoding not in {"json", "avro"}:
            raise RegistryError(f"tenant {tenant!r}: kafka encoding must be json or avro")
    if source.kind == "api" and not source.url:
        raise RegistryError(f"tenant {tenant!r}: sources.{role} of kind api needs a url")
    return source


def parse_registry(raw: Any, base_dir: Path | None = None) -> TenantRegistry:
    """Build a registry from its YAML structure; relative file roots resolve against
    ``base_dir``."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("tenants"), list):
        raise RegistryError("tenant registry must be a mapping with a 'tenants' list")
    tenants: dict[str, Tenant] = {}
    for entry in raw["tenants"]:
        name = validate_name(entry.get("name", ""), "tenant")
        if name in tenants:
            raise RegistryError(f"tenant {name!r} is listed twice in the registry")
        reports = tuple(
            Report(
                validate_name(r.get("name", ""), f"tenant {name!r} report"),
                validate_name(str(r.get("id", "")), f"tenant {name!r} report id"),
            )
            for r in entry.get("reports", [])
        )
        if not reports:
            raise RegistryError(f"tenant {name!r} has no reports")
        sources = entry.get("sources", {})
        metric = _parse_source(name, "metric_data", sources.get("metric_data"))
        connectors = _parse_source(name, "connectors", sources.get("connectors"))
        if base_dir is not None:
            metric = _resolve_root(metric, base_dir)
            connectors = _resolve_root(connectors, base_dir)
        semantics = entry.get("semantics", "argo_v3")
        if semantics not in SEMANTICS:
            raise RegistryError(
                f"tenant {name!r}: semantics must be one of {list(SEMANTICS)}, not {semantics!r}"
            )
        tenants[name] = Tenant(
            name, reports, metric, connectors, entry.get("reference_results"), semantics=semantics
        )
    return TenantRegistry(tenants)


def _resolve_root(source: Source, base_dir: Path) -> Source:
    remote = source.root is not None and ("://" in source.root or source.root.startswith("file:"))
    if source.root and not remote and not Path(source.root).is_absolute():
        return Source(**{**source.__dict__, "root": str(base_dir / source.root)})
    return source


def load_registry(path: str | Path) -> TenantRegistry:
    path = Path(path)
    if not path.exists():
        raise RegistryError(f"tenant registry {str(path)!r} does not exist")
    with path.open() as handle:
        return parse_registry(yaml.safe_load(handle), base_dir=path.parent)
