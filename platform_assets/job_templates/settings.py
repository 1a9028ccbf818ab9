"""The job-templates slice's settings: what its REST service and the config-store migration read
when they start (never at import). Control Hub's credentials reach the ``streamsets`` resource as
``EnvVar`` (``platform_assets/environments.py``).

| variable                   | field       | default                         |
|----------------------------|-------------|---------------------------------|
| ``JOB_TEMPLATE_PG_DSN``    | store_dsn   | none (the service refuses)      |
| ``DAGSTER_GRAPHQL_URL``    | graphql_url | http://127.0.0.1:3000/graphql   |
| ``JOB_TEMPLATE_API_TOKEN`` | api_token   | none (every request refused)    |
| ``JOB_TEMPLATE_AUTH``      | auth        | bearer (or none: loopback only) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class JobTemplatesSettings:
    store_dsn: str = field(default="", repr=False)  # holds the store's password
    graphql_url: str = "http://127.0.0.1:3000/graphql"
    api_token: str = field(default="", repr=False)
    auth: str = "bearer"  # "none": the original service's open door, on a loopback address only

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> JobTemplatesSettings:
        return cls(
            store_dsn=env.get("JOB_TEMPLATE_PG_DSN", ""),
            graphql_url=env.get("DAGSTER_GRAPHQL_URL", cls.graphql_url),
            api_token=env.get("JOB_TEMPLATE_API_TOKEN", ""),
            auth=env.get("JOB_TEMPLATE_AUTH", "bearer"),
        )
