"""The streaming slice's settings, read when a run starts (never at import). The monitoring INI
config itself is the ``monitoring`` resource's (``WEIR_MONITORING_CONF``, ``FLINK_REST_URL``).

| variable           | field           | default            |
|--------------------|-----------------|--------------------|
| ``S3_ENDPOINT_URL``| s3_endpoint_url | AWS's own endpoint |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StreamingSettings:
    s3_endpoint_url: str | None = (
        None  # where s3:// input paths are checked before an A/R submission
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StreamingSettings:
        return cls(s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None)
