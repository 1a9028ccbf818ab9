"""What to submit to Flink for each monitoring job, built from the monitoring config. No Dagster
import.

The argument lists are those of the wrappers Weir replaces (``flink run`` around the ARGO jars:
metric_ingestion_submit, sync_ingestion_submit, ar_job_submit), so the same jars run unchanged.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from resources.model.ini import ConfError
from resources.model.monitoring_conf import JOBS, MONGO_METHODS, MonitoringConf
from resources.model.tenancy import validate_name


@dataclass(frozen=True)
class Submission:
    jar: Path
    entry_class: str
    args: tuple[str, ...]
    job_name: str
    parallelism: int = 1
    restore_root: str | None = None


def _jar_and_class(conf: MonitoringConf, job: str) -> tuple[Path, str]:
    key = JOBS[job]
    if job not in conf.jars:
        raise ConfError(f"{conf.path}: [JARS] {key}: missing")
    if job not in conf.classes:
        raise ConfError(f"{conf.path}: [CLASSES] {key}: missing")
    return conf.jars[job], conf.classes[job]


def stream_job_name(conf: MonitoringConf, tenant: str, kind: str) -> str:
    """The name the tenant's streaming job runs under (ARGO's job namespace); the health sensor and
    the ensure jobs recognise the job by it."""
    return conf.tenant(tenant).streams[kind].job_name


def stream_submission(conf: MonitoringConf, tenant: str, kind: str) -> Submission:
    """The tenant's ``ingest-metric`` or ``ingest-sync`` streaming job."""
    settings = conf.tenant(tenant)
    if kind not in settings.streams:
        raise ConfError(
            f"{conf.path}: [TENANTS:{tenant}:{kind}]: missing (tenant {tenant!r} has no {kind} job)"
        )
    stream = settings.streams[kind]
    jar, entry = _jar_and_class(conf, kind)
    target = conf.metric_path(tenant) if kind == "ingest-metric" else conf.sync_path(tenant)
    args = [
        "--ams.endpoint",
        conf.bus_host,
        "--ams.port",
        str(conf.bus_port),
        "--ams.token",
        settings.ams_token,
        "--ams.project",
        settings.project,
        "--ams.sub",
        stream.subscription,
        "--hdfs.path",
        target,
    ]
    if kind == "ingest-metric" and stream.checkpoint_path:
        args += [
            "--check.path",
            stream.checkpoint_path,
            "--check.interval",
            str(stream.checkpoint_interval),
        ]
    args += ["--ams.batch", str(stream.batch), "--ams.interval", str(stream.interval)]
    if conf.bus_proxy:
        args += ["--ams.proxy", conf.bus_proxy]
    args += ["--ams.verify", "true" if conf.bus_verify else "false"]
    return Submission(
        jar,
        entry,
        tuple(args),
        stream.job_name,
        stream.parallelism,
        restore_root=stream.checkpoint_path,
    )


def ar_input_paths(conf: MonitoringConf, tenant: str, day: date) -> tuple[str, str]:
    """Previous and current day metric data of the tenant, as the A/R job reads them."""
    return (
        conf.metric_path(tenant, (day - timedelta(days=1)).isoformat()),
        conf.metric_path(tenant, day.isoformat()),
    )


def ar_batch_submission(
    conf: MonitoringConf, tenant: str, report: str, day: date, method: str | None = None
) -> Submission:
    """The Java A/R batch job for one tenant, report and day."""
    settings = conf.tenant(tenant)
    validate_name(report, "report")
    if report not in settings.reports:
        raise ConfError(
            f"{conf.path}: [TENANTS:{tenant}] reports: no report {report!r} "
            f"(known: {', '.join(sorted(settings.reports))})"
        )
    method = (method or settings.mongo_method).lower()
    if method not in MONGO_METHODS:
        raise ConfError(f"mongo method must be one of {', '.join(MONGO_METHODS)}, got {method!r}")
    if not conf.api_host:
        raise ConfError(
            f"{conf.path}: [API] endpoint: missing (the A/R job reads its connector data from it)"
        )
    jar, entry = _jar_and_class(conf, "batch-ar")
    previous, current = ar_input_paths(conf, tenant, day)
    args = [
        "--run.date",
        day.isoformat(),
        "--mongo.uri",
        settings.mongo_uri,
        "--mongo.method",
        method,
        "--pdata",
        previous,
        "--mdata",
        current,
        "--api.endpoint",
        conf.api_host,
        "--api.token",
        settings.api_token,
        "--report.id",
        settings.reports[report],
    ]
    if conf.api_proxy:
        args += ["--api.proxy", conf.api_proxy]
    return Submission(jar, entry, tuple(args), f"A/R {tenant} {report} {day.isoformat()}")
