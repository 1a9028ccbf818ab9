"""The monitoring deployment's INI config (ARGO streaming's ``argo-streaming.conf``), accepted as it
is.

Parsed into typed settings; every error names the file, section and key. The file is found by an
explicit path, else ``/etc/argo-streaming/conf/conf.cfg``, else the project's ``conf/`` folder
(``conf.cfg`` or ``argo-streaming.conf``). The same tenants feed the tenant registry of the A/R
slice (``registry_from_conf``). No Dagster import.

Weir extensions, ignored by the original wrappers: ``[LAKE] path`` (a local folder, file:// or
s3:// root holding ``<tenant>/mdata`` and ``<tenant>/sync``) in place of ``[HDFS]``, and ``[KAFKA]
endpoint`` in place of ``[AMS]``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from resources.model.ini import ConfError, Ini
from resources.model.tenancy import (
    RegistryError,
    Report,
    Source,
    Tenant,
    TenantRegistry,
    validate_name,
)

SYSTEM_CONF = Path("/etc/argo-streaming/conf/conf.cfg")
PROJECT_CONF_DIR = Path(__file__).resolve().parents[2] / "conf"  # <repo>/conf
PROJECT_CONF_NAMES = ("conf.cfg", "argo-streaming.conf")
STREAMS = ("ingest-metric", "ingest-sync")
JOBS = {
    "ingest-metric": "ams-ingest-metric",
    "ingest-sync": "ams-ingest-sync",
    "batch-ar": "batch-ar",
}
MONGO_METHODS = ("insert", "upsert")
# How ARGO's Java ingestion jobs name themselves; [JOB-NAMESPACE] may say otherwise.
DEFAULT_JOB_NAMES = {
    "ingest-metric": "Ingesting metric data from "
    "{{ams_endpoint}}:{{ams_port}}/v1/projects/{{ams_project}}/subscriptions/{{ams_sub}}",
    "ingest-sync": "Ingesting sync data from "
    "{{ams_endpoint}}:{{ams_port}}/v1/projects/{{ams_project}}/subscriptions/{{ams_sub}}",
}
_TENANT = "\x00tenant\x00"  # stands for the tenant while a path template is rendered once


@dataclass(frozen=True)
class StreamSettings:
    """One tenant's streaming ingestion job (``[TENANTS:<T>:ingest-metric|ingest-sync]``)."""

    kind: str
    subscription: str
    batch: int
    interval: int
    checkpoint_path: str | None
    checkpoint_interval: int | None
    job_name: str
    parallelism: int = 1


@dataclass(frozen=True)
class TenantSettings:
    name: str
    project: str
    ams_token: str = field(repr=False)
    api_token: str = field(repr=False)
    reports: Mapping[str, str]  # report name -> report id
    mongo_uri: str
    mongo_method: str
    streams: Mapping[str, StreamSettings]


@dataclass(frozen=True)
class MonitoringConf:
    path: Path
    metric_template: str  # lake path of a tenant's metric data, tenant as _TENANT
    sync_template: str
    flink_job_manager: str
    classes: Mapping[str, str]  # "ingest-metric" | "ingest-sync" | "batch-ar" -> main class
    jars: Mapping[str, Path]
    bus_host: str
    bus_port: int
    bus_proxy: str | None
    bus_verify: bool
    api_endpoint: str | None  # as written (a URL); the A/R job gets its host only
    api_host: str | None
    api_proxy: str | None
    mongo_endpoint: str
    log_level: str
    tenants: Mapping[str, TenantSettings]

    def tenant(self, name: str) -> TenantSettings:
        validate_name(name, "tenant")
        if name not in self.tenants:
            raise RegistryError(
                f"unknown tenant {name!r}: not in {self.path} (known: "
                f"{', '.join(sorted(self.tenants))})"
            )
        return self.tenants[name]

    def metric_path(self, tenant: str, day: str | None = None) -> str:
        root = self.metric_template.replace(_TENANT, validate_name(tenant, "tenant"))
        return f"{root}/{day}" if day else root

    def sync_path(self, tenant: str) -> str:
        return self.sync_template.replace(_TENANT, validate_name(tenant, "tenant"))


