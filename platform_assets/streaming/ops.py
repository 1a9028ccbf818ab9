"""The ops of the monitoring deployment's Flink jobs: keep a tenant's streaming ingestion running,
and submit the Java A/R batch job for a tenant, report and day (the jobs are in ``jobs``)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource

from platform_assets.streaming.conf_logs import logs_section
from platform_assets.streaming.restore import (
    MetadataLister,
    RestoreRootError,
    newest_restore_point,
)
from platform_assets.streaming.settings import StreamingSettings
from platform_assets.streaming.submissions import (
    ar_batch_submission,
    ar_input_paths,
    stream_submission,
)
from resources.flink import FlinkError, FlinkResource, masked
from resources.model.ini import ConfError
from resources.model.monitoring_conf import MonitoringConf
from resources.model.tenancy import RegistryError
from resources.monitoring_conf import MonitoringConfResource
from resources.placement import POOL_FLINK
from resources.results_store import AR_COLLECTIONS, ResultsResource
from resources.storage import LakeResource
from resources.webhdfs import WebHdfs, WebHdfsError

AR_JOB_TIMEOUT_S = 4 * 3600


class StreamConfig(dg.Config):
    tenant: str


class ArBatchConfig(dg.Config):
    tenant: str
    report: str
    date: str  # YYYY-MM-DD
    method: str | None = None  # insert | upsert; default: the tenant's mongo_method
    dry_run: bool = False
    check_inputs: bool = True
    timeout_s: int = AR_JOB_TIMEOUT_S
    # "api": the job reads profiles and topology from the ARGO web API; "sync-files": the README
    # era's arguments, the sync ingestion job's files on the lake (same rollback rule)
    submission: str = "api"


@dataclass(frozen=True)
class EnsureOutcome:
    job_id: str
    submitted: bool
    restored_from: str | None
    arguments: list[str]  # secrets masked


def ensure_running(
    flink: FlinkResource,
    jar: Path,
    entry_class: str,
    job_name: str,
    args: Sequence[str],
    restore_root: str | None,
    parallelism: int = 1,
    listers: Mapping[str, MetadataLister] | None = None,
) -> EnsureOutcome:
    """Nothing to do if a job called ``job_name`` runs; else submit, resuming from the newest
    savepoint/checkpoint under ``restore_root`` when there is one."""
    running = flink.find_running(job_name)
    if running:
        return EnsureOutcome(running, False, None, masked(args))
    restore = newest_restore_point(restore_root, listers) if restore_root else None
    job_id = flink.run(
        flink.upload_jar(jar),
        entry_class,
        list(args),
        parallelism,
        savepoint_path=restore,
        job_name=job_name,
    )
    flink.wait(job_id, timeout_s=120, until=frozenset({"RUNNING"}))
    return EnsureOutcome(job_id, True, restore, masked(args))


def _refuse(exc: Exception) -> dg.Failure:
    return dg.Failure(str(exc), allow_retries=False)


def _ensure(
    context: dg.OpExecutionContext, monitoring: MonitoringConfResource, tenant: str, kind: str
) -> dict:
    conf = monitoring.load()
    with logs_section(context.log, conf.logs):
        return _ensure_stream(context, monitoring, conf, tenant, kind)


def _ensure_stream(
    context: dg.OpExecutionContext,
    monitoring: MonitoringConfResource,
    conf: MonitoringConf,
    tenant: str,
    kind: str,
) -> dict:
    try:
        submission = stream_submission(conf, tenant, kind)
    except (ConfError, RegistryError) as exc:
        raise _refuse(exc) from None
    try:
        outcome = ensure_running(
            monitoring.flink(conf),
            submission.jar,
            submission.entry_class,
            submission.job_name,
            submission.args,
            submission.restore_root,
            submission.parallelism,
            monitoring.restore_listers(conf),
        )
    except RestoreRootError as exc:
        raise _refuse(exc) from None
    except WebHdfsError as exc:  # the namenode may be back on a retry
        raise dg.Failure(f"cannot look for a restore point: {exc}") from None
    verdict = "submitted" if outcome.submitted else "already running"
    context.log.info(
        f"{submission.job_name}: {verdict} as Flink job {outcome.job_id}"
        + (f", restored from {outcome.restored_from}" if outcome.restored_from else "")
    )
    context.add_output_metadata(
        {
            "job_id": outcome.job_id,
            "job_name": submission.job_name,
            "submitted": outcome.submitted,
            "restored_from": outcome.restored_from or "-",
            "parameters": dg.MetadataValue.json(outcome.arguments),
            "config_keys_unused": dg.MetadataValue.json(list(conf.warnings)),
        }
    )
    for warning in conf.warnings:
        context.log.warning(warning)
    return {"job_id": outcome.job_id, "submitted": outcome.submitted}


@dg.op(tags={"weir/system": "flink"}, pool=POOL_FLINK)
def ensure_metric_stream(
    context: dg.OpExecutionContext, config: StreamConfig, monitoring: MonitoringConfResource
) -> dict:
    """The tenant's metric ingestion job is RUNNING (submitted or resumed only if it is not)."""
    return _ensure(context, monitoring, config.tenant, "ingest-metric")


