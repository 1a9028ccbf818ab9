"""``job_template_run``: the job-template service's work as a Dagster job. Its config is the
original request; one template instance runs per parameter set, all are waited for concurrently,
one ``job_instance`` row is written per instance, and each ingestion pattern gets a materialization
(``job_templates/<pattern_name>``) whose metadata the UI plots (counts, status, durations)."""

from typing import Any

import dagster as dg

from platform_assets.job_templates.requests import RequestError, merge_parameters, parse_request
from platform_assets.job_templates.tracking import TrackedInstance, track_all
from resources.job_template_store import (
    InstanceRecord,
    JobTemplate,
    JobTemplateStore,
    TemplateNotFound,
)
from resources.model.control_hub import ControlHubClient
from resources.streamsets import StreamSetsResource

DEFAULT_MAX_WAIT_S = 4 * 3600

REQUEST_SCHEMA = {
    "user-id": str,
    "user-run-id": str,
    "source-type": str,
    "target-type": str,
    "runtime-parameters": [dg.Permissive()],
    "poll-seconds": dg.Field(
        float, default_value=10.0, description="how often each instance is polled"
    ),
    "max-wait-seconds": dg.Field(
        float,
        default_value=float(DEFAULT_MAX_WAIT_S),
        description="past it an instance is stopped and recorded as failed",
    ),
    "max-threads": dg.Field(int, default_value=16, description="threads polling Control Hub"),
}


def _summary(user_run_id: str, tracked: list[TrackedInstance]) -> dict:
    durations = [
        (t.state.finish_time - t.state.start_time).total_seconds()
        for t in tracked
        if t.state.finish_time and t.state.start_time
    ]
    ok = sum(t.state.successful for t in tracked)
    return {
        "user_run_id": user_run_id,
        "instances": len(tracked),
        "succeeded": ok,
        "failed": len(tracked) - ok,
        "timed_out": sum(t.timed_out for t in tracked),
        "status": "OK" if ok == len(tracked) else "FAILED",
        "input_records": sum(t.state.input_count or 0 for t in tracked),
        "output_records": sum(t.state.output_count or 0 for t in tracked),
        "error_records": sum(t.state.error_count or 0 for t in tracked),
        "max_duration_s": round(max(durations), 3) if durations else 0.0,
        "mean_duration_s": round(sum(durations) / len(durations), 3) if durations else 0.0,
    }


def _start_once(
    context: dg.OpExecutionContext,
    store: JobTemplateStore,
    client: ControlHubClient,
    template: JobTemplate,
    parameter_sets: list[dict[str, Any]],
) -> list[str]:
    """The instance of each parameter set: started now, or, for a retry or re-execution of the
    run (same root run), the one an earlier attempt started, which is followed, not restarted."""
    run_key = context.run.root_run_id or context.run.run_id
    started = store.started_instances(run_key)
    todo = [index for index in range(len(parameter_sets)) if index not in started]
    if started:
        context.log.info(
            f"{len(started)} instance(s) started by an earlier attempt of this run are followed, "
            "not started again"
        )
    if todo:
        new_ids = client.start_template(
            template.sch_job_template_id,
            [parameter_sets[index] for index in todo],
            template.delete_after_completion,
        )
        store.record_started(run_key, dict(zip(todo, new_ids, strict=True)))
        started.update(zip(todo, new_ids, strict=True))
        context.log.info(
            f"started {len(todo)} instance(s) of template {template.sch_job_template_id} "
            f"({template.pattern_name})"
        )
    return [started[index] for index in range(len(parameter_sets))]


@dg.op(config_schema=REQUEST_SCHEMA, tags={"weir/system": "streamsets"})
def run_job_templates(
    context: dg.OpExecutionContext,
    job_template_store: JobTemplateStore,
    streamsets: StreamSetsResource,
) -> dict:
    config = context.op_config
    try:
        request = parse_request(
            {
                k: config[k]
                for k in (
                    "user-id",
                    "user-run-id",
                    "source-type",
                    "target-type",
                    "runtime-parameters",
                )
            }
        )
        template = job_template_store.find_template(request.source_type, request.target_type)
        parameter_sets = [
            merge_parameters(s, template.static_parameters, template.connections)
            for s in request.parameter_sets
        ]
    except (RequestError, TemplateNotFound) as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    client = streamsets.client()
    job_ids = _start_once(context, job_template_store, client, template, parameter_sets)
    context.log.info(
        f"waiting up to {config['max-wait-seconds']:g}s for {len(job_ids)} instance(s)"
    )

    def record(job_id: str, outcome: TrackedInstance) -> None:
        """Each instance's row as soon as it ends (the original wrote it then, too)."""
        state = outcome.state
        job_template_store.record_instance(
            InstanceRecord(
                job_id,
                template.id,
                request.user_id,
                request.user_run_id,
                state.engine_id,
                state.pipeline_id,
                state.successful,
                state.input_count,
                state.output_count,
                state.error_count,
                state.error_message,
                state.start_time,
                state.finish_time,
            )
        )

    tracked = track_all(
        client,
        job_ids,
        config["poll-seconds"],
        config["max-wait-seconds"],
        config["max-threads"],
        on_end=record,
    )
    summary = _summary(request.user_run_id, tracked)
    context.log_event(
        dg.AssetMaterialization(
            asset_key=["job_templates", template.pattern_name], metadata=summary
        )
    )
    if summary["failed"]:
        errors = sorted(
            {t.state.error_message or "unknown" for t in tracked if not t.state.successful}
        )
        raise dg.Failure(
            f"{summary['failed']} of {summary['instances']} instance(s) failed: "
            f"{'; '.join(errors)[:500]}",
            metadata=summary,
            allow_retries=False,
        )
    return summary


@dg.job(
    description="Launch StreamSets job-template instances for a request and record their metrics.",
    tags={"weir/domain": "job_templates"},
)
def job_template_run() -> None:
    run_job_templates()
