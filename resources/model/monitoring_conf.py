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


LOG_MODES = ("console", "syslog", "file")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class LogSettings:
    """The ``[LOGS]`` section of the wrappers: which handlers (``log_modes``), the overall
    ``log_level`` and each handler's own level, the syslog socket and the log file."""

    modes: tuple[str, ...] = ("console",)
    level: str = "INFO"
    console_level: str | None = None
    syslog_level: str | None = None
    syslog_socket: str | None = None
    file_level: str | None = None
    file_path: str | None = None


def _log_settings(ini: Ini) -> LogSettings:
    if not ini.has("LOGS"):
        return LogSettings()

    def level(key: str, default: str | None = None) -> str | None:
        value = ini.optional("LOGS", key)
        if value is None:
            return default
        value = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(
            value.upper(), value
        )  # logging's names
        if value.upper() not in LOG_LEVELS:
            raise ini.error("LOGS", key, f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    modes = tuple(
        m.strip().lower() for m in (ini.optional("LOGS", "log_modes") or "console").split(",")
    )
    unknown = [m for m in modes if m not in LOG_MODES]
    if unknown:
        raise ini.error("LOGS", "log_modes", f"unknown mode(s) {', '.join(unknown)}")
    settings = LogSettings(
        modes=modes,
        level=level("log_level", "INFO") or "INFO",
        console_level=level("console_level"),
        syslog_level=level("syslog_level"),
        syslog_socket=ini.optional("LOGS", "syslog_socket"),
        file_level=level("file_level"),
        file_path=ini.optional("LOGS", "file_path"),
    )
    if "syslog" in modes and not settings.syslog_socket:
        raise ini.error("LOGS", "syslog_socket", "missing (log_modes has syslog)")
    if "file" in modes and not settings.file_path:
        raise ini.error("LOGS", "file_path", "missing (log_modes has file)")
    return settings


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
    logs: LogSettings = LogSettings()
    hdfs_user: str | None = None  # whom WebHDFS lists checkpoints as ([HDFS] user / hdfs_user)
    rollback_days: int = 3  # [HDFS] rollback_days: how far back a dated sync file may come from
    # keys of the file that nothing in Weir reads: listed in the runs' metadata, never dropped
    # silently
    warnings: tuple[str, ...] = ()

    def tenant(self, name: str) -> TenantSettings:
        """The tenant called ``name`` in any case (the wrappers upper-cased ``-t tenanta``), as
        the config spells it."""
        validate_name(name, "tenant")
        if name not in self.tenants:
            spelled = {t.lower(): t for t in self.tenants}
            name = spelled.get(name.lower(), name)
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


def _hdfs_values(ini: Ini) -> dict[str, str]:
    """The names HDFS paths are templated with, in either era: ``namenode`` + ``user`` (later), or
    ``hdfs_host`` + ``hdfs_port`` + ``hdfs_user`` (the first); {} without an [HDFS] section."""
    if not ini.has("HDFS"):
        return {}
    if ini.has("HDFS", "hdfs_host"):
        host, port = ini.text("HDFS", "hdfs_host"), ini.text("HDFS", "hdfs_port", "8020")
        user = ini.text("HDFS", "hdfs_user", "root")
        return {
            "hdfs_host": host,
            "hdfs_port": port,
            "hdfs_user": user,
            "namenode": f"hdfs://{host}:{port}",
        }
    values = {"hdfs_user": ini.text("HDFS", "user", "root")}
    if ini.has("HDFS", "namenode"):
        values["namenode"] = ini.text("HDFS", "namenode").rstrip("/")
    return values


def _lake_templates(ini: Ini, hdfs: Mapping[str, str]) -> tuple[str, str]:
    if ini.has("LAKE"):
        root = ini.text("LAKE", "path").rstrip("/")
        return f"{root}/{_TENANT}/mdata", f"{root}/{_TENANT}/sync"
    if ini.has("HDFS", "hdfs_metric"):  # the first era's keys
        keys = ("hdfs_metric", "hdfs_sync")
    else:
        ini.text("HDFS", "namenode")  # raises, naming file, section and key, when absent
        keys = ("path_metric", "path_sync")
    values = {**hdfs, "tenant": _TENANT}
    metric, sync = (ini.render("HDFS", key, values).rstrip("/") for key in keys)
    return metric, sync


def _host_port(ini: Ini, section: str) -> tuple[str, int]:
    """``endpoint`` (host[:port] or a URL), or the first era's ``ams_endpoint`` + ``ams_port``."""
    if not ini.has(section, "endpoint") and ini.has(section, "ams_endpoint"):
        return ini.text(section, "ams_endpoint"), ini.integer(section, "ams_port", 443, minimum=1)
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
    ini: Ini, tenant: TenantSettings, kind: str, bus: tuple[str, int], hdfs: Mapping[str, str]
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
    # checkpoint_path / checkpoint_interval as every conf.template names them, check_path /
    # check_interval as the wrappers' README does: both are the Flink checkpoint settings
    path_key = "checkpoint_path" if ini.has(section, "checkpoint_path") else "check_path"
    interval_key = (
        "checkpoint_interval" if ini.has(section, "checkpoint_interval") else "check_interval"
    )
    checkpoint = (
        ini.render(section, path_key, {**hdfs, "tenant": tenant.name})
        if ini.has(section, path_key)
        else None
    )
    return StreamSettings(
        kind=kind,
        subscription=subscription,
        batch=ini.integer(section, "ams_batch", 100, minimum=1),
        interval=ini.integer(
            section, "ams_interval", 300 if kind == "ingest-metric" else 3000, minimum=1
        ),
        checkpoint_path=checkpoint,
        checkpoint_interval=ini.integer(section, interval_key, 30000, minimum=100)
        if checkpoint
        else None,
        job_name=job_name,
        parallelism=ini.integer(section, "flink_parallelism", 1, minimum=1),
    )


def _reports(ini: Ini, section: str) -> dict[str, str]:
    """Report name -> id: ``reports`` + ``report_<name>`` keys, or the first era's
    ``[TENANTS:<T>:REPORTS]`` section (``<name>: <id>``, the name as written)."""
    pairs: list[tuple[str, str, str]] = []  # (report, id, key it came from)
    if ini.has(section, "reports"):
        for report in (r.strip() for r in ini.text(section, "reports").split(",")):
            if report:
                pairs.append((report, ini.text(section, f"report_{report}"), f"report_{report}"))
    elif ini.has(f"{section}:REPORTS"):
        reports_section = f"{section}:REPORTS"
        for report in ini.keys_as_written(reports_section):
            pairs.append((report, ini.text(reports_section, report), report))
    else:
        ini.text(section, "reports")  # raises, naming file, section and key
    reports = {}
    for report, report_id, key in pairs:
        try:
            reports[validate_name(report, "report")] = validate_name(report_id, "report id")
        except RegistryError as exc:
            raise ini.error(section, key, str(exc)) from None
    return reports


def _mongo_uri(ini: Ini, section: str, name: str, mongo_endpoint: str | None) -> str:
    """``mongo_uri`` of the tenant section, else of the first era's ``[TENANTS:<T>:MONGO]``
    (templated with its ``mongo_host`` / ``mongo_port``), else ``[MONGO] endpoint``/argo_<T>."""
    mongo_section = f"{section}:MONGO"
    if not ini.has(section, "mongo_uri") and ini.has(mongo_section, "mongo_uri"):
        values = {"tenant": name}
        for key in ("mongo_host", "mongo_port"):
            if ini.has(mongo_section, key):
                values[key] = ini.text(mongo_section, key)
        return ini.render(mongo_section, "mongo_uri", values)
    if mongo_endpoint is None and not ini.has(section, "mongo_uri"):
        ini.text("MONGO", "endpoint")  # raises, naming file, section and key
    return ini.render(
        section,
        "mongo_uri",
        {"mongo_endpoint": (mongo_endpoint or "").rstrip("/"), "tenant": name},
        "{{mongo_endpoint}}/argo_{{tenant}}",
    )


def _tenant(
    ini: Ini,
    section: str,
    mongo_endpoint: str | None,
    bus: tuple[str, int],
    hdfs: Mapping[str, str],
) -> TenantSettings:
    raw_name = section.split(":", 1)[1]
    try:
        name = validate_name(raw_name, "tenant")
    except RegistryError as exc:
        raise ini.error(section, None, str(exc)) from None
    reports = _reports(ini, section)
    method = ini.text(section, "mongo_method", "insert").lower()
    if method not in MONGO_METHODS:
        raise ini.error(
            section, "mongo_method", f"must be one of {', '.join(MONGO_METHODS)}, got {method!r}"
        )
    mongo_uri = _mongo_uri(ini, section, name, mongo_endpoint)
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
    streams = {kind: s for kind in STREAMS if (s := _stream(ini, settings, kind, bus, hdfs))}
    return TenantSettings(**{**settings.__dict__, "streams": streams})


def _bus_proxy(ini: Ini, section: str) -> str | None:
    """``proxy``, or the first era's ``ams_proxy`` when ``proxy_enabled`` is true."""
    if ini.has(section, "proxy"):
        return ini.text(section, "proxy")
    if ini.has(section, "proxy_enabled") and ini.boolean(section, "proxy_enabled", False):
        return ini.optional(section, "ams_proxy")
    ini.has(section, "ams_proxy")  # read: a proxy that is switched off is not "unused"
    return None


def load_monitoring_conf(explicit: str | Path | None = None) -> MonitoringConf:
    ini = Ini(find_conf(explicit))
    bus_section = ini.first_section("AMS", "KAFKA")
    bus = _host_port(ini, bus_section)
    mongo_endpoint = ini.optional("MONGO", "endpoint")
    hdfs = _hdfs_values(ini)
    tenant_sections = [s for s in ini.sections() if s.startswith("TENANTS:") and s.count(":") == 1]
    if not tenant_sections:
        raise ConfError(f"{ini.path}: no [TENANTS:<name>] section")
    tenants = {
        t.name: t for t in (_tenant(ini, s, mongo_endpoint, bus, hdfs) for s in tenant_sections)
    }
    for section in ini.sections():
        parts = section.split(":")
        if parts[0] == "TENANTS" and len(parts) == 3 and parts[1] not in tenants:
            raise ini.error(
                section, None, f"tenant {parts[1]!r} has no [TENANTS:{parts[1]}] section"
            )
    api_host = _host_port(ini, "API")[0] if ini.has("API", "endpoint") else None
    api_endpoint = ini.optional("API", "endpoint")
    if api_host is None and ini.has("API", "host"):  # the first era: a bare host, HTTPS
        api_host = ini.text("API", "host")
        api_endpoint = f"https://{api_host}"
    metric_template, sync_template = _lake_templates(ini, hdfs)
    logs = _log_settings(ini)
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
        bus_proxy=_bus_proxy(ini, bus_section),
        bus_verify=ini.boolean(
            bus_section,
            "verify" if ini.has(bus_section, "verify") else "ssl_enabled",
            True,
        ),
        api_endpoint=api_endpoint,
        api_host=api_host,
        api_proxy=ini.optional("API", "proxy"),
        mongo_endpoint=mongo_endpoint or "",
        log_level=logs.level,
        tenants=tenants,
        logs=logs,
        hdfs_user=hdfs.get("hdfs_user"),
        rollback_days=ini.integer("HDFS", "rollback_days", 3) if ini.has("HDFS") else 3,
        warnings=tuple(f"{ini.path}: key not used by Weir: {key}" for key in ini.unread()),
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
