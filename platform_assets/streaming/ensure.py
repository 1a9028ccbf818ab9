"""Keeping a named streaming job running on Flink: the idempotent core of the ensure jobs."""

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from platform_assets.streaming.restore import newest_restore_point
from resources.flink import FlinkResource, masked


@dataclass(frozen=True)
class EnsureOutcome:
    job_id: str
    submitted: bool
    restored_from: str | None
    arguments: list[str]  # secrets masked


def ensure_running(flink: FlinkResource, jar: Path, entry_class: str, job_name: str, args: Sequence[str],
                   restore_root: str | None, parallelism: int = 1) -> EnsureOutcome:
    """Nothing to do if a job called ``job_name`` runs; else submit, resuming from the newest
    savepoint/checkpoint under ``restore_root`` when there is one."""
    running = flink.find_running(job_name)
    if running:
        return EnsureOutcome(running, False, None, masked(args))
    restore = newest_restore_point(restore_root) if restore_root else None
    job_id = flink.run(flink.upload_jar(jar), entry_class, list(args), parallelism, savepoint_path=restore,
                       job_name=job_name)
    flink.wait(job_id, timeout_s=120, until=frozenset({"RUNNING"}))
    return EnsureOutcome(job_id, True, restore, masked(args))
