"""The job-templates slice: the StreamSets job-template service's work as ``job_template_run``
(its REST front door is ``service.py``, which launches that job through Dagster's GraphQL API)."""

import dagster as dg

from platform_assets.job_templates.jobs import job_template_run


def build_defs() -> dg.Definitions:
    return dg.Definitions(jobs=[job_template_run])