def find_conf(explicit: str | Path | None = None) -> Path:
    """The config file to use: ``explicit``, else the system path, else the project's ``conf/``."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfError(f"monitoring config {str(path)!r} does not exist")
        return path
    for candidate in (SYSTEM_CONF, *(PROJECT_CONF_DIR / n for n in PROJECT_CONF_NAMES)):
        if candidate.is_file():
            return candidate
    raise ConfError(
        f"no monitoring config: pass a path (WEIR_MONITORING_CONF), or create {SYSTEM_CONF} "
        f"or {PROJECT_CONF_DIR / PROJECT_CONF_NAMES[0]}"
    )


def _lake_templates(ini: Ini) -> tuple[str, str]:
    if ini.has("LAKE"):
        root = ini.text("LAKE", "path").rstrip("/")
        return f"{root}/{_TENANT}/mdata", f"{root}/{_TENANT}/sync"
    values = {
        "namenode": ini.text("HDFS", "namenode").rstrip("/"),
        "hdfs_user": ini.text("HDFS", "user", "root"),
        "tenant": _TENANT,
    }
    return (
        ini.render("HDFS", "path_metric", values).rstrip("/"),
        ini.render("HDFS", "path_sync", values).rstrip("/"),
    )


def _host_port(ini: Ini, section: str) -> tuple[str, int]:
    raw = ini.text(section, "endpoint")
    parts = urlsplit(raw if "://" in raw else f"//{raw}")
    try:
        port = parts.port or 443
    except ValueError:
        raise ini.error(section, "endpoint", f"bad port in {raw!r}") from None
    if not parts.hostname:
        raise ini.error(section, "endpoint", f"expected host[:port] or a URL, got {raw!r}")
    return parts.hostname, port


def _stream(
    ini: Ini, tenant: TenantSettings, kind: str, bus: tuple[str, int]
) -> StreamSettings | None:
    section = f"TENANTS:{tenant.name}:{kind}"
    if not ini.has(section):
        return None
    subscription = ini.text(section, "ams_sub")
    names = {
        "ams_endpoint": bus[0],
        "ams_port": str(bus[1]),
        "ams_project": tenant.project,
        "ams_sub": subscription,
        "project": tenant.project,
        "tenant": tenant.name,
    }
    job_name = ini.render("JOB-NAMESPACE", f"{kind}-namespace", names, DEFAULT_JOB_NAMES[kind])
    checkpoint = ini.optional(section, "checkpoint_path")
    return StreamSettings(
        kind=kind,
        subscription=subscription,
        batch=ini.integer(section, "ams_batch", 100, minimum=1),
        interval=ini.integer(
            section, "ams_interval", 300 if kind == "ingest-metric" else 3000, minimum=1
        ),
        checkpoint_path=checkpoint.replace("{{tenant}}", tenant.name) if checkpoint else None,
        checkpoint_interval=ini.integer(section, "checkpoint_interval", 30000, minimum=100)
        if checkpoint
        else None,
        job_name=job_name,
        parallelism=ini.integer(section, "flink_parallelism", 1, minimum=1),
    )


def _tenant(ini: Ini, section: str, mongo_endpoint: str, bus: tuple[str, int]) -> TenantSettings:
    raw_name = section.split(":", 1)[1]
    try:
        name = validate_name(raw_name, "tenant")
    except RegistryError as exc:
        raise ini.error(section, None, str(exc)) from None
    reports: dict[str, str] = {}
    for report in (r.strip() for r in ini.text(section, "reports").split(",")):
        if not report:
            continue
        key = f"report_{report}"
        try:
            validate_name(report, "report")
            reports[report] = validate_name(ini.text(section, key), "report id")
        except RegistryError as exc:
            raise ini.error(section, key, str(exc)) from None
    method = ini.text(section, "mongo_method", "insert").lower()
    if method not in MONGO_METHODS:
        raise ini.error(
            section, "mongo_method", f"must be one of {', '.join(MONGO_METHODS)}, got {method!r}"
        )
    mongo_uri = ini.render(
        section,
        "mongo_uri",
        {"mongo_endpoint": mongo_endpoint.rstrip("/"), "tenant": name},
        "{{mongo_endpoint}}/argo_{{tenant}}",
    )
    api_token = ini.optional("API", f"{name}_key") or ini.optional("API", "access_token") or ""
    settings = TenantSettings(
        name,
        ini.text(section, "ams_project", name),
        ini.text(section, "ams_token"),
        api_token,
        reports,
        mongo_uri,
        method,
        {},
    )
    streams = {kind: s for kind in STREAMS if (s := _stream(ini, settings, kind, bus))}
    return TenantSettings(**{**settings.__dict__, "streams": streams})


def load_monitoring_conf(explicit: str | Path | None = None) -> MonitoringConf:
    ini = Ini(find_conf(explicit))
    bus_section = ini.first_section("AMS", "KAFKA")
    bus = _host_port(ini, bus_section)
    mongo_endpoint = ini.text("MONGO", "endpoint")
    tenant_sections = [s for s in ini.sections() if s.startswith("TENANTS:") and s.count(":") == 1]
    if not tenant_sections:
        raise ConfError(f"{ini.path}: no [TENANTS:<name>] section")
    tenants = {t.name: t for t in (_tenant(ini, s, mongo_endpoint, bus) for s in tenant_sections)}
    for section in ini.sections():
        parts = section.split(":")
        if parts[0] == "TENANTS" and len(parts) == 3 and parts[1] not in tenants:
            raise ini.error(
                section, None, f"tenant {parts[1]!r} has no [TENANTS:{parts[1]}] section"
            )
    api_host = _host_port(ini, "API")[0] if ini.has("API", "endpoint") else None
    metric_template, sync_template = _lake_templates(ini)
    return MonitoringConf(
        path=ini.path,
        metric_template=metric_template,
        sync_template=sync_template,
        flink_job_manager=ini.text("FLINK", "job_manager"),
        classes={
            job: ini.text("CLASSES", key) for job, key in JOBS.items() if ini.has("CLASSES", key)
        },
        jars={
            job: Path(ini.text("JARS", key)) for job, key in JOBS.items() if ini.has("JARS", key)
        },
        bus_host=bus[0],
        bus_port=bus[1],
        bus_proxy=ini.optional(bus_section, "proxy"),
        bus_verify=ini.boolean(bus_section, "verify", True),
        api_endpoint=ini.optional("API", "endpoint"),
        api_host=api_host,
        api_proxy=ini.optional("API", "proxy"),
        mongo_endpoint=mongo_endpoint,
        log_level=ini.text("LOGS", "log_level", "INFO").upper(),
        tenants=tenants,
    )


def registry_from_conf(conf: MonitoringConf, api_url: str | None = None) -> TenantRegistry:
    """The A/R slice's tenant registry from the monitoring config: metric data from the lake the
    streaming jobs write, connector snapshots from the ARGO web API with the tenant's API key."""
    suffix = f"/{_TENANT}/mdata"
    root = conf.metric_template.removeprefix("file://")
    if not root.endswith(suffix) or "://" in root:
        raise ConfError(
            f"{conf.path}: the metric data path "
            f"{conf.metric_template.replace(_TENANT, '{{tenant}}')!r} is not a local "
            "<root>/<tenant>/mdata folder; the A/R slice needs [LAKE] path"
        )
    url = api_url or conf.api_endpoint
    if not url:
        raise ConfError(
            f"{conf.path}: [API] endpoint: missing (the A/R slice reads connector data from it)"
        )
    tenants = {
        t.name: Tenant(
            t.name,
            tuple(Report(n, i) for n, i in t.reports.items()),
            Source("files", root=root[: -len(suffix)]),
            Source("api", url=url, token=t.api_token),
        )
        for t in conf.tenants.values()
    }
    return TenantRegistry(tenants)