@dg.op(tags={"weir/system": "flink"}, pool=POOL_FLINK)
def ensure_sync_stream(
    context: dg.OpExecutionContext, config: StreamConfig, monitoring: MonitoringConfResource
) -> dict:
    """The tenant's connector/sync ingestion job is RUNNING (submitted or resumed only if it is
    not)."""
    return _ensure(context, monitoring, config.tenant, "ingest-sync")


def _holds_data(path: str, hdfs: WebHdfs | None = None) -> bool:
    """Whether a metric-data folder (local, file://, s3:// or hdfs://) holds at least one file."""
    if path.startswith("hdfs://") and hdfs is not None:
        return hdfs.holds_files(path)
    local = path.removeprefix("file://")
    if "://" not in local:
        folder = Path(local)
        return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))
    if local.startswith("s3://"):
        bucket, _, prefix = local[len("s3://") :].partition("/")
        endpoint = StreamingSettings.from_env().s3_endpoint_url  # read as the run starts
        lake = LakeResource(root=f"s3://{bucket}", s3=S3Resource(endpoint_url=endpoint))
        return bool(lake.list(prefix.rstrip("/") + "/"))
    raise dg.Failure(
        f"cannot check the input path {path!r} (local, s3:// and hdfs:// lakes are checked); "
        "run with check_inputs: false to submit anyway",
        allow_retries=False,
    )


@dg.op(tags={"weir/system": "flink"}, pool=POOL_FLINK)
def submit_ar_batch(
    context: dg.OpExecutionContext,
    config: ArBatchConfig,
    monitoring: MonitoringConfResource,
    results: ResultsResource,
) -> dict:
    """Submit the Java A/R job with the original wrapper's arguments and wait for it to finish."""
    conf = monitoring.load()
    with logs_section(context.log, conf.logs):
        return _submit_ar_batch(context, config, monitoring, results, conf)


def _submit_ar_batch(
    context: dg.OpExecutionContext,
    config: ArBatchConfig,
    monitoring: MonitoringConfResource,
    results: ResultsResource,
    conf: MonitoringConf,
) -> dict:
    try:
        day = date.fromisoformat(config.date)
        submission = ar_batch_submission(
            conf,
            config.tenant,
            config.report,
            day,
            config.method,
            style=config.submission,
            exists=monitoring.lake_exists(conf),
        )
    except (ConfError, RegistryError, ValueError, WebHdfsError) as exc:
        raise _refuse(exc) from None
    tenant = conf.tenant(config.tenant).name  # as the config spells it (argo_<tenant> too)
    shown = masked(submission.args)
    method = shown[shown.index("--mongo.method") + 1]
    context.add_output_metadata(
        {
            "jar": str(submission.jar),
            "entry_class": submission.entry_class,
            "arguments": dg.MetadataValue.json(shown),
            "method": method,
            "submission": config.submission,
            "dry_run": config.dry_run,
            "config_keys_unused": dg.MetadataValue.json(list(conf.warnings)),
        }
    )
    for warning in conf.warnings:
        context.log.warning(warning)
    if config.dry_run:
        context.log.info(
            f"dry run, nothing submitted: flink run -c {submission.entry_class} "
            f"{submission.jar} {' '.join(shown)}"
        )
        return {"job_id": None, "arguments": shown}
    if config.check_inputs:
        hdfs = WebHdfs(monitoring.webhdfs_url, conf.hdfs_user)
        try:
            missing = [p for p in ar_input_paths(conf, tenant, day) if not _holds_data(p, hdfs)]
        except WebHdfsError as exc:
            raise dg.Failure(f"cannot check the A/R inputs: {exc}") from None
        if missing:
            raise dg.Failure(
                f"A/R {tenant}/{config.report} {day}: input path(s) missing or empty: "
                f"{', '.join(missing)}",
                allow_retries=False,
            )
    if method == "insert":
        report_id = conf.tenant(tenant).reports[config.report]
        store = results.store()
        removed = {c: store.delete_day(tenant, c, report_id, day) for c in AR_COLLECTIONS}
        context.log.info(
            f"insert mode: removed the earlier results of {config.report} {day}: {removed}"
        )
        context.add_output_metadata({"removed_documents": sum(removed.values())})
    flink = monitoring.flink(conf)
    try:
        job_id = flink.run(
            flink.upload_jar(submission.jar),
            submission.entry_class,
            submission.args,
            submission.parallelism,
            job_name=submission.job_name,
        )
        context.log.info(f"submitted {submission.job_name} as Flink job {job_id}")
        state = flink.wait(job_id, timeout_s=config.timeout_s)
    except FlinkError as exc:
        raise dg.Failure(str(exc)) from None
    if state != "FINISHED":
        raise dg.Failure(f"A/R job {job_id} ended {state}")
    context.add_output_metadata({"job_id": job_id, "state": state})
    return {"job_id": job_id, "arguments": shown}
