"""What to submit to Flink for each monitoring job, built from the monitoring config. No Dagster
import.

The argument lists are those of the wrappers Weir replaces (``flink run`` around the ARGO jars:
metric_ingestion_submit, sync_ingestion_submit, ar_job_submit), so the same jars run unchanged.
"""

from collections.abc import Callable
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
    tenant = settings.name  # as the config spells it
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


AR_STYLES = ("api", "sync-files")


class SyncFileMissing(ConfError):
    """A sync file the README-era A/R submission needs is not on the lake."""


def _newest_within(
    exists: Callable[[str], bool], template: str, day: date, rollback_days: int
) -> str:
    """``template`` (``{date}`` in it) for ``day``, else for the newest of the ``rollback_days``
    days before that exists: the wrappers' date_rollback, applied to each file on its own."""
    for back in range(rollback_days + 1):
        path = template.format(date=(day - timedelta(days=back)).isoformat())
        if exists(path):
            return path
    raise SyncFileMissing(
        f"{template.format(date=day.isoformat())}: missing, and none of the {rollback_days} "
        "days before it either"
    )


def _existing(exists: Callable[[str], bool], *candidates: str) -> str:
    for path in candidates:
        if exists(path):
            return path
    raise SyncFileMissing(f"{' or '.join(candidates)}: missing")


def sync_file_args(
    conf: MonitoringConf,
    tenant: str,
    report: str,
    day: date,
    exists: Callable[[str], bool],
) -> list[str]:
    """The sync-file arguments of the README era's ar_job_submit (ARGOeu/argo-streaming up to
    v1.2): the files the sync ingestion job writes, the dated ones chosen with the same rollback
    rule, downtimes of the exact day."""
    sync = conf.sync_path(tenant)
    name = conf.tenant(tenant).name
    rollback = conf.rollback_days

    def dated(kind: str) -> str:
        return _newest_within(exists, f"{sync}/{report}/{kind}_{{date}}.avro", day, rollback)

    return [
        "--conf",
        _existing(exists, f"{sync}/{name}_{report}_cfg.json"),
        "--mps",
        dated("metric_profile"),
        "--ops",
        _existing(exists, f"{sync}/{name}_ops.json"),
        "--apr",
        _existing(exists, f"{sync}/{name}_{report}_ap.json"),
        "--egp",
        dated("group_endpoints"),
        "--ggp",
        dated("group_groups"),
        "--weights",
        dated("weights"),
        "--downtimes",
        _existing(exists, f"{sync}/{report}/downtimes_{day.isoformat()}.avro"),
        "--rec",
        _existing(
            exists, f"{sync}/recomp_{name}_{report}_{day.isoformat()}.json", f"{sync}/recomp.json"
        ),
    ]


def ar_batch_submission(
    conf: MonitoringConf,
    tenant: str,
    report: str,
    day: date,
    method: str | None = None,
    style: str = "api",
    exists: Callable[[str], bool] | None = None,
) -> Submission:
    """The Java A/R batch job for one tenant, report and day. ``style``: "api" (the job fetches
    profiles and topology from the ARGO web API) or "sync-files" (the README era's arguments: the
    sync ingestion job's files on the lake, found with ``exists``)."""
    if style not in AR_STYLES:
        raise ConfError(f"submission style must be one of {', '.join(AR_STYLES)}, got {style!r}")
    settings = conf.tenant(tenant)
    tenant = settings.name  # as the config spells it: paths and names use that spelling
    validate_name(report, "report")
    # the report as the config spells it (the first wrappers capitalized -r critical)
    report = {r.lower(): r for r in settings.reports}.get(report.lower(), report)
    if report not in settings.reports:
        raise ConfError(
            f"{conf.path}: [TENANTS:{tenant}] reports: no report {report!r} "
            f"(known: {', '.join(sorted(settings.reports))})"
        )
    method = (method or settings.mongo_method).lower()
    if method not in MONGO_METHODS:
        raise ConfError(f"mongo method must be one of {', '.join(MONGO_METHODS)}, got {method!r}")
    if style == "api" and not conf.api_host:
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
    ]
    if style == "sync-files":
        if exists is None:
            raise ValueError("the sync-files style needs a way to see which files exist")
        args += sync_file_args(conf, tenant, report, day, exists)
        if conf.bus_proxy:
            args += ["--ams.proxy", conf.bus_proxy]
        args += ["--ams.verify", "true" if conf.bus_verify else "false"]
        return Submission(jar, entry, tuple(args), f"A/R {tenant} {report} {day.isoformat()}")
    args += [
        "--api.endpoint",
        conf.api_host or "",
        "--api.token",
        settings.api_token,
        "--report.id",
        settings.reports[report],
    ]
    if conf.api_proxy:
        args += ["--api.proxy", conf.api_proxy]
    return Submission(jar, entry, tuple(args), f"A/R {tenant} {report} {day.isoformat()}")
