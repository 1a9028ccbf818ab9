"""Waiting for many template instances at once with a bounded pool of threads. No Dagster import.

All instances are polled in rounds (the state calls of a round run on at most ``max_threads``
threads) until each has ended or the maximum wait, counted from when tracking began, has passed;
an instance still running then is stopped and reported as failed ("timed out"). Only an instance
that ended normally is successful. ``on_end`` hears of each instance the round it ends, as the
original service wrote each instance's metrics row when that instance completed; an error in it
does not stop the tracking of the others (it is raised once every instance has ended).
"""

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from resources.model.control_hub import ControlHubClient, InstanceState


@dataclass(frozen=True)
class TrackedInstance:
    state: InstanceState
    waited_s: float
    timed_out: bool


def track_all(
    client: ControlHubClient,
    job_ids: Sequence[str],
    poll_s: float,
    max_wait_s: float,
    max_threads: int = 16,
    sleep: Callable[[float], None] = time.sleep,
    on_end: Callable[[str, TrackedInstance], None] | None = None,
) -> list[TrackedInstance]:
    """Every instance's end state, in the order of ``job_ids``."""
    started = time.monotonic()
    done: dict[str, TrackedInstance] = {}
    failures: list[Exception] = []
    with ThreadPoolExecutor(
        max_workers=max(1, min(max_threads, len(job_ids))), thread_name_prefix="sch"
    ) as pool:
        while len(done) < len(job_ids):
            pending = [j for j in job_ids if j not in done]
            waited = time.monotonic() - started
            for job_id, state in zip(pending, pool.map(client.state, pending), strict=True):
                if state.finished:
                    done[job_id] = TrackedInstance(state, waited, False)
                elif waited >= max_wait_s:
                    try:
                        client.stop(job_id)
                        stopped, how = client.state(job_id), "instance stopped"
                    except Exception as exc:  # Control Hub refused or timed out: keep tracking
                        stopped, how = state, f"stop failed: {str(exc)[:200]}"
                    done[job_id] = TrackedInstance(
                        replace(
                            stopped,
                            finished=True,
                            successful=False,
                            error_message=f"timed out after {max_wait_s:g}s; {how}",
                            finish_time=stopped.finish_time or datetime.now(UTC),
                        ),
                        waited,
                        True,
                    )
                if on_end is not None and job_id in done:
                    try:
                        on_end(job_id, done[job_id])
                    except Exception as exc:  # e.g. the store is down: keep tracking the rest
                        failures.append(exc)
            if len(done) < len(job_ids):
                sleep(min(poll_s, max(0.01, max_wait_s - (time.monotonic() - started))))
    if failures:  # every instance was tracked (and stopped past the wait) before this
        raise failures[0]
    return [done[j] for j in job_ids]
